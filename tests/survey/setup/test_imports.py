"""The set-up importers: every problem of a broken file listed and nothing written;
re-imports change nothing; updates are shown; units are retired, never deleted."""

import datetime as dt
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from survey.extensions import db
from survey.models import Population, ServiceField, ServicePoint, Unit, Wave
from survey.services import setup_files
from survey.services.setup_tree import import_fields, import_points, import_units
from survey.services.setup_waves import import_populations, import_waves

from .helpers import UNITS, counts, csv_bytes, problems, units_csv, xlsx_bytes

UNIT_HEADER = "code,name,name_en,kind,parent_code"

BROKEN_UNITS = [
    ("wrong columns", csv_bytes("code,name,kind,parent,extra", "VD,Tỉnh,province,,"),
     [(1, "extra", "unknown_column"), (1, "parent", "unknown_column"),
      (1, "parent_code", "missing_column")]),
    ("bad encoding", f"{UNIT_HEADER}\nVD,Tỉnh Hà,,province,\n".encode("utf-8")[:40] + "Hà".encode("latin-1"),
     [(2, None, "not_utf8")]),
    ("cycle", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "A,Xã A,,commune,B", "B,Xã B,,commune,A"),
     [(3, "parent_code", "cycle")]),
    ("own parent", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "A,Xã A,,commune,A"),
     [(3, "parent_code", "cycle")]),
    ("duplicate code", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "A,Xã A,,commune,VD", "A,Xã A2,,commune,VD"),
     [(4, "code", "duplicate_code")]),
    ("unknown parent", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "A,Xã A,,commune,ZZ"),
     [(3, "parent_code", "unknown_parent")]),
    ("second root", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "VE,Tỉnh khác,,province,"),
     [(3, "parent_code", "second_root")]),
    ("no root", csv_bytes(UNIT_HEADER, "A,Xã A,,commune,B", "B,Xã B,,commune,A"),
     [(None, "parent_code", "no_root"), (2, "parent_code", "cycle")]),
    ("empty file", b"", [(None, None, "empty_file")]),
    ("only blank lines", b"\n\n\r\n", [(None, None, "empty_file")]),
    ("header only", csv_bytes(UNIT_HEADER), [(None, None, "no_rows")]),
    ("missing values and bad code", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "x y,,,commune,VD"),
     [(3, "code", "bad_code"), (3, "name", "required")]),
    ("formula", csv_bytes(UNIT_HEADER, "VD,=HYPERLINK(\"http://x\"),,province,"),
     [(2, "name", "formula")]),
    ("a bad cell does not hide other problems",
     csv_bytes(UNIT_HEADER, "VD,@SUM(1),,province,", "A,Xã A,,commune,VD", "A,Xã A,,commune,VD"),
     [(2, "name", "formula"), (4, "code", "duplicate_code")]),
    ("control character", csv_bytes(UNIT_HEADER, "VD,Tỉnh\x00,,province,"),
     [(2, "name", "bad_characters")]),
    ("too long", csv_bytes(UNIT_HEADER, "VD," + "a" * 256 + ",,province,"),
     [(2, "name", "too_long")]),
    ("extra cells", csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,,surplus"),
     [(2, None, "extra_cells")]),
    ("old Excel", None, [(None, None, "unsupported_type")]),
    ("broken xlsx", b"PK\x03\x04 not really a zip", [(None, None, "unreadable_xlsx")]),
    ("xlsx formula and error", xlsx_bytes([UNIT_HEADER.split(","), ["VD", "=1+1", None, "province", None],
                                           ["A", "Xã A", None, True, "VD"]]),
     [(2, "name", "formula"), (3, "kind", "strange_cell")]),
]


@pytest.mark.parametrize("case, data, expected", BROKEN_UNITS, ids=[c[0] for c in BROKEN_UNITS])
def test_broken_unit_files_list_every_problem_and_write_nothing(app, make_unit, case, data, expected):
    make_unit("KEEP", kind="province")
    filename = "units.xls" if case == "old Excel" else ("units.xlsx" if data and data.startswith(b"PK") else "units.csv")
    with app.app_context():
        before = counts()
        plan = import_units(b"x" if data is None else data, filename, apply=True)
        assert problems(plan) == expected
        assert not plan.applied and plan.changes == []
        assert counts() == before
        # Every problem has a message in both languages.
        for lang in ("vi", "en"):
            with force_locale(lang):
                assert all(p.message and "%(" not in p.message for p in plan.problems)


def test_a_cycle_names_its_path(app):
    with app.app_context():
        plan = import_units(csv_bytes(UNIT_HEADER, "VD,Tỉnh,,province,", "A,Xã A,,commune,B",
                                      "B,Xã B,,commune,C", "C,Xã C,,commune,A"), "u.csv")
        assert [p.params["path"] for p in plan.problems] == ["A → B → C → A"]
        with force_locale("vi"):
            assert "A → B → C → A" in plan.problems[0].message


