"""The desk operators' page: the service points of their units and their survey links.

A desk operator can print or open the link of each point for each open wave; the tablets
(kiosks) of each point are enrolled and revoked on its own page (``kiosks``).
"""

from flask import render_template, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import ServicePoint, Wave
from . import bp
from .access import roles_required
from .scope import scope_ids


def point_rows() -> list[dict]:
    """Return the active service points in the user's scope with the links of open waves."""
    ids = scope_ids()
    query = select(ServicePoint).where(ServicePoint.active).order_by(ServicePoint.code)
    if ids is not None:
        query = query.where(ServicePoint.unit_id.in_(ids))
    points = list(db.session.scalars(query))
    waves = [w for w in db.session.scalars(select(Wave).where(Wave.status == "open")
                                           .order_by(Wave.code)) if w.is_open()]
    covered = {w.id: w.scope_unit_ids() for w in waves}
    rows = []
    for point in points:
        links = [{"wave": w, "url": url_for("public.start", wave_code=w.code,
                                            point_code=point.code, _external=True)}
                 for w in waves if point.unit_id in covered[w.id]]
        rows.append({"point": point, "unit": point.unit, "links": links})
    return rows


@bp.get("/diem-tiep-nhan")
@roles_required("administrator", "desk_operator")
def points():
    """The service points of the user's units, with their survey links."""
    return render_template("officials/points.html", rows=point_rows())
