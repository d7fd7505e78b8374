"""What a scoped user sees: the units of the scope and below, siblings never, the parent
only as a comparison (its numbers unchanged), and a desk operator's service points."""

from survey.officials.scope import scope_ids, units_in_scope
from survey.extensions import db
from survey.models import User

from .conftest import province  # noqa: F401  (fixture)


def test_scope_covers_the_whole_subtree(app, make_unit, make_user):
    root = make_unit("S-T", kind="province")
    district = make_unit("S-H", parent=root)
    commune = make_unit("S-X", parent=district)
    make_unit("S-Y", parent=root)
    official = make_user(role="official", units=[district])
    both = make_user(role="official", units=[district, commune])
    admin = make_user(role="administrator")
    with app.app_context():
        codes = lambda u: [x.code for x in units_in_scope(db.session.get(User, u.id))]  # noqa: E731
        assert codes(official) == ["S-H", "S-X"]
        assert codes(both) == ["S-H", "S-X"]
        assert codes(admin) == ["S-H", "S-T", "S-X", "S-Y"]
        assert scope_ids(db.session.get(User, admin.id)) is None


def test_index_lists_only_the_scope(sign_in_as, province):
    client = sign_in_as("official", units=[province.communes[0]])
    page = client.get("/quan-ly/").get_data(as_text=True)
    assert "Xã Đông Hưng" in page
    assert "Phường Bắc Sơn" not in page and "Tỉnh Thử Nghiệm" not in page
    assert "Số đơn vị Ông/Bà được xem: 1." in page


def test_commune_dashboard_hides_siblings_but_keeps_the_numbers(sign_in_as, official, province):
    scoped = sign_in_as("official", units=[province.communes[0]])
    mine = scoped.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    everything = official.get("/quan-ly/don-vi/XA-A?wave=2026").get_data(as_text=True)
    # The same page for both (ranks and the comparison with the parent are computed on all
    # siblings), except that the parent is not a link for the scoped official.
    assert "Phường Bắc Sơn" not in mine and "XA-B" not in mine
    assert 'href="/quan-ly/don-vi/TINH' not in mine and "Tỉnh Thử Nghiệm" in mine
    assert 'href="/quan-ly/don-vi/TINH' in everything
    for marker in ('id="overall-value"', 'id="overall-rank"'):
        part = lambda page: page.split(marker, 1)[1].split("</dd>", 1)[0]  # noqa: E731
        assert part(mine) == part(everything)


def test_province_official_sees_every_child_in_the_ranking(sign_in_as, province):
    client = sign_in_as("official", units=[province.root])
    page = client.get("/quan-ly/don-vi/TINH?wave=2026").get_data(as_text=True)
    for code in ("XA-A", "XA-B", "XA-C"):
        assert f'data-unit="{code}"' in page


def test_desk_operator_sees_the_points_of_their_units(sign_in_as, province, make_point):
    client = sign_in_as("desk_operator", units=[province.communes[0]])
    assert client.get("/quan-ly/").headers["Location"] == "/quan-ly/diem-tiep-nhan"
    page = client.get("/quan-ly/diem-tiep-nhan").get_data(as_text=True)
    mine, other = province.points[0].code, province.points[1].code
    assert f'data-point="{mine}"' in page and f'data-point="{other}"' not in page
    assert f"http://localhost/s/2026/{mine}" in page          # the open wave only
    assert f"/s/2025/{mine}" not in page
    for url in ("/quan-ly/don-vi/XA-A", "/quan-ly/don-vi/XA-A/du-lieu.csv"):
        assert client.get(url).status_code == 403


def test_administrator_sees_every_point(sign_in_as, province):
    page = sign_in_as("administrator").get("/quan-ly/diem-tiep-nhan").get_data(as_text=True)
    assert all(f'data-point="{p.code}"' in page for p in province.points)
