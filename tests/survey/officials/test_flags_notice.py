"""The dashboard says how many responses of the unit carry flags, and which."""

import re

from survey.extensions import db
from survey.models import Response


def flag_some(app, province, n):
    """Flag ``n`` responses of the first commune in the 2026 wave as a burst."""
    with app.app_context():
        rows = db.session.scalars(db.select(Response).where(
            Response.wave_id == province.waves[1].id,
            Response.unit_id == province.communes[0].id).limit(n)).all()
        for row in rows:
            row.flags = ["burst"]
        db.session.commit()


def notice(page: str) -> str | None:
    match = re.search(r'<section class="card notice" id="flagged".*?</section>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))) if match else None


def test_flagged_responses_are_shown_in_both_languages(app, official, province):
    flag_some(app, province, 3)
    page = official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    text = notice(page)
    assert text is not None
    assert "bị đánh dấu cần kiểm tra chất lượng dữ liệu: 3" in text and "Tăng đột biến" in text and ": 3" in text
    commune = notice(official.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True))
    assert ": 3" in commune
    # The other commune and the previous wave have no flagged responses: no notice.
    assert notice(official.get("/quan-ly/don-vi/XA-B?wave=2026").get_data(as_text=True)) is None
    assert notice(official.get("/quan-ly/don-vi/TINH?wave=2025").get_data(as_text=True)) is None
    official.set_cookie("lang", "en")
    english = notice(official.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True))
    assert "Responses of this unit in this wave that carry a data-quality flag: 3" in english
    assert "Burst: unusually many responses" in english
