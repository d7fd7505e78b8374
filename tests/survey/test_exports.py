"""Reading a wave from the database in chunks, and exporting it (CSV, XLSX, SAV, DTA, CLI)."""

import datetime as dt
import functools
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import event

from analysis.exports import BOM, read_responses_csv
from analysis.sipas.inputs import build_tree, check_populations, check_responses
from analysis.sipas.weighting import design_weights
from survey import cli_exports
from survey.extensions import db
from survey.models import Population, Response, Unit, Wave
from survey.services.exports import (ExportTooLarge, count_responses, export_wave, iter_wave_csv,
                                     iter_wave_frames, read_wave_frame, wave_questionnaire)

META = ["unit_code", "service_point", "service_field", "channel", "unit_name", "mode", "submitted_date"]


@pytest.fixture
def wave_data(app, make_wave, make_unit, make_point, make_field, create_response):
    """A wave with two communes, two fields, populations and 13 synthetic responses."""
    with app.app_context():
        province = make_unit(kind="province", name="Tỉnh Thử")
        a = make_unit(parent=province, name="Xã Ê Đê")
        b = make_unit(parent=province, name="Phường Hòa Bình")
        wave = make_wave(units=[province])
        fields = [make_field(), make_field()]
        points = {a.id: make_point(a), b.id: make_point(b)}
        layout = [(a, 0)] * 5 + [(a, 1)] * 3 + [(b, 0)] * 4 + [(b, None)]
        base = dt.datetime(2024, 5, 1, 3, 0)
        for k, (unit, f) in enumerate(layout):
            create_response(wave, points[unit.id], service_field_id=None if f is None else fields[f].id,
                            submitted_at=base + dt.timedelta(hours=5 * k))
        for unit, f, dossiers in ((a, 0, 500), (a, 1, 30), (b, 0, 800)):
            db.session.add(Population(wave_id=wave.id, unit_id=unit.id, service_field_id=fields[f].id,
                                      dossiers=dossiers))
        db.session.commit()
        return {"wave": wave.id, "a": a.id, "b": b.id, "fields": [x.code for x in fields],
                "codes": (a.code, b.code)}


def _wave(data):
    return db.session.get(Wave, data["wave"])


def _stored(wave, unit_ids=None):
    """Responses in export order: unit, then submission."""
    query = db.select(Response).where(Response.wave_id == wave.id).order_by(Response.unit_id, Response.id)
    rows = db.session.scalars(query).all()
    return [r for r in rows if unit_ids is None or r.unit_id in unit_ids]


def test_frames_come_in_chunks_and_hold_the_stored_answers(app, wave_data):
    with app.app_context():
        wave = _wave(wave_data)
        frames = list(iter_wave_frames(wave, chunk_size=5))
        assert [len(f) for f in frames] == [5, 5, 3]
        frame = pd.concat(frames, ignore_index=True)
        q = wave_questionnaire(wave)
        assert list(frame.columns[:7]) == META
        assert "id" not in frame.columns and "submission_id" not in frame.columns
        for row, stored in zip(frame.to_dict("records"), _stored(wave)):
            assert row["unit_code"] == db.session.get(Unit, stored.unit_id).code
            assert row["channel"] == stored.answers.get("channel")
            for qid, question in q.questions.items():
                if question.type != "note":
                    assert row[qid] == stored.answers.get(qid), qid
        assert frame["unit_name"].tolist() == ["Xã Ê Đê"] * 8 + ["Phường Hòa Bình"] * 5
        assert frame["service_field"].isna().sum() == 1
        assert frame.equals(read_wave_frame(wave))


def test_submitted_date_is_the_date_in_vietnam_without_time(app, wave_data):
    with app.app_context():
        frame = read_wave_frame(_wave(wave_data))
        # 03:00 UTC + 5 h steps; 17:00 UTC and later is the next day in Vietnam (UTC+7).
        expected = [(dt.datetime(2024, 5, 1, 10, 0) + dt.timedelta(hours=5 * k)).date() for k in range(13)]
        assert frame["submitted_date"].tolist() == expected
        assert all(type(d) is dt.date for d in frame["submitted_date"])


def test_frames_can_be_restricted_to_units(app, wave_data):
    with app.app_context():
        wave = _wave(wave_data)
        frame = read_wave_frame(wave, unit_ids={wave_data["b"]})
        assert frame["unit_code"].tolist() == [wave_data["codes"][1]] * 5
        assert count_responses(wave, {wave_data["b"]}) == 5
        assert read_wave_frame(wave, unit_ids=set()).empty