def test_messages_are_vietnamese_by_default(app):
    with app.test_request_context():
        plan = import_units(csv_bytes("code,name", "A,B"), "u.csv")
        assert plan.problems[0].message.startswith("Thiếu cột này")


@pytest.fixture
def province(app, make_wave, make_field):
    """Units VD (VD-STP, VD-X01, VD-X02), fields TP and DD, a wave W over VD."""
    with app.app_context():
        assert import_units(units_csv(), "u.csv", apply=True).applied
    make_field("TP")
    make_field("DD")
    with app.app_context():
        root_id = db.session.scalar(select(Unit.id).where(Unit.code == "VD"))
        db.session.add(Unit(code="OTHER", name="Tỉnh khác", kind="province"))
        db.session.commit()
    return make_wave("W", units=[SimpleNamespace(id=root_id)], status="draft")


POP_HEADER = "unit_code,field_code,dossiers"
BROKEN_POPULATIONS = [
    ("negative dossiers", csv_bytes(POP_HEADER, "VD-X01,TP,-5"), [(2, "dossiers", "negative")]),
    ("non-integer dossiers", csv_bytes(POP_HEADER, "VD-X01,TP,12.5", "VD-X02,TP,mười"),
     [(2, "dossiers", "not_integer"), (3, "dossiers", "not_integer")]),
    ("unknown field", csv_bytes(POP_HEADER, "VD-X01,XX,10"), [(2, "field_code", "unknown_field")]),
    ("unknown unit", csv_bytes(POP_HEADER, "VD-X99,TP,10"), [(2, "unit_code", "unknown_unit")]),
    ("unit outside the wave", csv_bytes(POP_HEADER, "OTHER,TP,10"), [(2, "unit_code", "unit_out_of_scope")]),
    ("duplicate cell", csv_bytes(POP_HEADER, "VD-X01,TP,10", "VD-X01,TP,11"), [(3, "field_code", "duplicate_cell")]),
    ("empty dossiers", csv_bytes(POP_HEADER, "VD-X01,TP,"), [(2, "dossiers", "required")]),
    ("wrong columns", csv_bytes("unit,field_code,dossiers", "VD-X01,TP,1"),
     [(1, "unit", "unknown_column"), (1, "unit_code", "missing_column")]),
]


@pytest.mark.parametrize("case, data, expected", BROKEN_POPULATIONS, ids=[c[0] for c in BROKEN_POPULATIONS])
def test_broken_population_files(app, province, case, data, expected):
    with app.app_context():
        before = counts()
        plan = import_populations("W", data, "p.csv", apply=True)
        assert problems(plan) == expected
        assert counts() == before


def test_populations_of_an_unknown_wave(app, province):
    with app.app_context():
        plan = import_populations("NOPE", csv_bytes(POP_HEADER, "VD-X01,TP,1"), "p.csv", apply=True)
        assert problems(plan) == [(None, None, "unknown_wave")]


def test_cells_with_responses_need_a_population(app, province, create_response, make_point):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "VD-X01"))
        field = db.session.scalar(select(ServiceField).where(ServiceField.code == "DD"))
    point = make_point(unit, code="VD-X01-1")
    create_response(province, point, service_field_id=field.id)
    with app.app_context():
        plan = import_populations("W", csv_bytes(POP_HEADER, "VD-X01,TP,10"), "p.csv")
        assert problems(plan) == [(None, "dossiers", "missing_population")]
        assert plan.problems[0].params == {"unit": "VD-X01", "field": "DD"}


def test_populations_create_update_remove_and_reimport(app, province):
    first = csv_bytes(POP_HEADER, "VD-X01,TP,10", "VD-X01,DD,0", "VD-X02,TP,7", bom=True)
    with app.app_context():
        plan = import_populations("W", first, "p.csv", apply=True)
        assert plan.applied and plan.counts["created"] == 3
        again = import_populations("W", first, "p.csv", apply=True)
        assert not again.has_changes and not again.applied and again.counts["unchanged"] == 3
        second = csv_bytes(POP_HEADER, "VD-X01,TP,12", "VD-X02,TP,7")
        plan = import_populations("W", second, "p.csv")
        assert [(c.kind, c.key, c.diff) for c in plan.changes if c.kind != "unchanged"] == [
            ("updated", "VD-X01 / TP", {"dossiers": (10, 12)}), ("removed", "VD-X01 / DD", {})]
        assert db.session.scalar(select(Population.dossiers).where(Population.dossiers == 10)) == 10
        import_populations("W", second, "p.csv", apply=True)
        assert sorted(db.session.scalars(select(Population.dossiers))) == [7, 12]


