"""The set-up commands: preview, confirmation, --yes, --dry-run, exports and the round trip,
and the README's "Set up your province" walk-through run exactly as written."""

import re
import shlex
from pathlib import Path

import pytest
from sqlalchemy import select

from survey import create_app
from survey.extensions import db
from survey.models import Population, ServicePoint, Unit, Wave
from survey.services.links import find_survey

from .helpers import UNITS, counts, csv_bytes, units_csv

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "docs" / "examples"


def _file(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_previews_asks_and_writes(app, runner, tmp_path):
    path = _file(tmp_path, "units.csv", units_csv())
    result = runner.invoke(args=["units", "import", path, "--lang", "en"], input="n\n")
    assert result.exit_code == 0, result.output
    assert "new: VD-STP" in result.output and "Nothing was written." in result.output
    with app.app_context():
        assert counts()["Unit"] == 0
    result = runner.invoke(args=["units", "import", path, "--dry-run", "--lang", "en"])
    assert "(--dry-run)" in result.output
    with app.app_context():
        assert counts()["Unit"] == 0
    result = runner.invoke(args=["units", "import", path, "--lang", "en"], input="y\n")
    assert result.exit_code == 0 and "Written." in result.output
    with app.app_context():
        assert counts()["Unit"] == 4
    result = runner.invoke(args=["units", "import", path, "--lang", "en"])
    assert result.exit_code == 0 and "Nothing changes" in result.output


def test_a_broken_file_fails_with_every_problem(app, runner, tmp_path):
    path = _file(tmp_path, "units.csv", units_csv([*UNITS, ("VD", "Lặp", "", "commune", "NOPE")]))
    result = runner.invoke(args=["units", "import", path, "--yes", "--lang", "en"])
    assert result.exit_code == 1
    assert "row 6, column code: The code “VD” already appears in row 2." in result.output
    assert "row 6, column parent_code: There is no unit “NOPE” in the file" in result.output
    assert "Nothing was written." in result.output
    with app.app_context():
        assert counts()["Unit"] == 0


def test_update_is_shown_in_the_preview(app, runner, tmp_path):
    runner.invoke(args=["units", "import", _file(tmp_path, "a.csv", units_csv()), "--yes"])
    changed = [UNITS[0], ("VD-STP", "Sở Tư pháp tỉnh Ví Dụ", "Department of Justice", "department", "VD"),
               *UNITS[2:]]
    result = runner.invoke(args=["units", "import", _file(tmp_path, "b.csv", units_csv(changed)),
                                 "--dry-run", "--lang", "en"])
    assert "changed: VD-STP (name: Sở Tư pháp → Sở Tư pháp tỉnh Ví Dụ)" in result.output


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip_export_then_import_changes_nothing(app, runner, tmp_path, suffix):
    for table, name in (("units", "units.csv"), ("fields", "fields.csv"), ("points", "points.csv")):
        result = runner.invoke(args=[table, "import", str(EXAMPLES / name), "--yes"])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["waves", "import", str(EXAMPLES / "waves.csv"), "--yes"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["populations", "import", "--wave", "VD-2026",
                                 str(EXAMPLES / "populations.csv"), "--yes"])
    assert result.exit_code == 0, result.output
    exports = [("units", []), ("fields", []), ("points", []), ("waves", []),
               ("populations", ["--wave", "VD-2026"])]
    for table, extra in exports:
        out = tmp_path / f"{table}.{suffix}"
        result = runner.invoke(args=[table, "export", *extra, "-o", str(out)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=[table, "import", *extra, str(out), "--lang", "en"])
        assert result.exit_code == 0, result.output
        assert "Nothing changes" in result.output, (table, result.output)
    if suffix == "csv":
        # The exported units are the sample file's rows (parents first, then by code).
        exported = (tmp_path / "units.csv").read_text(encoding="utf-8-sig").splitlines()
        sample = (EXAMPLES / "units.csv").read_text(encoding="utf-8-sig").splitlines()
        assert exported[:2] == sample[:2] and sorted(exported) == sorted(sample)


def test_units_export_needs_a_root_when_there_are_several_trees(app, runner, tmp_path):
    runner.invoke(args=["units", "import", _file(tmp_path, "a.csv", units_csv()), "--yes"])
    runner.invoke(args=["units", "import", _file(tmp_path, "b.csv", csv_bytes(
        "code,name,kind,parent_code", "OTHER,Tỉnh khác,province,")), "--yes"])
    result = runner.invoke(args=["units", "export", "-o", str(tmp_path / "u.csv")])
    assert result.exit_code == 1 and "--root" in result.output
    result = runner.invoke(args=["units", "export", "--root", "VD", "-o", str(tmp_path / "u.csv")])
    assert result.exit_code == 0 and "4 rows" in result.output


def test_waves_create_open_close(app, runner, tmp_path, monkeypatch):
    runner.invoke(args=["units", "import", _file(tmp_path, "a.csv", units_csv()), "--yes"])
    runner.invoke(args=["points", "import", _file(tmp_path, "p.csv", csv_bytes(
        "code,name,unit_code", "VD-X01-1,Bàn một cửa,VD-X01")), "--yes"])
    create = ["waves", "create", "--code", "W1", "--name", "Đợt 1", "--questionnaire", "sipas",
              "--unit", "VD", "--yes", "--lang", "en"]
    result = runner.invoke(args=create)
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=create)
    assert result.exit_code == 1 and "already exists" in result.output
    monkeypatch.setenv("PORT", "5077")
    result = runner.invoke(args=["waves", "open", "W1", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5077/s/W1/VD-X01-1" in result.output
    result = runner.invoke(args=["waves", "open", "W1", "--lang", "en"])
    assert result.exit_code == 1 and "already open" in result.output
    assert runner.invoke(args=["waves", "close", "W1"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(Wave.status)) == "closed"
    result = runner.invoke(args=["waves", "open", "NOPE", "--lang", "en"])
    assert result.exit_code == 1 and "no survey wave" in result.output


def _readme_walkthrough() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up your province", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line)[3:] for line in block.splitlines() if line.startswith("flask --app wsgi ")]


def test_readme_walkthrough_from_an_empty_database(fresh_database, monkeypatch):
    """Runs the README's commands, in order, on a brand-new database."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": fresh_database()})
    runner = app.test_cli_runner()
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PORT", raising=False)
    commands = _readme_walkthrough()
    assert [c[:2] for c in commands] == [["db-upgrade"], ["units", "import"], ["fields", "import"],
                                         ["points", "import"], ["waves", "create"],
                                         ["populations", "import"], ["waves", "open"]]
    output = ""
    for args in commands:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        output += result.output
    link = "http://127.0.0.1:5000/s/VD-2026/VD-P01-1"
    assert link in output and link in (ROOT / "README.md").read_text(encoding="utf-8")
    with app.app_context():
        wave, point = find_survey("VD-2026", "VD-P01-1")
        assert wave.status == "open" and point.unit.code == "VD-P01"
        assert db.session.scalar(select(Unit).where(Unit.parent_id.is_(None))).name.endswith("(dữ liệu minh hoạ)")
        assert len(db.session.scalars(select(ServicePoint)).all()) == 9
        assert sum(db.session.scalars(select(Population.dossiers))) > 0
        db.engine.dispose()