def test_reading_a_wave_is_one_query_whatever_the_chunks(app, wave_data, db_backend):
    # Plain path: on PostgreSQL the rows come through one COPY on the driver's cursor,
    # which SQLAlchemy's events do not see: no statement of the session at all.  Through
    # the columnar cache (wave_segments): a fixed handful before the first chunk (check the
    # segments, load them, the rows no segment holds, units, points, fields), whatever
    # the number of chunks.
    for segment_rows in (0, 50_000, 4):
        app.config["WAVE_SEGMENT_ROWS"] = segment_rows
        app.config["WAVE_SEGMENT_MARGIN"] = 0
        with app.app_context():
            list(iter_wave_frames(_wave(wave_data)))        # builds the segments (when on)
            db.session.commit()
            wave = _wave(wave_data)
            wave_questionnaire(wave)
            statements = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                chunks = iter_wave_frames(wave, chunk_size=2)
                first = next(chunks)
                expected = len(statements)
                if segment_rows == 0:
                    assert expected == (1 if db_backend == "sqlite" else 0)
                else:
                    assert 4 <= expected <= 6
                assert len(first) == 2
                rest = list(chunks)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            assert [len(f) for f in rest] == [2] * 5 + [1]
            assert len(statements) == expected


def test_a_reader_abandoned_half_way_leaves_the_session_usable(app, wave_data):
    # A download dropped by the client: the reader is closed after one chunk.
    with app.app_context():
        wave = _wave(wave_data)
        chunks = iter_wave_frames(wave, chunk_size=2)
        assert len(next(chunks)) == 2
        chunks.close()
        assert count_responses(wave) == 13
        assert len(read_wave_frame(wave)) == 13


def test_csv_export_round_trips_with_design_weights(app, wave_data):
    with app.app_context():
        wave = _wave(wave_data)
        buf = io.BytesIO()
        assert export_wave(wave, "csv", buf, chunk_size=4) == 13
        data = buf.getvalue()
        assert data.startswith(BOM)
        q = wave_questionnaire(wave)
        back = read_responses_csv(io.BytesIO(data), q)
        frame = read_wave_frame(wave)
        assert back["row"].tolist() == list(range(1, 14))
        for col in frame.columns:
            assert back[col].tolist() == frame[col].tolist(), col
        # The weights are the SIPAS design weights of the same responses.
        units = pd.DataFrame({"code": list(wave_data["codes"]), "parent_code": [None, None]})
        tree = build_tree(units)
        pops = check_populations(pd.DataFrame({
            "unit_code": [wave_data["codes"][0]] * 2 + [wave_data["codes"][1]],
            "service_field": [wave_data["fields"][0], wave_data["fields"][1], wave_data["fields"][0]],
            "dossiers": [500, 30, 800]}), tree)
        responses, index = check_responses(frame, tree)
        expected, _ = design_weights(responses, index, pops, tree)
        np.testing.assert_allclose(back["weight"].to_numpy(float), expected.weights)
        assert back["weight"].tolist()[:8] == [100.0] * 5 + [10.0] * 3
        # Unit b: the response without a field is pooled into the unit: 800 / 5.
        assert back["weight"].tolist()[8:] == [160.0] * 5


def test_wave_without_dossier_counts_weighs_every_response_the_same(app, wave_data):
    # The same rule as the dashboard and the reports (reports.wave_inputs): no populations
    # at all means one "dossier" per response, not missing weights.
    from survey.services.reports import wave_inputs

    with app.app_context():
        wave = _wave(wave_data)
        db.session.execute(db.delete(Population).where(Population.wave_id == wave.id))
        db.session.commit()
        buf = io.BytesIO()
        assert export_wave(wave, "csv", buf) == 13
        back = read_responses_csv(io.BytesIO(buf.getvalue()), wave_questionnaire(wave))
        assert back["weight"].tolist() == [1.0] * 13
        inputs = wave_inputs(wave)
        assert inputs.unweighted and inputs.populations["dossiers"].sum() == 13


def test_csv_stream_is_lazy(app, wave_data):
    with app.app_context():
        wave = _wave(wave_data)
        pieces = iter_wave_csv(wave, chunk_size=3)
        header = next(pieces)
        assert header.startswith(BOM) and header.count(b"\r\n") == 1
        assert next(pieces).count(b"\r\n") == 3
        assert [p.count(b"\r\n") for p in pieces] == [3, 3, 3, 1]


