"""Responses split by collection mode (``Response.mode``): the dashboard's filter and mix,
the results under the filter, and the PDF report's statement of the mix."""

import io

from pypdf import PdfReader
from sqlalchemy import func, select, update

from survey.extensions import db
from survey.models import Response, Wave
from survey.services import dashboard, reports


def _make_codes(app, province):
    """Turn every other 2026 response of the first commune into a code response."""
    wave = province.waves[1]
    with app.app_context():
        ids = list(db.session.scalars(select(Response.id).where(
            Response.wave_id == wave.id, Response.unit_id == province.communes[0].id)
            .order_by(Response.id)))[::2]
        db.session.execute(update(Response).where(Response.id.in_(ids)).values(mode="code"))
        db.session.commit()
        total = db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))
    return len(ids), total


def test_dashboard_shows_the_mix_and_filters_by_mode(app, official, province):
    codes, total = _make_codes(app, province)
    page = official.get("/quan-ly/don-vi/TINH?wave=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="modes"' in html and 'name="mode"' in html
    assert f'<tr data-mode="code"><th scope="row">Mã dùng một lần (phiếu hẹn)</th><td>{codes}</td>' in html
    assert f'<tr data-mode="web"><th scope="row">Đường dẫn công khai (áp phích)</th><td>{total - codes}</td>' in html
    filtered = official.get("/quan-ly/don-vi/TINH?wave=2026&mode=code")
    assert filtered.status_code == 200
    assert 'id="downloads-all-modes"' in filtered.get_data(as_text=True)
    # Downloads hold every mode: their links drop the filter.
    assert "mode=code" not in filtered.get_data(as_text=True).split('id="pdf-download"')[1][:200]
    assert official.get("/quan-ly/don-vi/TINH?wave=2026&mode=nope").status_code == 400


def test_mode_filter_restricts_the_estimates(app, province):
    codes, total = _make_codes(app, province)
    with app.test_request_context():
        wave = db.session.get(Wave, province.waves[1].id)
        unit = province.root
        waves = [db.session.get(Wave, w.id) for w in province.waves]
        everything = dashboard.unit_dashboard(unit, waves, wave)
        only_codes = dashboard.unit_dashboard(unit, waves, wave, mode="code")
        assert 0 < only_codes["overall"]["n"] <= codes < everything["overall"]["n"]
        # The same domain as the engine's: the full design, restricted to the code responses.
        inputs = reports.wave_inputs(wave)
        mask = reports.domain_mask(inputs.responses, mode="code")
        assert int(mask.sum()) == codes
        direct = reports.wave_result(wave, mode="code")
        row = direct.indices[(direct.indices["unit_code"] == "TINH")
                             & (direct.indices["kind"] == "overall")].iloc[0]
        assert abs(row["value"] - only_codes["overall"]["value"]) < 1e-12


def test_the_report_states_the_mix(app, official, province):
    codes, total = _make_codes(app, province)
    pdf = official.get("/quan-ly/don-vi/TINH/bao-cao.pdf?wave=2026")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "Cách thu thập phiếu của đơn vị và các đơn vị trực thuộc trong đợt:" in text
    assert f"mã dùng một lần (phiếu hẹn) {codes}" in text
    assert f"đường dẫn công khai (áp phích) {total - codes}" in text
