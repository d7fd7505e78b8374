"""Demo data: a fictional province, clearly marked as such, with a wave and synthetic answers.

``flask --app wsgi demo`` calls ``build_demo``.  Running it again replaces the earlier demo
(only the demo's own rows); ``--reset`` wipes the whole database first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask import Flask
from sqlalchemy import MetaData, delete, insert, inspect, or_, select, update

from analysis.synthetic import point_code, synthetic_responses
from questionnaires import load_bundled

from . import migrate
from .extensions import db
from .models import Population, Response, ServiceField, ServicePoint, Unit, Wave, wave_units
from .services.accounts import create_demo_accounts
from .services.questionnaire_versions import register_version

ROOT_CODE = "MH"
WAVE_CODE = "2026"
POINTS_PER_UNIT = 2
PROVINCE = ("Tỉnh Minh Hoà (dữ liệu mẫu)", "Minh Hoa Province (demo data)")
CENTRE = ("MH-TTHCC", "Trung tâm Phục vụ hành chính công tỉnh Minh Hoà", "Provincial Public Administration Service Centre")
DEPARTMENTS = [
    ("MH-STP", "Sở Tư pháp", "Department of Justice"),
    ("MH-SNNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("MH-SXD", "Sở Xây dựng", "Department of Construction"),
    ("MH-STC", "Sở Tài chính", "Department of Finance"),
    ("MH-SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("MH-SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("MH-SYT", "Sở Y tế", "Department of Health"),
    ("MH-SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
]
COMMUNES = [
    ("MH-P01", "Phường Minh Hoà"), ("MH-P02", "Phường Bình An"), ("MH-P03", "Phường Nam Thành"),
    ("MH-P04", "Phường Hoà Lạc"), ("MH-X05", "Xã Tân Phú"), ("MH-X06", "Xã Đông Sơn"),
    ("MH-X07", "Xã Thạch Bàn"), ("MH-X08", "Xã Phú Mỹ"), ("MH-X09", "Xã Long Hải"),
    ("MH-X10", "Xã Yên Thế"), ("MH-X11", "Xã Cát Tiên"), ("MH-X12", "Xã Sơn Hà"),
]
FIELDS = [
    ("TP", "Tư pháp", "Justice"), ("DD", "Đất đai", "Land"), ("XD", "Xây dựng", "Construction"),
    ("KD", "Thành lập và hoạt động doanh nghiệp", "Business registration"),
    ("HKD", "Hộ kinh doanh", "Household businesses"), ("LD", "Lao động, việc làm", "Labour and employment"),
    ("BTXH", "Bảo trợ xã hội", "Social protection"), ("GT", "Giao thông vận tải", "Transport"),
    ("MT", "Môi trường", "Environment"), ("YT", "Y tế", "Health"), ("GD", "Giáo dục", "Education"),
    ("NN", "Nông nghiệp", "Agriculture"),
]
MODE_BY_POINT = {1: "web", 2: "kiosk"}


@dataclass(frozen=True)
class DemoSummary:
    """What ``build_demo`` made."""

    units: int
    points: int
    responses: int
    wave_code: str
    point_code: str
    accounts: tuple = ()


def ensure_schema(app: Flask) -> None:
    """Create the schema with the migrations unless the database already has it."""
    migrate.ensure_sqlite_directory(app)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    if "units" in tables and "alembic_version" not in tables:
        # Made with create_all (tests, notebooks): it is the current schema already.
        from alembic import command

        with app.app_context():
            command.stamp(migrate.alembic_config(app), "head")
        return
    migrate.upgrade(app)


def drop_everything(app: Flask) -> None:
    """Drop every table of the database, including Alembic's version table."""
    migrate.ensure_sqlite_directory(app)
    with app.app_context():
        meta = MetaData()
        meta.reflect(db.engine)
        meta.drop_all(db.engine)


def remove_demo() -> None:
    """Delete the earlier demo's rows, leaving every other row alone."""
    root = db.session.scalar(select(Unit).where(Unit.code == ROOT_CODE))
    unit_ids = root.descendant_ids() if root is not None else set()
    demo_waves = select(Wave.id).where(Wave.is_demo)
    db.session.execute(delete(Response).where(or_(
        Response.is_demo, Response.wave_id.in_(demo_waves), Response.unit_id.in_(unit_ids))))
    db.session.execute(delete(Population).where(or_(
        Population.wave_id.in_(demo_waves), Population.unit_id.in_(unit_ids))))
    db.session.execute(delete(wave_units).where(or_(
        wave_units.c.wave_id.in_(demo_waves), wave_units.c.unit_id.in_(unit_ids))))
    db.session.execute(delete(Wave).where(Wave.is_demo))
    db.session.execute(delete(ServicePoint).where(ServicePoint.unit_id.in_(unit_ids)))
    # Unhook the tree first so the self-referencing foreign key does not dictate an order.
    db.session.execute(update(Unit).where(Unit.id.in_(unit_ids)).values(parent_id=None))
    db.session.execute(delete(Unit).where(Unit.id.in_(unit_ids)))
    db.session.commit()