def test_csv_exports_stream_from_the_database_not_the_whole_wave_cache(app, wave_data, monkeypatch,
                                                                      tmp_path):
    """The columnar cache holds a whole wave in memory; the CSV export must not use it, so
    that its memory stays flat at any size (the cached rows would be the same)."""
    from survey.services import wave_segments

    def whole_wave(*args, **kwargs):
        raise AssertionError("the CSV export read the whole wave's cache")

    app.config["WAVE_SEGMENT_ROWS"] = 2
    with app.app_context():
        wave = _wave(wave_data)
        expected = b"".join(iter_wave_csv(wave, chunk_size=3))
        monkeypatch.setattr(wave_segments, "wave_store", whole_wave)
        assert b"".join(iter_wave_csv(wave, chunk_size=3)) == expected
        export_wave(wave, "csv", tmp_path / "wave.csv", chunk_size=3)
        assert (tmp_path / "wave.csv").read_bytes() == expected
        with pytest.raises(AssertionError, match="whole wave"):
            list(iter_wave_frames(wave, chunk_size=3))      # the analysis's path does use it


def test_sav_and_dta_hold_codes_and_vietnamese_labels(app, wave_data, tmp_path):
    with app.app_context():
        wave = _wave(wave_data)
        stored = _stored(wave)
        stored[0].answers = {**stored[0].answers, "access_info": "na"}
        db.session.commit()
        frame = read_wave_frame(wave)
        read_sav = functools.partial(pyreadstat.read_sav, user_missing=True)
        for fmt, reader in (("sav", read_sav), ("dta", pyreadstat.read_dta)):
            path = tmp_path / f"wave.{fmt}"
            assert export_wave(wave, fmt, path) == 13
            df, meta = reader(str(path))
            assert len(df) == 13
            labels = meta.column_names_to_labels
            assert labels["unit_name"] == "Tên đơn vị"
            assert labels["weight"].startswith("Trọng số")
            assert df["access_info"].iloc[0] == 9
            assert meta.variable_value_labels["access_info"][9] == "Không có ý kiến"
            assert meta.variable_value_labels["overall_satisfaction"][5] == "Rất hài lòng"
            present = frame["overall_satisfaction"].notna()
            assert df.loc[present, "overall_satisfaction"].tolist() == frame.loc[present, "overall_satisfaction"].tolist()
            assert df["unit_name"].tolist() == frame["unit_name"].tolist()
            assert df["submitted_date"].tolist() == frame["submitted_date"].tolist()
            if fmt == "sav":
                # SPSS knows 9 is "no opinion", not a score: it is declared user-missing.
                assert meta.missing_ranges["access_info"] == [{"lo": 9.0, "hi": 9.0}]
                assert np.isnan(pyreadstat.read_sav(str(path))[0]["access_info"].iloc[0])


def test_in_memory_formats_refuse_large_waves(app, wave_data, tmp_path):
    with app.app_context():
        wave = _wave(wave_data)
        with pytest.raises(ExportTooLarge) as info:
            export_wave(wave, "sav", tmp_path / "x.sav", max_rows=12)
        assert (info.value.rows, info.value.limit) == (13, 12)
        assert "CSV" in str(info.value)
        assert not (tmp_path / "x.sav").exists()
        app.config["EXPORT_MAX_ROWS_IN_MEMORY"] = 5
        with pytest.raises(ExportTooLarge):
            export_wave(wave, "dta", tmp_path / "x.dta")
        assert export_wave(wave, "dta", tmp_path / "x.dta", unit_ids={wave_data["b"]}) == 5


