"""Data-quality pages: reviewing flags (confirm, clear, audit, scope), the analysis leaving
out the right responses, the dashboard and the report saying so, the live counts."""

import datetime as dt
import io
import re

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from analysis.sipas import compute_sipas
from survey.extensions import db
from survey.models import AuditEvent, FlagReview, Response, Unit, Wave, coarse_time, utcnow
from survey.services import reports
from survey.services.exports import read_wave_frame
from survey.services.live_counts import period_starts


def flag_responses(app, province, n, flag="too_fast", commune=0):
    """Give ``n`` responses of a commune in the 2026 wave ``flag``; return their ids."""
    with app.app_context():
        rows = db.session.scalars(select(Response).where(
            Response.wave_id == province.waves[1].id,
            Response.unit_id == province.communes[commune].id).order_by(Response.id).limit(n)).all()
        for row in rows:
            row.flags = [flag]
        db.session.commit()
        return [r.id for r in rows]


def review(client, unit, rid, decision, flag="too_fast"):
    return client.post(f"/quan-ly/chat-luong/{unit}/phieu/{rid}",
                       data={"flag": flag, "decision": decision})


def test_methodologist_confirms_and_clears_with_audit_and_record(app, official, province):
    ids = flag_responses(app, province, 2)
    page = official.get("/quan-ly/chat-luong/TINH?wave=2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(f'data-response="{i}"' in text for i in ids)
    assert "Trả lời quá nhanh so với số câu đã trả lời" in text
    assert review(official, "TINH", ids[0], "confirmed").status_code == 303
    assert review(official, "XA-A", ids[0], "cleared").status_code == 303
    assert review(official, "TINH", ids[1], "confirmed").status_code == 303
    with app.app_context():
        decisions = {r.response_id: r.decision for r in db.session.scalars(select(FlagReview))}
        assert decisions == {ids[0]: "cleared", ids[1]: "confirmed"}
        # The flag itself is never removed.
        assert db.session.get(Response, ids[0]).flags == ["too_fast"]
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("flag.%"))
                                    .order_by(AuditEvent.id)).all()
        assert [(e.action, e.details["response"], e.details["previous"]) for e in events] == [
            ("flag.confirmed", ids[0], None), ("flag.cleared", ids[0], "confirmed"),
            ("flag.confirmed", ids[1], None)]
        assert events[0].unit_code == "XA-A" and events[0].wave_code == "2026"
    page = official.get("/quan-ly/chat-luong/TINH?wave=2026").get_data(as_text=True)
    assert re.search(rf'data-response="{ids[0]}".*?data-decision="cleared"', page, re.S)


def test_bad_reviews_are_refused(app, official, province):
    ids = flag_responses(app, province, 1)
    assert review(official, "TINH", ids[0], "deleted").status_code == 400
    assert review(official, "TINH", ids[0], "confirmed", flag="burst").status_code == 400
    # A response of the other commune is not under XA-A: 404.
    assert review(official, "XA-B", ids[0], "confirmed").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(FlagReview)).all() == []


def test_scope_of_the_quality_pages(app, sign_in_as, province):
    ids = flag_responses(app, province, 1, commune=0)
    other = flag_responses(app, province, 1, commune=1)
    scoped = sign_in_as("official", units=[province.communes[0]])
    assert scoped.get("/quan-ly/chat-luong/XA-A?wave=2026").status_code == 200
    assert scoped.get("/quan-ly/chat-luong/XA-B?wave=2026").status_code == 404
    assert scoped.get("/quan-ly/chat-luong/TINH?wave=2026").status_code == 404
    page = scoped.get("/quan-ly/chat-luong/XA-A?wave=2026").get_data(as_text=True)
    assert f'data-response="{ids[0]}"' in page and f'data-response="{other[0]}"' not in page
    # Officials see flags but do not decide on them.
    assert 'name="decision"' not in page
    assert review(scoped, "XA-A", ids[0], "confirmed").status_code == 403
    methodologist_in_commune = sign_in_as("methodologist")
    assert review(methodologist_in_commune, "XA-A", other[0], "confirmed").status_code == 404


def _overall(result, code):
    t = result.indices
    row = t[(t["unit_code"] == code) & (t["kind"] == "overall")].iloc[0]
    return float(row["value"]), int(row["n"])


