"""The dashboard shows the PAR Index survey points beside the indices, in both languages."""

import re

import pytest

from analysis.report.formatting import fmt_number, fmt_percent

from .test_dashboard import engine


def _row(page: str, cid: str) -> str:
    match = re.search(rf'data-points="{cid}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no points row {cid}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


@pytest.mark.parametrize("lang,title,total,rank", [
    ("vi", "Điểm điều tra xã hội học của Chỉ số cải cách hành chính", "Tổng điểm", "{r}/{n}"),
    ("en", "PAR Index survey points", "Total points", "{r} of {n}")])
def test_points_beside_the_indices(app, official, province, lang, title, total, rank):
    if lang == "en":
        official.set_cookie("lang", "en")
    page = official.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    result = engine(app, "2026", previous_code="2025")
    q = result.meta["par_points"]
    assert title in page and "876/QĐ-BNV" in page and q["edition"] in page
    pts = result.points[result.points["unit_code"] == "XA-A"].set_index("id")
    idx = result.indices[(result.indices["unit_code"] == "XA-A")
                         & (result.indices["kind"] == "element")].set_index("id")
    ranks = result.rankings[(result.rankings["unit_code"] == "XA-A")
                            & (result.rankings["kind"] == "points")].set_index("id")
    for cid, row in pts.iterrows():
        shown = _row(page, cid)
        if row["status"] == "small_sample":
            continue
        assert fmt_number(row["value"], lang) in shown
        assert fmt_number(row["max_points"], lang) in shown
        if cid != "total":
            assert fmt_percent(idx.loc[row["index"], "value"], lang) in shown
        if ranks.loc[cid, "status"] == "ranked":
            assert rank.format(r=int(ranks.loc[cid, "rank"]),
                               n=int(ranks.loc[cid, "n_ranked"])) in shown
    assert total in _row(page, "total")