def _units() -> tuple[Unit, list[tuple[Unit, float]]]:
    """Add the province tree; return the root and (unit, relative size) per answering unit."""
    root = Unit(code=ROOT_CODE, name=PROVINCE[0], name_en=PROVINCE[1], kind="province")
    db.session.add(root)
    db.session.flush()
    answering = [(Unit(code=CENTRE[0], name=CENTRE[1], name_en=CENTRE[2], kind="centre", parent_id=root.id), 3.0)]
    answering += [(Unit(code=c, name=n, name_en=e, kind="department", parent_id=root.id), 1.0)
                  for c, n, e in DEPARTMENTS]
    answering += [(Unit(code=c, name=n, kind="ward" if n.startswith("Phường") else "commune",
                        parent_id=root.id), 1.6) for c, n in COMMUNES]
    db.session.add_all(u for u, _ in answering)
    db.session.flush()
    return root, answering


def _fields() -> dict[str, ServiceField]:
    """Get or add the service fields (reference data shared with real waves)."""
    existing = {f.code: f for f in db.session.scalars(select(ServiceField))}
    for code, name, name_en in FIELDS:
        if code not in existing:
            existing[code] = ServiceField(code=code, name=name, name_en=name_en)
            db.session.add(existing[code])
    db.session.flush()
    return existing


def _points(answering: list[tuple[Unit, float]]) -> dict[str, ServicePoint]:
    points = {}
    for unit, _ in answering:
        for k in range(1, POINTS_PER_UNIT + 1):
            name = f"Bộ phận Một cửa – {unit.name}" if k == 1 else f"Ki-ốt khảo sát – {unit.name}"
            points[point_code(unit.code, k)] = ServicePoint(code=point_code(unit.code, k), name=name, unit_id=unit.id)
    db.session.add_all(points.values())
    db.session.flush()
    return points


def _response_rows(frame: pd.DataFrame, questions, wave: Wave, points, fields, rng) -> list[dict]:
    """Turn the synthetic frame into rows of the responses table."""
    n = len(frame)
    start = dt.datetime.combine(wave.starts_on, dt.time(1, 0))
    span = max((dt.datetime.now(dt.UTC).replace(tzinfo=None) - start).total_seconds(), 3600.0)
    # Stored as the app stores them: the hour of submission and the answering time.
    submitted = np.datetime64(start, "h") + np.sort(rng.uniform(0, span / 3600, n)).astype("timedelta64[h]")
    submitted = submitted.astype("datetime64[us]").astype(object)
    durations = rng.integers(150, 600, n)
    answer_cols = [q for q in questions if q in frame]
    records = frame[answer_cols].to_dict("records")
    channel = frame["channel"].astype(str)
    response_channel = np.where(channel.str.startswith("online"), "online",
                                np.where(channel == "post", "post", "in_person"))
    point_no = frame["service_point"].str.rsplit("-", n=1).str[1].astype(int).to_numpy()
    # Kiosks stand at the desks: only people who came in person answer on one.
    mode = np.where((point_no == 2) & (response_channel == "in_person"), "kiosk", "web")
    rows = []
    for i, answers in enumerate(records):
        point = points[frame["service_point"].iat[i]]
        rows.append({
            "wave_id": wave.id, "unit_id": point.unit_id, "service_point_id": point.id,
            "service_field_id": fields[frame["service_field"].iat[i]].id,
            "channel": response_channel[i], "mode": mode[i],
            "questionnaire_version_id": wave.questionnaire_version_id,
            "answers": {k: v for k, v in answers.items() if v is not None and v == v},
            "duration_seconds": int(durations[i]), "submitted_at": submitted[i],
            "submission_id": str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i, version=4)),
            "flags": [], "is_demo": True,
        })
    return rows


def build_demo(app: Flask, *, responses: int = 3000, seed: int = 7, reset: bool = False) -> DemoSummary:
    """Create (or replace) the demo province, its wave ``2026`` and ``responses`` answers."""
    if reset:
        drop_everything(app)
    ensure_schema(app)
    rng = np.random.default_rng(seed)
    with app.app_context():
        remove_demo()
        q = load_bundled("sipas")
        version = register_version(q)
        root, answering = _units()
        fields = _fields()
        points = _points(answering)
        today = dt.date.today()
        wave = Wave(code=WAVE_CODE, name="Khảo sát SIPAS năm 2026 (dữ liệu mẫu)",
                    name_en="SIPAS survey 2026 (demo data)", status="open",
                    starts_on=dt.date(2026, 1, 1), ends_on=dt.date(max(2026, today.year), 12, 31),
                    questionnaire_version_id=version.id, is_demo=True, units=[root])
        db.session.add(wave)
        db.session.flush()

        unit_frame = pd.DataFrame({"unit_code": [u.code for u, _ in answering],
                                   "dossiers": [size for _, size in answering]})
        frame = synthetic_responses(q, unit_frame, responses, seed=seed,
                                    fields=[code for code, _, _ in FIELDS], points_per_unit=POINTS_PER_UNIT)
        rows = _response_rows(frame, q.questions, wave, points, fields, rng)
        if rows:
            db.session.execute(insert(Response), rows)

        # Each response stands for tens of dossiers resolved in its unit and field.
        cells = frame.groupby(["unit_code", "service_field"]).size()
        by_code = {u.code: u for u, _ in answering}
        db.session.add_all(
            Population(wave_id=wave.id, unit_id=by_code[unit].id, service_field_id=fields[field].id,
                       dossiers=int(count * rng.lognormal(np.log(40), 0.5)))
            for (unit, field), count in cells.items()
        )
        db.session.commit()
        demo_accounts = tuple(create_demo_accounts(root))
        first_commune = point_code(COMMUNES[0][0], 1)
        return DemoSummary(units=1 + len(answering), points=len(points), responses=len(rows),
                           wave_code=WAVE_CODE, point_code=first_commune, accounts=demo_accounts)
