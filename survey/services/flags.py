"""Data-quality flags of responses (``Response.flags``): the burst rule, and counting flags.

Rule (settings in ``survey/config.py``): a response is part of a burst when its service
point has received, in the current hour, more than ``BURST_MIN_PER_HOUR`` responses and
more than ``BURST_FACTOR`` times its usual hourly count: the median count of the hours in
which it received answers during the previous ``BURST_HISTORY_DAYS`` days (0 without
history).  The window is the clock hour because ``submitted_at`` is stored to the hour.
Every response of that point and hour is then flagged, so that stuffing shows on the
officials' dashboard instead of being counted silently.

Cost on the submission path: none of its own.  The count on the index (service_point_id,
submitted_at) rides in the RETURNING clause of the submission's INSERT
(``survey.services.responses``) and is judged by :func:`is_burst_count`; the history is
read only once that count exceeds ``BURST_MIN_PER_HOUR``, and then once per point and hour
in each process (it lies before the hour, so it does not change during it).  The whole
hour is flagged once per point and process (:func:`flag_hour`); after that the process
knows the hour is a burst (counts only grow within it) and inserts the next responses
already flagged (:func:`known_burst`), so a sustained burst costs nothing more.
"""

import datetime as dt
import statistics
from collections import Counter, OrderedDict
from collections.abc import Collection
from threading import Lock

from flask import current_app
from sqlalchemy import bindparam, case, func, literal_column, select, text

from ..extensions import db
from ..models import Response, Wave
from .exports import scope_query

BURST_FLAG = "burst"
# Points and hours remembered per process: (point id, hour) -> usual count / flagged.
MEMO_SIZE = 4096
_memo_lock = Lock()


def _memo(name: str) -> OrderedDict:
    # Per app: a test's app must not inherit another's points and hours.
    return current_app.extensions.setdefault("survey_bursts", {}).setdefault(name, OrderedDict())


def _remember(name: str, key, value) -> None:
    with _memo_lock:
        memo = _memo(name)
        memo[key] = value
        while len(memo) > MEMO_SIZE:
            memo.popitem(last=False)


def known_burst(point_id: int, hour: dt.datetime) -> bool:
    """Return whether this process already flagged ``hour`` at the point as a burst."""
    return (point_id, hour) in _memo("flagged")


def remember_burst(point_id: int, hour: dt.datetime) -> None:
    """Note (after the flags are committed) that ``hour`` at the point is a burst."""
    _remember("flagged", (point_id, hour), True)


def _usual(column, key: int, hour: dt.datetime, days: int) -> float:
    counts = db.session.scalars(
        select(func.count(Response.id))
        .where(column == key,
               Response.submitted_at >= hour - dt.timedelta(days=days),
               Response.submitted_at < hour)
        .group_by(Response.submitted_at)).all()
    return float(statistics.median(counts)) if counts else 0.0


def usual_hourly_count(point_id: int, hour: dt.datetime, days: int) -> float:
    """Return the median responses per active hour at the point in the ``days`` before ``hour``."""
    return _usual(Response.service_point_id, point_id, hour, days)


def usual_device_hourly_count(device_id: int, hour: dt.datetime, days: int) -> float:
    """Return the median responses per active hour from the kiosk device ``device_id`` in
    the ``days`` before ``hour`` (its own usual rate, over every wave)."""
    return _usual(Response.device_id, device_id, hour, days)


def is_burst(point_id: int, hour: dt.datetime) -> bool:
    """Return whether one more response at ``point_id`` in ``hour`` makes a burst."""
    count = 1 + db.session.scalar(
        select(func.count(Response.id))
        .where(Response.service_point_id == point_id, Response.submitted_at == hour))
    return is_burst_count(point_id, hour, count)


