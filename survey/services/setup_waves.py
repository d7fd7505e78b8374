"""Survey waves (create or change, open, close) and their populations (dossiers per unit ×
service field, the basis of the weights).

A wave's ``questionnaire`` is written ``id@version`` (``sipas@2017.1``) or just ``id``: the
newest registered version of that id, else the bundled definition of that name (registered
when the wave is written).  ``units`` are the codes of the roots of the wave's scope,
separated by spaces or commas.  A wave is created as a draft; opening and closing are
explicit (:func:`set_wave_status`).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from questionnaires import bundled_names, load_bundled

from ..extensions import db
from ..models import (Population, QuestionnaireVersion, Response, ServiceField, ServicePoint,
                      Unit, Wave, local_today)
from .questionnaire_versions import register_version
from .results_cache import bump_version, precompute_wave
from .setup_files import Problem, check_code, check_text, parse_date, read_table
from .setup_plan import Change, Plan, _audit, finish, start

log = logging.getLogger(__name__)

WAVE_COLUMNS = ("code", "name", "name_en", "questionnaire", "start", "end", "units")
POPULATION_COLUMNS = ("unit_code", "field_code", "dossiers")
MAX_DOSSIERS = 2**31 - 1

Rows = list[tuple[int, dict[str, str]]]


class SetupError(ValueError):
    """A set-up action that cannot be done; ``reason`` and ``params`` name why."""

    def __init__(self, reason: str, **params):
        super().__init__(reason)
        self.reason, self.params = reason, params

    @property
    def message(self) -> str:
        """The reason in the current language."""
        from .setup_messages import status_message

        return status_message(self.reason, self.params)


def import_waves(data: bytes, filename: str, *, apply: bool = False) -> Plan:
    """Plan (and with ``apply`` write) the survey waves of a CSV/XLSX file."""
    sheet = read_table(data, filename, WAVE_COLUMNS, ("name_en",))
    return import_wave_rows(sheet.rows, apply=apply, problems=sheet.problems)


def _questionnaire(value: str):
    """Return a registered version, a bundled ``Questionnaire`` to register, or None."""
    qid, _, version = value.partition("@")
    query = select(QuestionnaireVersion).where(QuestionnaireVersion.qid == qid,
                                               QuestionnaireVersion.published_at.is_not(None))
    if version:
        query = query.where(QuestionnaireVersion.version == version)
    row = db.session.scalars(query.order_by(QuestionnaireVersion.created_at.desc(),
                                            QuestionnaireVersion.id.desc())).first()
    if row is not None:
        return row
    if qid in bundled_names():
        q = load_bundled(qid)
        if not version or q.version == version:
            return q
    return None


def import_wave_rows(rows: Rows, *, apply: bool = False, problems=None, create_only: bool = False,
                     is_demo: bool = False) -> Plan:
    """Plan (and with ``apply`` write) waves; waves the file omits are kept.

    ``create_only`` refuses codes that exist already (``waves create``); ``is_demo`` marks
    new waves as demo data (the demo only).
    """
    plan = Plan("waves", problems=list(problems or []))
    if plan.problems and not rows:
        return finish(plan, apply=False)
    start(apply)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    waves = {w.code: w for w in db.session.scalars(select(Wave))}
    parsed = {}
    first: dict[str, int] = {}
    for number, v in rows:
        p = plan.problems
        if check_code(number, "code", v["code"], p):
            if v["code"] in first:
                p.append(Problem(number, "code", "duplicate_code", {"code": v["code"], "first": first[v["code"]]}))
            first.setdefault(v["code"], number)
            if create_only and v["code"] in waves:
                p.append(Problem(number, "code", "wave_exists", {"code": v["code"]}))
        check_text(number, "name", v["name"], p)
        check_text(number, "name_en", v.get("name_en", ""), p, required=False)
        questionnaire = None
        if check_text(number, "questionnaire", v["questionnaire"], p, max_length=130):
            questionnaire = _questionnaire(v["questionnaire"])
            if questionnaire is None:
                p.append(Problem(number, "questionnaire", "unknown_questionnaire", {"value": v["questionnaire"]}))
        starts, ends = parse_date(number, "start", v["start"], p), parse_date(number, "end", v["end"], p)
        if starts and ends and ends < starts:
            p.append(Problem(number, "end", "dates_order"))
        codes = [c for c in re.split(r"[\s,;]+", v["units"]) if c]
        if not codes:
            p.append(Problem(number, "units", "no_units"))
        for code in codes:
            if code not in units:
                p.append(Problem(number, "units", "unknown_unit", {"code": code}))
            elif units[code].retired_at is not None:
                p.append(Problem(number, "units", "retired_unit", {"code": code}))
        parsed[number] = (questionnaire, starts, ends, sorted(set(codes)))
    if plan.problems:
        return finish(plan, apply=False)

    for number, v in rows:
        questionnaire, starts, ends, codes = parsed[number]
        wave = waves.get(v["code"])
        if wave is None:
            plan.changes.append(Change("created", v["code"], number))
            continue
        new = {"name": v["name"], "name_en": v.get("name_en") or None,
               "questionnaire": _label(questionnaire), "start": _iso(starts), "end": _iso(ends),
               "units": " ".join(codes)}
        old = wave_row(wave)
        diff = {k: (old[k] or None, new[k]) for k in new if (old[k] or None) != (new[k] or None)}
        if "questionnaire" in diff and _has_responses(wave):
            plan.problems.append(Problem(number, "questionnaire", "questionnaire_locked"))
        plan.changes.append(Change("updated" if diff else "unchanged", v["code"], number, diff))
    if plan.problems:
        plan.changes.clear()
        return finish(plan, apply=False)

    def write():
        for number, v in rows:
            questionnaire, starts, ends, codes = parsed[number]
            if not isinstance(questionnaire, QuestionnaireVersion):
                questionnaire = register_version(questionnaire, commit=False)
            wave = waves.get(v["code"])
            if wave is None:
                wave = Wave(code=v["code"], status="draft", is_demo=is_demo)
                db.session.add(wave)
            wave.name, wave.name_en = v["name"], v.get("name_en") or None
            wave.questionnaire_version_id = questionnaire.id
            wave.starts_on, wave.ends_on = starts, ends
            wave.units = [units[c] for c in codes]
            if wave.id is not None:
                bump_version(wave.id)      # its scope may have changed: results are stale

    plan.writer = write
    return finish(plan, apply=apply)


def _label(questionnaire) -> str:
    return f"{getattr(questionnaire, 'qid', None) or questionnaire.id}@{questionnaire.version}"


def _iso(date) -> str | None:
    return date.isoformat() if date else None


def _has_responses(wave: Wave) -> bool:
    return db.session.scalar(select(Response.id).where(Response.wave_id == wave.id).limit(1)) is not None


def wave_row(wave: Wave) -> dict:
    """A wave as a row of the waves file."""
    version = wave.questionnaire_version
    return {"code": wave.code, "name": wave.name, "name_en": wave.name_en or "",
            "questionnaire": f"{version.qid}@{version.version}", "start": _iso(wave.starts_on) or "",
            "end": _iso(wave.ends_on) or "", "units": " ".join(sorted(u.code for u in wave.units))}


def wave_rows() -> list[dict]:
    """Every wave, by code."""
    return [wave_row(w) for w in db.session.scalars(select(Wave).order_by(Wave.code))]


def set_wave_status(code: str, status: str, *, today=None) -> str:
    """Open or close the wave ``code``; return its former status (commits).

    Raises
    ------
    SetupError
        Unknown wave, already in that status, or a wave whose period has ended (opening).
    """
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        raise SetupError("unknown_wave", code=code)
    if wave.status == status:
        raise SetupError(f"already_{status}", code=code)
    today = today or local_today()
    if status == "open" and wave.ends_on is not None and wave.ends_on < today:
        raise SetupError("ended", code=code, end=wave.ends_on.isoformat())
    old, wave.status = wave.status, status
    _audit(f"wave.{'open' if status == 'open' else 'close'}", {"wave": code, "from": old, "to": status})
    db.session.commit()
    if status == "closed":
        _precompute(wave)
    return old


def _precompute(wave: Wave) -> None:
    """Compute a closed wave's results now, so that its first dashboard view is a cached
    one (a direct call here; a queue job where a task queue is configured)."""
    from .reports import _waves_until

    earlier = _waves_until(wave)
    previous = earlier[-2].id if len(earlier) > 1 else None
    try:
        precompute_wave(wave.id, previous)
    except Exception:  # noqa: BLE001  (closing the wave stands; the first view computes)
        log.exception("precomputing the results of wave %s failed", wave.code)


def first_point(code: str) -> str | None:
    """Return the code of the first active service point in the scope of wave ``code``."""
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        return None
    return db.session.scalar(select(ServicePoint.code).where(
        ServicePoint.active, ServicePoint.unit_id.in_(wave.scope_unit_ids()))
        .order_by(ServicePoint.code).limit(1))


# ---- populations ------------------------------------------------------------------------

def import_populations(wave_code: str, data: bytes, filename: str, *, apply: bool = False) -> Plan:
    """Plan (and with ``apply`` write) the populations of wave ``wave_code`` from a file."""
    sheet = read_table(data, filename, POPULATION_COLUMNS)
    return import_population_rows(wave_code, sheet.rows, apply=apply, problems=sheet.problems)


def _dossiers(number: int, value: str, problems: list[Problem]) -> int | None:
    text = value.strip()
    if not text:
        problems.append(Problem(number, "dossiers", "required"))
        return None
    if not re.fullmatch(r"-?[0-9]+", text):
        problems.append(Problem(number, "dossiers", "not_integer", {"value": text}))
        return None
    count = int(text)
    if count < 0:
        problems.append(Problem(number, "dossiers", "negative", {"value": text}))
        return None
    if count > MAX_DOSSIERS:
        problems.append(Problem(number, "dossiers", "too_big_number", {"value": text}))
        return None
    return count


def import_population_rows(wave_code: str, rows: Rows, *, apply: bool = False, problems=None) -> Plan:
    """Plan (and with ``apply`` write) a wave's populations: the file is the whole set, so
    cells it omits are removed, and every cell with responses must be present."""
    plan = Plan("populations", problems=list(problems or []))
    if plan.problems and not rows:
        return finish(plan, apply=False)
    start(apply)
    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        plan.problems.append(Problem(None, None, "unknown_wave", {"code": wave_code}))
        return finish(plan, apply=False)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    fields = {f.code: f for f in db.session.scalars(select(ServiceField))}
    scope = wave.scope_unit_ids()
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    first: dict[tuple[str, str], int] = {}
    for number, v in rows:
        p = plan.problems
        unit = field = None
        if check_code(number, "unit_code", v["unit_code"], p):
            unit = units.get(v["unit_code"])
            if unit is None:
                p.append(Problem(number, "unit_code", "unknown_unit", {"code": v["unit_code"]}))
            elif unit.id not in scope:
                p.append(Problem(number, "unit_code", "unit_out_of_scope",
                                 {"code": v["unit_code"], "wave": wave.code}))
                unit = None
        if check_code(number, "field_code", v["field_code"], p):
            field = fields.get(v["field_code"])
            if field is None:
                p.append(Problem(number, "field_code", "unknown_field", {"code": v["field_code"]}))
        count = _dossiers(number, v["dossiers"], p)
        key = (v["unit_code"], v["field_code"])
        if key in first:
            p.append(Problem(number, "field_code", "duplicate_cell",
                             {"unit": key[0], "field": key[1], "first": first[key]}))
        first.setdefault(key, number)
        if unit is not None and field is not None and count is not None:
            cells[(unit.id, field.id)] = (count, number)
    code_of_unit = {u.id: u.code for u in units.values()}
    code_of_field = {f.id: f.code for f in fields.values()}
    answered = db.session.execute(
        select(Response.unit_id, Response.service_field_id).where(
            Response.wave_id == wave.id, Response.service_field_id.is_not(None))
        .group_by(Response.unit_id, Response.service_field_id).having(func.count() > 0)).all()
    if not plan.problems:
        for unit_id, field_id in sorted(answered, key=lambda c: (code_of_unit[c[0]], code_of_field[c[1]])):
            if (unit_id, field_id) not in cells:
                plan.problems.append(Problem(None, "dossiers", "missing_population",
                                             {"unit": code_of_unit[unit_id], "field": code_of_field[field_id]}))
    if plan.problems:
        return finish(plan, apply=False)

    existing = {(p.unit_id, p.service_field_id): p
                for p in db.session.scalars(select(Population).where(Population.wave_id == wave.id))}
    for (unit_id, field_id), (count, number) in cells.items():
        key = f"{code_of_unit[unit_id]} / {code_of_field[field_id]}"
        row = existing.get((unit_id, field_id))
        if row is None:
            plan.changes.append(Change("created", key, number))
        elif row.dossiers != count:
            plan.changes.append(Change("updated", key, number, {"dossiers": (row.dossiers, count)}))
        else:
            plan.changes.append(Change("unchanged", key, number))
    gone = sorted((c for c in existing if c not in cells),
                  key=lambda c: (code_of_unit[c[0]], code_of_field[c[1]]))
    plan.changes.extend(Change("removed", f"{code_of_unit[u]} / {code_of_field[f]}") for u, f in gone)

    def write():
        for cell, (count, _number) in cells.items():
            row = existing.get(cell)
            if row is None:
                db.session.add(Population(wave_id=wave.id, unit_id=cell[0], service_field_id=cell[1],
                                          dossiers=count))
            else:
                row.dossiers = count
        for cell in gone:
            db.session.delete(existing[cell])

    plan.writer = write
    return finish(plan, apply=apply, details={"wave": wave.code})


def population_rows(wave_code: str) -> list[dict]:
    """The populations of wave ``wave_code`` as rows of the populations file."""
    query = (select(Unit.code, ServiceField.code, Population.dossiers)
             .join(Wave, Population.wave_id == Wave.id).join(Unit, Population.unit_id == Unit.id)
             .join(ServiceField, Population.service_field_id == ServiceField.id)
             .where(Wave.code == wave_code).order_by(Unit.code, ServiceField.code))
    return [{"unit_code": u, "field_code": f, "dossiers": d} for u, f, d in db.session.execute(query)]