def test_xlsx_neutralises_formulas_in_comments(app, wave_data, tmp_path):
    with app.app_context():
        wave = _wave(wave_data)
        stored = _stored(wave)
        stored[0].answers = {**stored[0].answers, "comments": '=HYPERLINK("http://x","bấm")'}
        stored[1].answers = {**stored[1].answers, "comments": "@SUM(1+1)\x1b"}
        db.session.commit()
        path = tmp_path / "wave.xlsx"
        export_wave(wave, "xlsx", path)
        ws = openpyxl.load_workbook(path).worksheets[0]
        header = [c.value for c in ws[1]]
        col = header.index("comments") + 1
        assert ws.cell(2, col).value == '=HYPERLINK("http://x","bấm")'
        assert ws.cell(2, col).data_type == "s"
        assert ws.cell(3, col).value == "@SUM(1+1)"
        with zipfile.ZipFile(path) as z:
            assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_empty_wave_exports_header_only(app, make_wave, tmp_path):
    with app.app_context():
        wave = db.session.get(Wave, make_wave().id)
        buf = io.BytesIO()
        assert export_wave(wave, "csv", buf) == 0
        lines = buf.getvalue().split(b"\r\n")
        assert lines[0].startswith(BOM + b"row,unit_code,") and lines[1:] == [b""]
        assert export_wave(wave, "xlsx", tmp_path / "e.xlsx") == 0
        ws = openpyxl.load_workbook(tmp_path / "e.xlsx").worksheets[0]
        assert ws.max_row == 1
        for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
            assert export_wave(wave, fmt, tmp_path / f"e.{fmt}") == 0
            df, meta = reader(str(tmp_path / f"e.{fmt}"))
            assert len(df) == 0 and "overall_satisfaction" in df.columns


def test_cli_exports_a_wave(app, wave_data, tmp_path):
    cli_exports.init_app(app)
    runner = app.test_cli_runner()
    with app.app_context():
        code = _wave(wave_data).code
    out = tmp_path / "dot1.csv"
    result = runner.invoke(args=["export", "--wave", code, "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "13" in result.output
    assert out.read_bytes().startswith(BOM)
    book = pd.read_csv(tmp_path / "dot1.codebook.csv", encoding="utf-8-sig")
    assert list(book.columns[:3]) == ["Biến", "Nhãn biến", "Kiểu"]
    result = runner.invoke(args=["export", "--wave", code, "--format", "sav", "--lang", "en",
                                 "-o", str(tmp_path / "d.sav"), "--unit", wave_data["codes"][0]])
    assert result.exit_code == 0, result.output
    df, meta = pyreadstat.read_sav(str(tmp_path / "d.sav"))
    assert len(df) == 8 and meta.column_names_to_labels["unit_name"] == "Unit name"
    result = runner.invoke(args=["export", "--wave", "NOPE", "--format", "csv", "-o", str(out)])
    assert result.exit_code != 0 and "NOPE" in result.output
    result = runner.invoke(args=["export", "--wave", code, "--format", "sav", "--max-rows", "3",
                                 "-o", str(tmp_path / "big.sav")])
    assert result.exit_code != 0 and "13" in result.output
    assert not (tmp_path / "big.sav").exists() and not (tmp_path / "big.sav.part").exists()
    # The two exports written (not the refused ones) are in the audit log.
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.wave_code, e.details["format"], e.details["rows"]) for e in events] == [
            ("export.downloaded", code, "csv", 13), ("export.downloaded", code, "sav", 8)]
        assert events[1].details["units"] == [wave_data["codes"][0]] and events[1].actor_id is None


def _set_channels(wave, channels):
    """Give the stored responses (in export order) these ``Response.channel`` values."""
    for response, channel in zip(_stored(wave), channels):
        response.channel = channel
    db.session.commit()


