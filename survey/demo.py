"""Demo data: a fictional province, clearly marked as such, with three waves of synthetic answers.

``flask --app wsgi demo`` calls ``build_demo``.  The province is built through the same
set-up services as a real one (units, fields, points, waves and populations are generated
as rows and imported); only the synthetic responses are inserted directly.  Running it
again replaces the earlier demo (only the demo's own rows); ``--reset`` wipes the whole
database first.
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
from .services.setup_tree import import_field_rows, import_point_rows, import_unit_rows
from .services.setup_waves import import_population_rows, import_wave_rows, set_wave_status

ROOT_CODE = "MH"
# Three years of history: the earlier waves closed, the latest open.
WAVES = (2024, 2025, 2026)
WAVE_CODE = str(WAVES[-1])
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
    waves: tuple[str, ...] = ()
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


def _unit_rows() -> list[dict]:
    """The province tree as rows of the units file."""
    rows = [{"code": ROOT_CODE, "name": PROVINCE[0], "name_en": PROVINCE[1], "kind": "province",
             "parent_code": ""},
            {"code": CENTRE[0], "name": CENTRE[1], "name_en": CENTRE[2], "kind": "centre",
             "parent_code": ROOT_CODE}]
    rows += [{"code": c, "name": n, "name_en": e, "kind": "department", "parent_code": ROOT_CODE}
             for c, n, e in DEPARTMENTS]
    rows += [{"code": c, "name": n, "name_en": "", "parent_code": ROOT_CODE,
              "kind": "ward" if n.startswith("Phường") else "commune"} for c, n in COMMUNES]
    return rows


def _sizes() -> dict[str, float]:
    """Relative number of respondents of each answering unit."""
    sizes = {CENTRE[0]: 3.0}
    sizes.update({c: 1.0 for c, _, _ in DEPARTMENTS})
    sizes.update({c: 1.6 for c, _ in COMMUNES})
    return sizes


def _point_rows(codes: list[str], names: dict[str, str]) -> list[dict]:
    rows = []
    for code in codes:
        for k in range(1, POINTS_PER_UNIT + 1):
            kind = "Bộ phận Một cửa" if k == 1 else "Ki-ốt khảo sát"
            rows.append({"code": point_code(code, k), "name": f"{kind} – {names[code]}", "unit_code": code})
    return rows


def _numbered(rows: list[dict]) -> list[tuple[int, dict]]:
    # Row numbers as a spreadsheet would show them (the header is row 1).
    return [(i, {k: str(v) for k, v in row.items()}) for i, row in enumerate(rows, start=2)]


def _applied(plan):
    """Return ``plan`` once written; the demo's own rows never have problems."""
    if not plan.ok:
        raise RuntimeError(f"demo {plan.table}: {[p.to_dict() for p in plan.problems]}")
    return plan


