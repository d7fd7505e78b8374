"""The dashboard compares two waves measure by measure only where the definitions are
the same: a wave on the desk form against one on the full survey shows the overall index
as "không so sánh được", while a criterion defined identically in both is compared."""

import datetime as dt
import re

from questionnaires import load_bundled
from survey.public.flow import channel_of
from tests.survey.officials.conftest import _populate, answer_rows

PER_UNIT = 60


def test_dashboard_says_not_comparable_for_another_overall(
        app, make_unit, make_point, make_field, make_wave, create_response, sign_in_as):
    root = make_unit("TINH", kind="province")
    communes = [make_unit("XA-A", parent=root), make_unit("XA-B", parent=root)]
    points = [make_point(u) for u in communes]
    field = make_field("DD")
    forms = {"2025": load_bundled("sipas"), "2026": load_bundled("desk")}
    for year, q in forms.items():
        wave = make_wave(year, questionnaire=q, units=[root], status="closed" if year == "2025" else "open",
                         starts_on=dt.date(int(year), 1, 1))
        _populate(app, wave, communes, [field])
        answers = iter(answer_rows(q, 2 * PER_UNIT, seed=int(year)))
        for point in points:
            for _ in range(PER_UNIT):
                a = next(answers)
                create_response(wave, point, answers=a, service_field_id=field.id,
                                channel=channel_of(a) if "channel" in a else "in_person")
    client = sign_in_as("methodologist")
    html = client.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    overall = re.search(r'<dd id="overall-change">(.*?)</dd>', html, re.S).group(1)
    assert "không so sánh được" in overall
    english = client.get("/lang/en?next=/quan-ly/don-vi/XA-A?wave=2026", follow_redirects=True)
    assert "not comparable" in english.get_data(as_text=True)