def test_frames_and_exports_can_be_restricted_to_a_field_and_channel(app, wave_data, tmp_path):
    with app.app_context():
        wave = _wave(wave_data)
        # Export order: a (f0 ×5, f1 ×3), b (f0 ×4, none ×1).
        _set_channels(wave, ["online", "in_person", "online", "post", "online",
                             "online", "in_person", "in_person",
                             "online", "online", "in_person", "post", "online"])
        f0, f1 = wave_data["fields"]
        frames = list(iter_wave_frames(wave, service_field=f0))
        frame = pd.concat(frames, ignore_index=True)
        assert frame["service_field"].tolist() == [f0] * 9
        frame = pd.concat(iter_wave_frames(wave, chunk_size=2, channel="online"), ignore_index=True)
        assert len(frame) == 7
        frame = pd.concat(iter_wave_frames(wave, service_field=f0, channel="online",
                                           unit_ids={wave_data["a"]}), ignore_index=True)
        assert len(frame) == 3 and set(frame["unit_code"]) == {wave_data["codes"][0]}
        assert count_responses(wave, service_field=f0, channel="online") == 5
        assert count_responses(wave, {wave_data["b"]}, channel="post") == 1
        assert count_responses(wave, service_field=f1, channel="post") == 0

        # The filtered rows keep the weights they have in the whole file.
        whole, part = io.BytesIO(), io.BytesIO()
        export_wave(wave, "csv", whole)
        assert export_wave(wave, "csv", part, service_field=f0, channel="online") == 5
        q = wave_questionnaire(wave)
        whole = read_responses_csv(io.BytesIO(whole.getvalue()), q)
        part = read_responses_csv(io.BytesIO(part.getvalue()), q)
        assert part["weight"].tolist() == [100.0, 100.0, 100.0, 160.0, 160.0]
        keep = [0, 2, 4, 8, 9]
        assert part["weight"].tolist() == whole["weight"].iloc[keep].tolist()
        streamed = b"".join(iter_wave_csv(wave, service_field=f1, channel="in_person"))
        assert len(read_responses_csv(io.BytesIO(streamed), q)) == 2
        for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
            assert export_wave(wave, fmt, tmp_path / f"f.{fmt}", channel="in_person") == 4
            assert len(reader(str(tmp_path / f"f.{fmt}"))[0]) == 4
        assert export_wave(wave, "xlsx", tmp_path / "f.xlsx", service_field=f1) == 3
        assert export_wave(wave, "csv", io.BytesIO(), channel="post", service_field=f1) == 0


def test_unknown_field_or_channel_is_refused(app, wave_data):
    with app.app_context():
        wave = _wave(wave_data)
        with pytest.raises(ValueError, match="NOPE"):
            list(iter_wave_frames(wave, service_field="NOPE"))
        with pytest.raises(ValueError, match="fax"):
            count_responses(wave, channel="fax")


def test_english_exports_use_the_english_unit_names(app, wave_data, tmp_path):
    with app.app_context():
        wave = _wave(wave_data)
        db.session.get(Unit, wave_data["a"]).name_en = "Ê Đê Commune"
        db.session.get(Unit, wave_data["b"]).name_en = "  "       # blank: the Vietnamese name
        db.session.commit()
        q = wave_questionnaire(wave)
        expected = ["Ê Đê Commune"] * 8 + ["Phường Hòa Bình"] * 5
        buf = io.BytesIO()
        export_wave(wave, "csv", buf, lang="en")
        assert read_responses_csv(io.BytesIO(buf.getvalue()), q)["unit_name"].tolist() == expected
        streamed = b"".join(iter_wave_csv(wave, lang="en"))
        assert read_responses_csv(io.BytesIO(streamed), q)["unit_name"].tolist() == expected
        export_wave(wave, "sav", tmp_path / "en.sav", lang="en")
        assert pyreadstat.read_sav(str(tmp_path / "en.sav"))[0]["unit_name"].tolist() == expected
        # Vietnamese exports keep the Vietnamese names.
        vi = b"".join(iter_wave_csv(wave))
        assert read_responses_csv(io.BytesIO(vi), q)["unit_name"].tolist() == (
            ["Xã Ê Đê"] * 8 + ["Phường Hòa Bình"] * 5)


def test_cli_writes_the_units_and_populations_files(app, wave_data, tmp_path):
    cli_exports.init_app(app)
    runner = app.test_cli_runner()
    with app.app_context():
        code = _wave(wave_data).code
    a, b = wave_data["codes"]
    result = runner.invoke(args=["export", "--wave", code, "--format", "csv", "-o",
                                 str(tmp_path / "r.csv"), "--unit", a,
                                 "--units-file", str(tmp_path / "u.csv"),
                                 "--populations-file", str(tmp_path / "p.csv")])
    assert result.exit_code == 0, result.output
    units = pd.read_csv(tmp_path / "u.csv")
    assert list(units.columns) == ["code", "name", "name_en", "kind", "parent_code"]
    assert list(units["code"]) == [a] and units["parent_code"].isna().all()   # the root
    pops = pd.read_csv(tmp_path / "p.csv")
    assert list(pops.columns) == ["unit_code", "service_field", "dossiers"]
    assert sorted(pops["dossiers"]) == [30, 500] and set(pops["unit_code"]) == {a}
    # the exported rows carry stratum and fpc = N_h beside the weight
    frame = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    assert {"weight", "stratum", "fpc"} <= set(frame.columns)
    assert set(frame["fpc"]) == {500.0, 30.0}
    assert all(s.startswith(a + "|") for s in frame["stratum"])