def _qualities(codes: list[str], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Latent quality per unit and wave: a level, a yearly trend, and a little noise.

    Some units improve markedly, a few decline, most drift: enough for trends, rank changes
    and their significance to show on the dashboards.
    """
    m = len(codes)
    level = rng.normal(0.0, 0.22, m)
    level[rng.choice(m, size=max(1, m // 6), replace=False)] -= 0.45
    trend = rng.normal(0.0, 0.08, m)
    movers = rng.choice(m, size=max(2, m // 5), replace=False)
    trend[movers] = rng.choice([-1.0, 1.0], size=len(movers), p=[0.35, 0.65]) * rng.uniform(0.12, 0.25, len(movers))
    steps = np.arange(len(WAVES)) - (len(WAVES) - 1)
    quality = level[:, None] + trend[:, None] * steps[None, :] + rng.normal(0.0, 0.04, (m, len(WAVES)))
    return {code: quality[i] for i, code in enumerate(codes)}


def _response_rows(frame: pd.DataFrame, questions, wave: Wave, points, fields, rng) -> list[dict]:
    """Turn the synthetic frame into rows of the responses table, within the wave's period."""
    n = len(frame)
    start = dt.datetime.combine(wave.starts_on, dt.time(1, 0))
    end = min(dt.datetime.now(dt.UTC).replace(tzinfo=None),
              dt.datetime.combine(wave.ends_on, dt.time(16, 0)))
    span = max((end - start).total_seconds(), 3600.0)
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


def _wave_row(year: int, latest: bool) -> dict:
    end_year = max(year, dt.date.today().year) if latest else year
    return {"code": str(year), "name": f"Khảo sát SIPAS năm {year} (dữ liệu mẫu)",
            "name_en": f"SIPAS survey {year} (demo data)", "questionnaire": "sipas",
            "start": f"{year}-01-01", "end": f"{end_year}-12-31", "units": ROOT_CODE}


def _build_wave(q, year: int, latest: bool, quality: dict[str, float], n: int, seed: int,
                rng: np.random.Generator) -> int:
    """Create one wave through the set-up services, add its answers and its populations."""
    _applied(import_wave_rows(_numbered([_wave_row(year, latest)]), apply=True, is_demo=True))
    wave = db.session.scalar(select(Wave).where(Wave.code == str(year)))
    points = {p.code: p for p in db.session.scalars(select(ServicePoint))}
    fields = {f.code: f for f in db.session.scalars(select(ServiceField))}
    sizes = _sizes()
    unit_frame = pd.DataFrame({"unit_code": list(sizes), "dossiers": list(sizes.values()),
                               "quality": [quality[c] for c in sizes]})
    frame = synthetic_responses(q, unit_frame, n, seed=seed, fields=[code for code, _, _ in FIELDS],
                                points_per_unit=POINTS_PER_UNIT)
    rows = _response_rows(frame, q.questions, wave, points, fields, rng)
    if rows:
        db.session.execute(insert(Response), rows)
    db.session.commit()
    # Each response stands for tens of dossiers resolved in its unit and field.
    cells = frame.groupby(["unit_code", "service_field"]).size()
    populations = [{"unit_code": unit, "field_code": field,
                    "dossiers": int(count * rng.lognormal(np.log(40), 0.5))}
                   for (unit, field), count in cells.items()]
    _applied(import_population_rows(wave.code, _numbered(populations), apply=True))
    set_wave_status(wave.code, "open" if latest else "closed")
    return len(rows)


def build_demo(app: Flask, *, responses: int = 3000, seed: int = 7, reset: bool = False) -> DemoSummary:
    """Create (or replace) the demo province with three waves (``2024``, ``2025`` closed,
    ``2026`` open) of ``responses`` answers each, through the set-up services."""
    if reset:
        drop_everything(app)
    ensure_schema(app)
    rng = np.random.default_rng(seed)
    with app.app_context():
        remove_demo()
        q = load_bundled("sipas")
        units = _unit_rows()
        _applied(import_unit_rows(_numbered(units), apply=True))
        _applied(import_field_rows(_numbered([{"code": c, "name": n, "name_en": e} for c, n, e in FIELDS]),
                                   apply=True))
        names = {u["code"]: u["name"] for u in units}
        _applied(import_point_rows(_numbered(_point_rows(list(_sizes()), names)), apply=True))
        qualities = _qualities(list(_sizes()), rng)
        total = 0
        for k, year in enumerate(WAVES):
            latest = k == len(WAVES) - 1
            quality = {code: float(values[k]) for code, values in qualities.items()}
            total += _build_wave(q, year, latest, quality, responses, seed + k, rng)
        root = db.session.scalar(select(Unit).where(Unit.code == ROOT_CODE))
        demo_accounts = tuple(create_demo_accounts(root))
        first_commune = point_code(COMMUNES[0][0], 1)
        return DemoSummary(units=len(units), points=POINTS_PER_UNIT * len(_sizes()), responses=total,
                           wave_code=WAVE_CODE, point_code=first_commune,
                           waves=tuple(str(y) for y in WAVES), accounts=demo_accounts)