def test_reimporting_the_same_units_changes_nothing(app):
    with app.app_context():
        assert import_units(units_csv(), "u.csv", apply=True).counts["created"] == 4
        plan = import_units(units_csv(bom=True), "u.csv", apply=True)
        assert plan.counts == {"created": 0, "updated": 0, "retired": 0, "removed": 0, "unchanged": 4}
        assert not plan.applied


def test_a_changed_row_is_an_update_shown_with_old_and_new(app):
    with app.app_context():
        import_units(units_csv(), "u.csv", apply=True)
        changed = [UNITS[0], UNITS[1], ("VD-X01", "Phường Một", "Ward One", "ward", "VD-STP"), UNITS[3]]
        plan = import_units(units_csv(changed), "u.csv")
        assert [(c.kind, c.key, c.row) for c in plan.changes if c.kind != "unchanged"] == [("updated", "VD-X01", 4)]
        assert plan.changes[2].diff == {"name": ("Xã Một", "Phường Một"), "name_en": (None, "Ward One"),
                                        "kind": ("commune", "ward"), "parent_code": ("VD", "VD-STP")}
        # The preview wrote nothing.
        assert db.session.scalar(select(Unit.name).where(Unit.code == "VD-X01")) == "Xã Một"
        import_units(units_csv(changed), "u.csv", apply=True)
        unit = db.session.scalar(select(Unit).where(Unit.code == "VD-X01"))
        assert (unit.name, unit.kind, unit.parent.code) == ("Phường Một", "ward", "VD-STP")


def test_a_unit_left_out_is_retired_not_deleted_and_comes_back(app, make_point, create_response, make_wave):
    with app.app_context():
        import_units(units_csv(), "u.csv", apply=True)
        other = Unit(code="OTHER", name="Tỉnh khác", kind="province")
        db.session.add(other)
        db.session.commit()
        x02 = db.session.scalar(select(Unit).where(Unit.code == "VD-X02"))
        root = db.session.scalar(select(Unit).where(Unit.code == "VD"))
    point = make_point(x02, code="VD-X02-1")
    create_response(make_wave(units=[root]), point)
    with app.app_context():
        plan = import_units(units_csv(UNITS[:3]), "u.csv", apply=True)
        assert [(c.kind, c.key) for c in plan.changes if c.kind != "unchanged"] == [("retired", "VD-X02")]
        unit = db.session.scalar(select(Unit).where(Unit.code == "VD-X02"))
        assert unit.retired_at is not None
        assert db.session.get(ServicePoint, point.id).active is False
        # Another tree the file does not touch stays as it was.
        assert db.session.scalar(select(Unit).where(Unit.code == "OTHER")).retired_at is None
        # Importing the shorter file again changes nothing; a retired unit takes no new point.
        assert not import_units(units_csv(UNITS[:3]), "u.csv").has_changes
        plan = import_points(csv_bytes("code,name,unit_code", "VD-X02-1,Bàn,VD-X02"), "p.csv")
        assert problems(plan) == [(2, "unit_code", "retired_unit")]
        # Listed again, it is restored.
        plan = import_units(units_csv(), "u.csv", apply=True)
        assert [(c.kind, c.key, c.diff) for c in plan.changes if c.kind != "unchanged"] == [
            ("updated", "VD-X02", {"retired": (True, False)})]
        assert db.session.scalar(select(Unit).where(Unit.code == "VD-X02")).retired_at is None


def test_fields_and_points(app):
    with app.app_context():
        import_units(units_csv(), "u.csv", apply=True)
        fields = csv_bytes("code,name,name_en", "TP,Tư pháp,Justice", "DD,Đất đai,")
        assert import_fields(fields, "f.csv", apply=True).counts["created"] == 2
        plan = import_fields(csv_bytes("code,name", "TP,Tư pháp - hộ tịch"), "f.csv", apply=True)
        assert [(c.kind, c.diff) for c in plan.changes] == [
            ("updated", {"name": ("Tư pháp", "Tư pháp - hộ tịch"), "name_en": ("Justice", None)})]
        # A field the file leaves out is kept.
        assert db.session.scalar(select(ServiceField).where(ServiceField.code == "DD")) is not None
        points = csv_bytes("code,name,unit_code", "VD-X01-1,Bàn một cửa,VD-X01", "VD-X02-1,Bàn,VD-X02")
        assert import_points(points, "p.csv", apply=True).counts["created"] == 2
        plan = import_points(csv_bytes("code,name,unit_code", "VD-X01-1,Bàn một cửa,VD-X02"), "p.csv",
                             apply=True)
        assert [(c.kind, c.key, c.diff) for c in plan.changes] == [
            ("updated", "VD-X01-1", {"unit_code": ("VD-X01", "VD-X02")}), ("retired", "VD-X02-1", {})]
        assert db.session.scalar(select(ServicePoint).where(ServicePoint.code == "VD-X02-1")).active is False
        plan = import_points(csv_bytes("code,name,unit_code", "P1,Bàn,NOPE", "P1,Bàn,VD"), "p.csv")
        assert problems(plan) == [(2, "unit_code", "unknown_unit"), (3, "code", "duplicate_code")]