def is_burst_count(point_id: int, hour: dt.datetime, count: int) -> bool:
    """Return whether ``count`` responses at ``point_id`` in ``hour`` (the newest included)
    make a burst; reads the history only above ``BURST_MIN_PER_HOUR``."""
    config = current_app.config
    minimum = int(config["BURST_MIN_PER_HOUR"])
    if count <= minimum:
        return False
    key = (point_id, hour)
    usual = _memo("usual").get(key)
    if usual is None:
        usual = usual_hourly_count(point_id, hour, int(config["BURST_HISTORY_DAYS"]))
        _remember("usual", key, usual)
    return count > float(config["BURST_FACTOR"]) * usual


# One UPDATE per dialect: the burst flag appended to each array of flags that lacks it; a
# value that is not a JSON array (a row written by hand) becomes ["burst"].
_FLAG_HOUR = {
    "postgresql": """
        UPDATE responses SET flags = CASE WHEN jsonb_typeof(flags) = 'array'
                                          THEN flags || jsonb_build_array(CAST(:flag AS text))
                                          ELSE jsonb_build_array(CAST(:flag AS text)) END
        WHERE service_point_id = :point AND submitted_at = :hour
          AND NOT (jsonb_typeof(flags) = 'array' AND flags ? :flag)""",
    "sqlite": """
        UPDATE responses SET flags = CASE WHEN json_valid(flags) AND json_type(flags) = 'array'
                                          THEN json_insert(flags, '$[#]', :flag)
                                          ELSE json_array(:flag) END
        WHERE service_point_id = :point AND submitted_at = :hour
          AND NOT (json_valid(flags) AND json_type(flags) = 'array'
                   AND EXISTS (SELECT 1 FROM json_each(responses.flags) WHERE value = :flag))""",
}


def flag_hour(point_id: int, hour: dt.datetime) -> int:
    """Add the burst flag to the point's responses of ``hour``; return how many changed.

    One statement in the database, however many responses the hour holds: a burst of
    thousands is not loaded into the process (on SQLite the write lock is held meanwhile).
    """
    dialect = db.session.get_bind().dialect.name
    # The hour bound with the column's type: SQLite stores it as SQLAlchemy writes it.
    statement = text(_FLAG_HOUR[dialect]).bindparams(
        bindparam("hour", type_=Response.__table__.c.submitted_at.type))
    result = db.session.execute(statement, {"flag": BURST_FLAG, "point": point_id, "hour": hour})
    return result.rowcount


def _flag_count_expression(dialect: str):
    # Rows written by hand may hold anything in ``flags``: only a JSON array counts.  The
    # constants are written inline, so that "> 0" of this is the predicate of the partial
    # index ``ix_responses_flagged`` (survey/models.py) and the planner uses that index.
    if dialect == "postgresql":
        return case((func.jsonb_typeof(Response.flags) == literal_column("'array'"),
                     func.jsonb_array_length(Response.flags)), else_=literal_column("0"))
    return case((func.json_valid(Response.flags) == literal_column("1"),
                 func.json_array_length(Response.flags)), else_=literal_column("0"))


def flagged_clause(dialect: str):
    """The WHERE clause "carries at least one flag" (the partial index's predicate)."""
    return _flag_count_expression(dialect) > literal_column("0")


def flag_counts(wave: Wave, unit_ids: Collection[int] | None = None, *,
                service_field: str | None = None, channel: str | None = None
                ) -> tuple[int, dict[str, int]]:
    """Return how many responses in scope carry flags, and how many carry each flag.

    One query grouped by the stored flag lists (few distinct ones), tallied here.
    """
    flagged = flagged_clause(db.session.get_bind().dialect.name)
    query = scope_query(select(Response.flags, func.count(Response.id)), wave, unit_ids,
                        service_field, channel).where(flagged).group_by(Response.flags)
    total, per_flag = 0, Counter()
    for flags, n in db.session.execute(query):
        total += n
        for flag in set(flags):
            per_flag[str(flag)] += n
    return total, dict(sorted(per_flag.items()))
