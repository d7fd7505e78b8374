"""The columnar cache of a wave (wave_segments) gives exactly the frame of the plain path —
every row decoded from its JSON answers — on both databases, as the wave changes."""

import datetime as dt
import logging

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import delete, func, select, text

from survey.extensions import db
from survey.models import Response, ServicePoint, Unit, Wave
from survey.models_wave_segments import WaveSegment
from survey.services import wave_data
from survey.services.wave_segments import encode_block, from_bytes, make_column, to_bytes


@pytest.fixture
def app_config():
    # Tiny segments so that a wave of a few dozen responses has several; no margin.
    return {"WAVE_SEGMENT_ROWS": 7, "WAVE_SEGMENT_MARGIN": 0}


@pytest.fixture
def wave_rows(app, make_wave, make_unit, make_point, make_field, create_response):
    """A wave of 40 responses over three communes (two fields, no field, both channels)."""
    with app.app_context():
        province = make_unit(kind="province", name="Tỉnh Thử")
        communes = [make_unit(parent=province, name=f"Xã {k}", name_en=f"Commune {k}" if k else " ")
                    for k in range(3)]
        wave = make_wave(units=[province])
        fields = [make_field(), make_field()]
        points = [make_point(c) for c in communes]
        base = dt.datetime(2024, 5, 1, 15, 0)
        for k in range(40):
            create_response(wave, points[(k * 7) % 3],
                            service_field_id=None if k % 9 == 0 else fields[k % 2].id,
                            channel="online" if k % 4 == 0 else "in_person",
                            submitted_at=base + dt.timedelta(hours=5 * k))
        db.session.commit()
        return {"wave": wave.id, "units": [c.id for c in communes], "points": [p.id for p in points],
                "fields": [f.code for f in fields]}


def _frames(app, wave_id, **kwargs):
    """(fast, plain) frames of the wave with the same arguments."""
    def read(rows):
        app.config["WAVE_SEGMENT_ROWS"] = rows
        wave = db.session.get(Wave, wave_id)
        if kwargs.get("chunk_size"):
            frames = list(wave_data.iter_wave_frames(wave, **kwargs))
            return pd.concat(frames, ignore_index=True) if frames else None
        return wave_data.read_wave_frame(wave, **kwargs)

    fast = read(7)
    db.session.commit()
    plain = read(0)
    app.config["WAVE_SEGMENT_ROWS"] = 7
    return fast, plain


def _same(app, wave_id, **kwargs):
    fast, plain = _frames(app, wave_id, **kwargs)
    assert_frame_equal(fast, plain, check_exact=True)
    # Same Python values, not just equal ones (1 is not 1.0 nor True).
    for column in plain.columns:
        assert [type(v) for v in fast[column]] == [type(v) for v in plain[column]], column
    return fast


def _segments():
    # Segments are written on a connection of their own: a new transaction sees them.
    db.session.commit()
    return db.session.execute(select(WaveSegment.first_id, WaveSegment.last_id, WaveSegment.n_rows)
                              .order_by(WaveSegment.first_id)).all()


def test_fast_frame_equals_plain_frame_as_the_wave_changes(app, wave_rows, create_response, caplog):
    wave_id = wave_rows["wave"]
    with app.app_context():
        cold = _same(app, wave_id)
        assert len(cold) == 40
        # 40 rows: five segments of seven and one of the last five (no margin here).
        assert [n for *_, n in _segments()] == [7] * 5 + [5]
        warm = _same(app, wave_id)
        assert_frame_equal(warm, cold)
        assert len(_segments()) == 6

        # A new response lands in the open end.
        create_response(db.session.get(Wave, wave_id),
                        db.session.get(ServicePoint, wave_rows["points"][1]))
        assert len(_same(app, wave_id)) == 41

        # A deleted response drops the segment that held it (trigger); it is rebuilt.
        victim = db.session.scalars(select(Response.id).order_by(Response.id).offset(10)).first()
        db.session.execute(delete(Response).where(Response.id == victim))
        db.session.commit()
        assert all(not (a <= victim <= b) for a, b, _ in _segments())
        assert len(_same(app, wave_id)) == 40
        assert any(a <= victim + 1 <= b for a, b, _ in _segments())

        # A renamed unit shows its new name and code (ids are stored, not names).
        unit = db.session.get(Unit, wave_rows["units"][0])
        unit.name, unit.code = "Phường Mới", unit.code + "X"
        db.session.commit()
        renamed = _same(app, wave_id)
        assert "Phường Mới" in set(renamed["unit_name"])

        # Exclusions, units, fields, channels, English names and chunks.
        ids = db.session.scalars(select(Response.id).order_by(Response.id)).all()
        assert len(_same(app, wave_id, exclude={ids[3], ids[20]})) == 38
        _same(app, wave_id, unit_ids=wave_rows["units"][1:])
        _same(app, wave_id, chunk_size=6, service_field=wave_rows["fields"][0], channel="in_person",
              lang="en")
        _same(app, wave_id, chunk_size=4, lang="en", unit_ids=[wave_rows["units"][0]])
        with pytest.raises(ValueError):
            list(wave_data.iter_wave_frames(db.session.get(Wave, wave_id), service_field="NOPE"))