def test_waves_from_a_file(app):
    header = "code,name,name_en,questionnaire,start,end,units"
    with app.app_context():
        import_units(units_csv(), "u.csv", apply=True)
        data = csv_bytes(header, "W26,Đợt 2026,,sipas,2026-01-01,31/12/2026,VD")
        plan = import_waves(data, "w.csv", apply=True)
        assert plan.applied and plan.counts["created"] == 1
        wave = db.session.scalar(select(Wave).where(Wave.code == "W26"))
        assert (wave.status, wave.ends_on, [u.code for u in wave.units]) == ("draft", dt.date(2026, 12, 31), ["VD"])
        assert wave.questionnaire_version.qid == "sipas"
        assert not import_waves(data, "w.csv").has_changes
        bad = csv_bytes(header, "W27,Đợt,,nope,2026-13-01,2025-01-01,VD NOPE", "W28,Đợt,,sipas,2026-02-01,2026-01-01,")
        assert problems(import_waves(bad, "w.csv", apply=True)) == [
            (2, "questionnaire", "unknown_questionnaire"), (2, "start", "bad_date"),
            (2, "units", "unknown_unit"), (3, "end", "dates_order"), (3, "units", "no_units")]


def test_questionnaire_of_a_wave_with_responses_cannot_change(app, make_wave, create_response):
    from tests.survey.public.helpers import mini_questionnaire

    wave = make_wave("WQ", questionnaire=mini_questionnaire())
    create_response(wave)
    with app.app_context():
        root = db.session.get(Wave, wave.id).units[0].code
        data = csv_bytes("code,name,questionnaire,start,end,units", f"WQ,Đợt,sipas,,,{root}")
        assert problems(import_waves(data, "w.csv", apply=True)) == [(2, "questionnaire", "questionnaire_locked")]


def test_hostile_sizes(app, monkeypatch):
    app.config.update(SETUP_MAX_BYTES=200, SETUP_MAX_ROWS=3)
    with app.app_context():
        assert problems(import_units(units_csv() + b"#" * 200, "u.csv")) == [(None, None, "too_large")]
        rows = [(f"U{i}", "Xã", "", "commune", "VD") for i in range(3)]
        assert problems(import_units(units_csv([UNITS[0], *rows]), "u.csv")) == [(None, None, "too_many_rows")]
    monkeypatch.setattr(setup_files, "MAX_UNPACKED_BYTES", 1000)
    app.config.update(SETUP_MAX_BYTES=10**6)
    with app.app_context():
        bomb = xlsx_bytes([["code"], *[["x" * 100] for _ in range(50)]])
        assert problems(import_units(bomb, "u.xlsx")) == [(None, None, "too_large")]


def test_xlsx_and_semicolons_are_read(app):
    rows = [list(UNIT_HEADER.split(","))] + [list(u) for u in UNITS]
    with app.app_context():
        assert import_units(xlsx_bytes(rows), "u.xlsx", apply=True).counts["created"] == 4
        semicolons = units_csv().replace(b",", b";")
        assert not import_units(semicolons, "u.csv").has_changes


# On SQLite the importer holds the write lock from the start (begin_write): no such race.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_lost_race_is_a_problem_and_writes_nothing(app, monkeypatch):
    """Another writer adds the same code between the plan and its writing."""
    from sqlalchemy import insert

    from survey.services import setup_plan, setup_tree

    def racing_finish(plan, *, apply, details=None):
        if plan.writer is not None:
            write = plan.writer

            def raced():
                with db.engine.begin() as other:
                    other.execute(insert(ServiceField).values(code="TP", name="Tư pháp (khác)"))
                write()

            plan.writer = raced
        return setup_plan.finish(plan, apply=apply, details=details)

    monkeypatch.setattr(setup_tree, "start", lambda apply: None)
    monkeypatch.setattr(setup_tree, "finish", racing_finish)
    with app.app_context():
        plan = import_fields(csv_bytes("code,name", "TP,Tư pháp", "DD,Đất đai"), "f.csv", apply=True)
        assert problems(plan) == [(None, None, "conflict")] and not plan.applied
        assert db.session.scalars(select(ServiceField.name)).all() == ["Tư pháp (khác)"]