@pytest.mark.parametrize("mode, left_out", [("none", 0), ("confirmed", 3), ("flagged", 5)])
def test_the_analysis_leaves_out_exactly_the_right_responses(app, official, province, mode,
                                                             left_out):
    ids = flag_responses(app, province, 5)
    for rid in ids[:3]:
        assert review(official, "TINH", rid, "confirmed").status_code == 303
    app.config["QUALITY_EXCLUDE"] = mode
    with app.test_request_context():
        wave = db.session.get(Wave, province.waves[1].id)
        inputs = reports.wave_inputs(wave)
        result = reports.wave_result(wave)
        # Reference: the full frame minus the rows of the excluded ids, by position.
        order = db.session.scalars(select(Response.id).where(Response.wave_id == wave.id)
                                   .order_by(Response.unit_id, Response.id)).all()
        dropped = set(ids[:left_out])
        full = read_wave_frame(wave)
        keep = np.array([rid not in dropped for rid in order])
        reference = compute_sipas(full[keep].reset_index(drop=True), inputs.questionnaire,
                                  inputs.units, inputs.populations, options=inputs.options,
                                  wave=wave.code)
    assert len(inputs.responses) == len(order) - left_out
    value, n = _overall(result, "XA-A")
    ref_value, ref_n = _overall(reference, "XA-A")
    assert n == ref_n == 40 - left_out
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(_overall(result, "TINH")[0], _overall(reference, "TINH")[0], rtol=1e-12)
    assert result.meta["quality"]["excluded"] == left_out
    assert result.meta["quality"]["included"] == 5 - left_out


def test_dashboard_and_report_state_what_was_left_out(app, official, province):
    ids = flag_responses(app, province, 4)
    for rid in ids[:3]:
        review(official, "TINH", rid, "confirmed")
    page = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    notice = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.search(
        r'<section class="card notice" id="flagged".*?</section>', page, re.S).group(0)))
    assert "Không tính vào số liệu dưới đây: 3; vẫn được tính: 1" in notice
    assert "Trả lời quá nhanh so với số câu đã trả lời: 4" in notice
    pdf = official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=2026")
    assert pdf.status_code == 200
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "3 phiếu của đợt bị loại khỏi phân tích (phiếu có cờ đã được xác nhận)" in text
    assert "trả lời quá nhanh: 3" in text
    assert "1 phiếu có cờ chất lượng dữ liệu vẫn được tính" in text
    official.set_cookie("lang", "en")
    pdf = official.get("/quan-ly/don-vi/XA-A/bao-cao.pdf?wave=2026&lang=en")
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "3 responses of the wave were excluded from the analysis" in text


def test_live_counts_per_point_in_scope(app, sign_in_as, province, create_response):
    now_hour = coarse_time(utcnow())
    day_start, week_start = period_starts()
    with app.app_context():
        # Move the province's responses out of this week, then add known ones.
        for row in db.session.scalars(select(Response)):
            row.submitted_at = week_start - dt.timedelta(days=3)
        db.session.commit()
    wave = province.waves[1]
    point_a, point_b = province.points
    for _ in range(3):
        create_response(wave, point_a, submitted_at=max(now_hour, day_start))
    create_response(wave, point_a, submitted_at=max(now_hour, day_start), flags=["burst"])
    if day_start > week_start:      # not a Monday: yesterday is this week too
        create_response(wave, point_a, submitted_at=day_start - dt.timedelta(hours=1),
                        flags=["too_fast"])
    create_response(wave, point_b, submitted_at=max(now_hour, day_start))
    scoped = sign_in_as("official", units=[province.communes[0]])
    page = scoped.get("/quan-ly/so-phieu").get_data(as_text=True)
    row = re.search(rf'<tr data-point="{point_a.code}">(.*?)</tr>', page, re.S).group(1)
    cells = dict(re.findall(r'data-count="(\w+)">(?:<a [^>]+>)?(\d+)', row))
    earlier = 1 if day_start > week_start else 0
    assert cells == {"today": "4", "flagged_today": "1", "week": str(4 + earlier),
                     "flagged_week": str(1 + earlier)}
    assert f'data-point="{point_b.code}"' not in page
    everyone = sign_in_as("methodologist").get("/quan-ly/so-phieu").get_data(as_text=True)
    assert f'data-point="{point_b.code}"' in everyone
    assert sign_in_as("desk_operator", units=[province.communes[0]]).get(
        "/quan-ly/so-phieu").status_code == 403


def test_a_device_burst_shows_with_its_label_on_the_flags_page_and_dashboard(app, official,
                                                                             province):
    ids = flag_responses(app, province, 2, flag="burst_device")
    vi_label = "Tăng đột biến: số phiếu gửi từ một máy tính bảng tại quầy trong một giờ cao bất thường"
    en_label = "Burst: unusually many responses from one kiosk tablet within one hour"
    page = official.get("/quan-ly/chat-luong/TINH?wave=2026").get_data(as_text=True)
    assert all(f'data-response="{i}"' in page for i in ids)
    assert vi_label in page and "burst_device" not in re.sub(r'data-flag="[^"]*"|value="[^"]*"', "", page)
    dashboard = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    assert f"{vi_label}: 2" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dashboard))
    assert review(official, "TINH", ids[0], "confirmed", flag="burst_device").status_code == 303
    official.set_cookie("lang", "en")
    assert en_label in official.get("/quan-ly/chat-luong/TINH?wave=2026").get_data(as_text=True)
    dashboard = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    assert f"{en_label}: 2" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dashboard))