def test_bad_row_is_skipped_and_logged_never_takes_down_the_wave(app, wave_rows, db_backend, caplog):
    wave_id = wave_rows["wave"]
    with app.app_context():
        _same(app, wave_id)                       # segments built from good rows
        bad_id = db.session.scalars(select(Response.id).order_by(Response.id).offset(2)).first()
        value = "CAST(:bad AS jsonb)" if db_backend == "postgresql" else ":bad"
        db.session.execute(text(f"UPDATE responses SET answers = {value} WHERE id = :id"),
                           {"bad": "[1, 2]", "id": bad_id})
        db.session.commit()
        with caplog.at_level(logging.WARNING, "survey.services.wave_data"):
            fast = _same(app, wave_id)
        assert len(fast) == 39
        assert "skipped 1 response(s)" in caplog.text and str(bad_id) in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, "survey.services.wave_data"):
            warm = wave_data.read_wave_frame(db.session.get(Wave, wave_id))
        assert len(warm) == 39 and str(bad_id) in caplog.text      # still logged from the segment


def test_stale_segments_are_replaced(app, wave_rows):
    wave_id = wave_rows["wave"]
    with app.app_context():
        _same(app, wave_id)
        # A row committed late into a segment's range: the count check drops the segment.
        first, last, _ = _segments()[1]
        db.session.execute(text("UPDATE wave_segments SET n_source = n_source + 1 WHERE first_id = :f"),
                           {"f": first})
        # A segment of another layout (the questionnaire changed): stale too.
        db.session.execute(text("UPDATE wave_segments SET format = 'old' WHERE first_id = :f"),
                           {"f": _segments()[3][0]})
        db.session.commit()
        _same(app, wave_id)
        assert [n for *_, n in _segments()] == [7] * 5 + [5]
        assert db.session.scalar(select(func.count()).where(WaveSegment.format == "old")) == 0


def test_columns_keep_python_types():
    values = {
        "ints": [1, None, 5, -3],
        "big": [2**70, None, 1, 2],
        "text": ["a", None, "ê", ""],
        "mixed": [1, "na", None, 2.5],
        "lists": [["a", "b"], None, [], ["c"]],
        "bools": [True, False, None, True],
        "floats": [1.0, 2.5, None, 3.0],
        "none": [None] * 4,
    }
    rows = {"_id": [1, 2, 3, 4], "_unit": [1] * 4, "_point": [1] * 4, "_field": [None, 1, 1, 1],
            "_channel": ["online"] * 4, "_mode": ["web"] * 4,
            "_date": [dt.date(2024, 1, 1)] * 4, "answers": list(values.values())}
    table = from_bytes(to_bytes(encode_block(rows, list(values), [9])))
    for name, expected in values.items():
        field = table.schema.field(f"q:{name}")
        column = make_column([(table.column(f"q:{name}").combine_chunks(),
                               field.metadata == {b"enc": b"json"})])
        got = list(column.take(list(range(4))))
        assert got == expected and [type(v) for v in got] == [type(v) for v in expected], name


def test_a_reader_that_deleted_a_response_in_its_own_transaction(app, wave_rows):
    # The trigger locked the segment in the reader's own transaction: the cache writes on
    # their own connection give up quickly instead of waiting for it for ever.
    wave_id = wave_rows["wave"]
    with app.app_context():
        _same(app, wave_id)
        victim = db.session.scalars(select(Response.id).order_by(Response.id).offset(3)).first()
        db.session.execute(delete(Response).where(Response.id == victim))
        wave = db.session.get(Wave, wave_id)
        fast = wave_data.read_wave_frame(wave)
        app.config["WAVE_SEGMENT_ROWS"] = 0
        plain = wave_data.read_wave_frame(wave)
        assert_frame_equal(fast, plain, check_exact=True)
        db.session.rollback()
