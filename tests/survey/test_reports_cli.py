"""The report commands on the demo province: one unit, bulk, defaults, errors."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from survey import cli_reports, create_app
from survey.demo import build_demo
from survey.extensions import db
from survey.models import Unit, Wave
from survey.services import reports


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo province (SQLite file) with two new communes that have no responses."""
    path = tmp_path_factory.mktemp("reports") / "demo.sqlite3"
    # Freshness 0: a unit added by a test is seen at once (the documented bound is a minute).
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "RESULTS_CACHE_FRESHNESS": 0})
    if "report" not in app.cli.commands:       # until the factory registers them
        cli_reports.init_app(app)
    build_demo(app, responses=1500, seed=5)
    with app.app_context():
        root = db.session.scalar(select(Unit).where(Unit.code == "MH"))
        db.session.add_all([Unit(code=c, name=n, kind="new_commune", parent_id=root.id)
                            for c, n in (("MH-NEW-1", "Xã Ngọc Lặc"), ("MH-NEW-2", "Xã Đắk Mil"))])
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_report_defaults_to_the_top_unit_and_the_latest_wave(demo, tmp_path):
    out = tmp_path / "tinh.pdf"
    result = demo.test_cli_runner().invoke(args=["report", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "MH" in result.output and "2026" in result.output
    text = _text(out.read_bytes())
    assert "Tỉnh Minh Hoà (dữ liệu mẫu)" in text
    assert "Xếp hạng các đơn vị trực thuộc" in text and "Sở Tư pháp" in text
    assert "Xã Ngọc Lặc không xếp hạng" not in text
    # no rank, no interval of likely ranks, no data
    assert re.search(r"không xếp hạng – Xã (Ngọc Lặc|Đắk Mil) không có dữ liệu", text)
    with demo.app_context():
        idx = reports.wave_result(db.session.scalar(select(Wave).where(Wave.code == "2026"))).indices
        overall = idx[(idx.unit_code == "MH") & (idx.kind == "overall")].iloc[0].value
    assert f"{overall:.2f}".replace(".", ",") + "%" in text
    with demo.app_context():
        from survey.models import AuditEvent

        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.unit_code, event.wave_code) == ("report.downloaded", "MH", "2026")
        assert event.details == {"format": "pdf", "lang": "vi", "via": "cli"}


def test_report_of_one_unit_in_english_with_a_comparison(demo, tmp_path):
    out = tmp_path / "xa.pdf"
    result = demo.test_cli_runner().invoke(args=[
        "report", "--unit", "MH-X05", "--wave", "2026", "--compare", "2026", "--lang", "en",
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert "Xã Tân Phú" in text and "Satisfaction Index of Public Administrative Services" in text
    assert "Compared with" in text and "unchanged" in text      # the same wave: no rank change
    assert "Báo cáo kết quả" not in text


def test_a_unit_without_responses_gets_the_short_report(demo, tmp_path):
    out = tmp_path / "empty.pdf"
    result = demo.test_cli_runner().invoke(args=["report", "--unit", "MH-NEW-1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 3
    assert "Chưa có phiếu khảo sát" in _text(pdf) and "Xã Ngọc Lặc" in _text(pdf)


@pytest.mark.parametrize("args, message", [
    (["report", "--unit", "NOPE"], "Unknown unit 'NOPE'"),
    (["report", "--wave", "1999"], "Unknown wave '1999'"),
    (["report", "--lang", "fr"], "Invalid value for '--lang'"),
    (["report-bulk", "--wave", "2026"], "exactly one of --level and --parent"),
    (["report-bulk", "--level", "commune", "--parent", "MH"], "exactly one of --level and --parent"),
    (["report-bulk", "--level", "galaxy"], "No unit matches"),
    (["report-bulk", "--level", "commune", "--workers", "0"], "Invalid value for '--workers'"),
])
def test_bad_arguments_are_explained(demo, tmp_path, args, message):
    result = demo.test_cli_runner().invoke(args=args + ["-o", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x").exists() or (tmp_path / "x").is_dir()


def test_bulk_reports_by_level(demo, tmp_path):
    runner = demo.test_cli_runner()
    result = runner.invoke(args=["report-bulk", "--level", "new_commune", "-o", str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "new").iterdir())
    assert files == ["bao-cao_MH-NEW-1_2026_vi.pdf", "bao-cao_MH-NEW-2_2026_vi.pdf"]
    assert "Xã Đắk Mil" in _text((tmp_path / "new" / files[1]).read_bytes())

    result = runner.invoke(args=["report-bulk", "--wave", "2026", "--level", "centre",
                                 "--lang", "en", "-o", str(tmp_path / "centre")])
    assert result.exit_code == 0, result.output
    assert "1 reports" in result.output
    (pdf,) = (tmp_path / "centre").iterdir()
    assert pdf.name == "bao-cao_MH-TTHCC_2026_en.pdf"
    assert "Provincial Public Administration Service Centre" in _text(pdf.read_bytes())


def test_bulk_reports_with_two_workers_match_one_worker(demo, tmp_path):
    runner = demo.test_cli_runner()
    texts = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        result = runner.invoke(args=["report-bulk", "--level", "new_commune", "--workers", workers,
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "2/2" in result.output and "2 reports" in result.output     # the progress bar
        texts[workers] = {p.name: _text(p.read_bytes()) for p in out.iterdir()}
    assert sorted(texts["2"]) == ["bao-cao_MH-NEW-1_2026_vi.pdf", "bao-cao_MH-NEW-2_2026_vi.pdf"]
    assert texts["2"] == texts["1"]
    assert "Xã Ngọc Lặc" in texts["2"]["bao-cao_MH-NEW-1_2026_vi.pdf"]


def test_a_report_failing_in_a_worker_names_the_unit(demo, tmp_path, monkeypatch):
    build = reports._report_context

    def broken(result, prev, unit_code, *args):
        ctx = build(result, prev, unit_code, *args)
        if unit_code == "MH-NEW-2":
            del ctx["t"]            # the worker's template rendering fails
        return ctx

    monkeypatch.setattr(reports, "_report_context", broken)
    result = demo.test_cli_runner().invoke(args=["report-bulk", "--level", "new_commune",
                                                 "--workers", "2", "-o", str(tmp_path / "bad")])
    assert result.exit_code != 0
    assert "report of unit MH-NEW-2 failed" in result.output


def test_bulk_reports_by_parent_with_grandchildren_without_responses(demo, tmp_path):
    with demo.app_context():
        parent = db.session.scalar(select(Unit).where(Unit.code == "MH-X12"))
        db.session.add(Unit(code="MH-X12-T1", name="Thôn Bản Giốc", kind="village", parent_id=parent.id))
        db.session.commit()
    try:
        result = demo.test_cli_runner().invoke(
            args=["report-bulk", "--parent", "MH-X12", "-o", str(tmp_path / "village")])
        assert result.exit_code == 0, result.output
        (pdf,) = (tmp_path / "village").iterdir()
        assert "Thôn Bản Giốc" in _text(pdf.read_bytes())
    finally:
        with demo.app_context():
            db.session.delete(db.session.scalar(select(Unit).where(Unit.code == "MH-X12-T1")))
            db.session.commit()


def test_the_service_refuses_a_unit_outside_the_wave(demo):
    with demo.app_context():
        wave = db.session.scalar(select(Wave))
        outsider = Unit(code="OTHER", name="Tỉnh Khác", kind="province")
        db.session.add(outsider)
        db.session.commit()
        try:
            with pytest.raises(reports.ReportError, match="outside the scope"):
                reports.unit_report_pdf(outsider, wave)
        finally:
            db.session.delete(outsider)
            db.session.commit()
