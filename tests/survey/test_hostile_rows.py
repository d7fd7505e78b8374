"""One undecodable row must not take down a wave: the dashboard, the report and the CSV
export skip it (and log it) and count the others — on both databases.

The bad rows are written straight into the database, past the app, as an old version or
a hand-made fix could have left them.
"""

import csv
import io
import logging

import pytest
from sqlalchemy import select, text

from survey.extensions import db
from survey.models import Response, Unit, Wave
from survey.services import dashboard, exports, reports
from tests.survey.officials.conftest import PER_COMMUNE, official, province  # noqa: F401

# SQLite keeps JSON as text, so anything can be there; PostgreSQL's JSONB holds only JSON,
# but not necessarily an object.
BAD_ANSWERS = {
    "sqlite": ['{"comments": "x\\ud800y"}', "{not json", "[1, 2]"],
    "postgresql": ["[1, 2]", '"just text"', "null"],
}


@pytest.fixture
def spoiled(app, province, db_backend):
    """The 2026 wave with three of its rows' answers overwritten by undecodable values."""
    wave = province.waves[1]
    with app.app_context():
        ids = db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)
                                 .order_by(Response.id).limit(3)).all()
        value = "CAST(:bad AS jsonb)" if db_backend == "postgresql" else ":bad"
        for row_id, bad in zip(ids, BAD_ANSWERS[db_backend]):
            db.session.execute(text(f"UPDATE responses SET answers = {value} WHERE id = :id"),
                               {"bad": bad, "id": row_id})
        db.session.commit()
    return wave, ids


def test_reader_skips_and_logs_bad_rows(app, spoiled, caplog):
    wave, ids = spoiled
    with app.app_context(), caplog.at_level(logging.WARNING, "survey.services.exports"):
        frame = exports.read_wave_frame(db.session.get(Wave, wave.id))
    assert len(frame) == 2 * PER_COMMUNE - 3
    assert "skipped 3 response(s)" in caplog.text
    assert all(str(i) in caplog.text for i in ids)


def test_dashboard_and_report_count_the_other_rows(app, spoiled):
    wave, _ids = spoiled
    with app.app_context():
        root = db.session.scalar(select(Unit).where(Unit.code == "TINH"))
        waves = [db.session.scalar(select(Wave).where(Wave.code == c)) for c in ("2025", "2026")]
        data = dashboard.unit_dashboard(root, waves, waves[1])
        assert data["has_data"] and data["overall"]["n"] == 2 * PER_COMMUNE - 3
        result = reports.wave_result(waves[1])
        table = result.indices
        overall = table[(table["unit_code"] == "TINH") & (table["kind"] == "overall")].iloc[0]
        assert overall["n"] == 2 * PER_COMMUNE - 3
        pdf = reports.unit_report_pdf(root, waves[1], compare=waves[0])
        assert pdf.startswith(b"%PDF")


def test_pages_and_csv_export_still_work(official, spoiled):
    dashboard_page = official.get("/quan-ly/don-vi/TINH?wave=2026")
    assert dashboard_page.status_code == 200
    report = official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026")
    assert report.status_code == 200 and report.data.startswith(b"%PDF")
    export = official.get("/quan-ly/don-vi/TINH/du-lieu.csv?wave=2026")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 2 * PER_COMMUNE - 3
