"""The shared results cache: SIPAS results computed once, seen by every worker and server.

A cached entry is keyed by the wave, the filters (service field, channel, the wave rank
changes are measured against), the options (the SIPAS options and the settings named in
``RESULTS_CACHE_KEY_SETTINGS``) and the wave's *data version* — read in one query from the
wave's responses (their number and a counter of inserts, deletes and moves, both kept
per unit by triggers in ``response_tallies``), its populations (count and a checksum of the
dossiers), its questionnaire version, the counters of ``results_versions`` (bumped by
:func:`bump_version`) and the set-up version (raised by database triggers on any change to
units, service points, waves or fields, whoever writes it: ``survey/models_setup.py``).  Any new response, population or option change therefore makes a
new key; old entries are never served again and are deleted when their wave is
recomputed.  While a big wave's new version is being computed, the results of its
last computed version are shown.  The version is re-read at most every ``RESULTS_CACHE_FRESHNESS`` seconds
(default 60) per process: a new response shows on the dashboard within that delay.

Storage: the database (table ``results_cache``) by default, Redis when
``RESULTS_CACHE_URL`` is set (e.g. ``redis://127.0.0.1:6379/1``; keys under
``RESULTS_CACHE_PREFIX``).  Computed once: the first view takes a lock (a ``computing``
row inserted under the key's primary key, or ``SET NX`` in Redis); a concurrent view waits
for the result, or — for waves above ``RESULTS_CACHE_SYNC_LIMIT`` responses — is told the
results are being computed, with their progress, while a background thread (later a queue
job: :func:`compute_and_store` is its entry point) computes them.

Units' parts: with each entry its units' parts are stored (:mod:`survey.services.unit_parts`:
one unit's rows and its children's), so that a dashboard reads only its unit's part —
``get_or_compute(..., unit=code)`` — never the whole result.

Interface used by the task queue: ``compute_and_store(wave_id, filters, options)`` and
``get_or_compute(wave, filters, options)``; ``precompute_wave(wave_id)`` computes what a
wave's dashboards need (called when a wave closes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from analysis.sipas import SipasOptions, SipasResult

from ..extensions import db
from ..models import Wave
from ..models_results import ResultsCacheEntry, ResultsVersion
from . import unit_parts

__all__ = ["Computed", "Computing", "bump_version", "breakdowns", "compute_and_store",
           "data_version", "get_or_compute", "precompute_wave", "sipas"]

log = logging.getLogger(__name__)

FRESHNESS = 60            # seconds a process trusts the data version it read
LOCK_SECONDS = 60         # a "computing" lock not refreshed for this long is taken over
HEARTBEATS_PER_LOCK = 4   # the computing worker refreshes its lock this often per LOCK_SECONDS
SYNC_LIMIT = 200_000      # above this many responses a first view does not wait
WAIT_SECONDS = 120        # how long a small wave's concurrent first view waits
_POLL = 0.2

_versions: dict[tuple, tuple[float, str, int]] = {}   # per process: (db, wave) -> (read at, version, n)
_versions_lock = threading.Lock()


@dataclass(frozen=True)
class Computed:
    """The outcome of one computation: a result, or why there is none."""

    result: SipasResult | None
    n_responses: int
    problem: str | None = None


class Computing(Exception):
    """The results are being computed; ``progress`` is a percentage."""

    def __init__(self, wave_id: int, progress: int):
        self.wave_id, self.progress = wave_id, progress
        super().__init__(f"results of wave {wave_id} are being computed ({progress}%)")


def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


# ---- the data version ----------------------------------------------------------------------

_VERSION_SQL = text("""
SELECT (SELECT coalesce(sum(responses), 0) FROM response_tallies WHERE wave_id = :w),
       (SELECT coalesce(sum(changes), 0) FROM response_tallies WHERE wave_id = :w),
       (SELECT count(*) FROM populations WHERE wave_id = :w),
       (SELECT coalesce(sum(CAST(dossiers AS BIGINT) * (CAST(unit_id AS BIGINT) * 7919
                                                              + service_field_id)), 0)
          FROM populations WHERE wave_id = :w),
       (SELECT coalesce(sum(version), 0) FROM results_versions WHERE wave_id IN (:w, 0)),
       (SELECT questionnaire_version_id FROM waves WHERE id = :w),
       (SELECT coalesce(max(version), 0) FROM setup_versions)
""")


def data_version(wave_id: int, *, fresh: bool = False) -> tuple[str, int]:
    """The data version of a wave and its number of responses (one query; remembered for
    ``RESULTS_CACHE_FRESHNESS`` seconds unless ``fresh``)."""
    freshness = float(_config("RESULTS_CACHE_FRESHNESS", FRESHNESS))
    now = time.monotonic()
    memo_key = (db.engine.url.render_as_string(), wave_id)
    # One request reads one version of a wave (its figures then agree with each other).
    request = g.setdefault("_results_versions", {}) if has_request_context() else {}
    if not fresh and wave_id in request:
        return request[wave_id]
    with _versions_lock:
        known = _versions.get(memo_key)
    if known and not fresh and now - known[0] < freshness:
        return known[1], known[2]
    row = db.session.execute(_VERSION_SQL, {"w": wave_id}).one()
    version = "-".join(str(v) for v in row)
    with _versions_lock:
        _versions[memo_key] = (now, version, int(row[0]))
    request[wave_id] = (version, int(row[0]))
    return version, int(row[0])


def bump_version(wave_id: int = 0) -> None:
    """Make every cached result of ``wave_id`` (0: of every wave) stale, in the caller's
    transaction: for changes the data version does not see (a unit renamed, a flag
    reviewed)."""
    row = db.session.get(ResultsVersion, wave_id)
    if row is None:
        db.session.add(ResultsVersion(wave_id=wave_id, version=1))
    else:
        row.version = ResultsVersion.version + 1
    with _versions_lock:
        _versions.clear()
    if has_app_context():
        g.pop("_results_versions", None)


def _options(options: dict | None) -> tuple[SipasOptions, dict]:
    """The effective SIPAS options, and what of the options goes into the key."""
    base = dict(_config("SIPAS_OPTIONS", None) or {})
    base.update(options or {})
    effective = SipasOptions(**base)
    keyed = {"sipas": dataclasses.asdict(effective)}
    for name in _config("RESULTS_CACHE_KEY_SETTINGS", ()):
        keyed[name] = _config(name, None)
    return effective, keyed


def _key(kind: str, wave_id: int, filters: dict, keyed_options: dict, version: str) -> str:
    text_ = json.dumps({"kind": kind, "wave": wave_id, "filters": filters,
                        "options": keyed_options, "version": version},
                       sort_keys=True, default=str)
    return hashlib.sha256(text_.encode()).hexdigest()


# ---- storage -----------------------------------------------------------------------------

class _DatabaseStore:
    """Entries in the ``results_cache`` table, written on connections of their own (so the
    lock is visible at once to every worker, whatever the request's transaction does)."""

    def get(self, key: str) -> dict | None:
        with db.engine.connect() as conn:
            row = conn.execute(select(ResultsCacheEntry.state, ResultsCacheEntry.progress,
                                      ResultsCacheEntry.payload, ResultsCacheEntry.problem,
                                      ResultsCacheEntry.updated_at)
                               .where(ResultsCacheEntry.key == key)).first()
        if row is None:
            return None
        return {"state": row.state, "progress": row.progress, "payload": row.payload,
                "problem": row.problem, "age": (_utcnow() - row.updated_at).total_seconds()}

    def claim(self, key: str, wave_id: int) -> bool:
        values = {"key": key, "wave_id": wave_id, "state": "computing", "progress": 0,
                  "updated_at": _utcnow()}
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(ResultsCacheEntry).values(**values))
            return True
        except IntegrityError:
            pass
        # Take over a lock left by a dead worker, or a failure to retry.
        stale = _utcnow() - dt.timedelta(seconds=_config("RESULTS_CACHE_LOCK_SECONDS", LOCK_SECONDS))
        with db.engine.begin() as conn:
            taken = conn.execute(update(ResultsCacheEntry).where(
                ResultsCacheEntry.key == key,
                (ResultsCacheEntry.state == "failed")
                | ((ResultsCacheEntry.state == "computing") & (ResultsCacheEntry.updated_at < stale)))
                .values(state="computing", progress=0, problem=None, updated_at=_utcnow()))
            return taken.rowcount == 1

    def progress(self, key: str, percent: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(update(ResultsCacheEntry).where(ResultsCacheEntry.key == key)
                         .values(progress=percent, updated_at=_utcnow()))

    def put(self, key: str, wave_id: int, payload: bytes) -> None:
        with db.engine.begin() as conn:
            # Older versions of the same wave are never read again.
            conn.execute(delete(ResultsCacheEntry).where(ResultsCacheEntry.wave_id == wave_id,
                                                         ResultsCacheEntry.state == "ready",
                                                         ResultsCacheEntry.updated_at < _utcnow()
                                                         - dt.timedelta(days=1)))
            conn.execute(update(ResultsCacheEntry).where(ResultsCacheEntry.key == key)
                         .values(state="ready", progress=100, payload=payload, updated_at=_utcnow()))

    def put_parts(self, key: str, wave_id: int, parts: dict[str, bytes]) -> None:
        now = _utcnow()
        rows = [{"key": _part_key(key, name), "wave_id": wave_id, "state": "ready",
                 "progress": 100, "payload": blob, "updated_at": now}
                for name, blob in parts.items()]
        with db.engine.begin() as conn:
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                conn.execute(delete(ResultsCacheEntry).where(
                    ResultsCacheEntry.key.in_([r["key"] for r in chunk])))
                conn.execute(insert(ResultsCacheEntry), chunk)

    def get_part(self, key: str, names: list[str]) -> bytes | None:
        keys = [_part_key(key, name) for name in names]
        with db.engine.connect() as conn:
            found = dict(conn.execute(select(ResultsCacheEntry.key, ResultsCacheEntry.payload)
                                      .where(ResultsCacheEntry.key.in_(keys),
                                             ResultsCacheEntry.state == "ready")).all())
        return next((found[k] for k in keys if k in found), None)

    def set_latest(self, name: str, wave_id: int, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(ResultsCacheEntry).where(ResultsCacheEntry.key == name))
            conn.execute(insert(ResultsCacheEntry).values(
                key=name, wave_id=wave_id, state="ready", progress=100, payload=key.encode(),
                updated_at=_utcnow()))

    def fail(self, key: str, problem: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(update(ResultsCacheEntry).where(ResultsCacheEntry.key == key)
                         .values(state="failed", problem=problem[:2000], updated_at=_utcnow()))


class _RedisStore:
    """Entries in Redis: ``<prefix>:r:<key>`` (the pickled result) and ``<prefix>:s:<key>``
    (a hash with state, progress, problem) whose ``SET NX`` with expiry is the lock."""

    TTL = 30 * 86400

    def __init__(self, url: str, prefix: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def get(self, key: str) -> dict | None:
        state, payload = self.redis.mget(f"{self.prefix}:s:{key}", f"{self.prefix}:r:{key}")
        if payload is not None:
            return {"state": "ready", "progress": 100, "payload": payload, "problem": None, "age": 0}
        if state is None:
            return None
        info = json.loads(state)
        return {"state": info["state"], "progress": info.get("progress", 0), "payload": None,
                "problem": info.get("problem"), "age": 0}

    def claim(self, key: str, wave_id: int) -> bool:
        lock = int(_config("RESULTS_CACHE_LOCK_SECONDS", LOCK_SECONDS))
        name = f"{self.prefix}:s:{key}"
        value = json.dumps({"state": "computing", "progress": 0})
        if self.redis.set(name, value, nx=True, ex=lock):
            return True
        current = self.redis.get(name)
        if current is not None and json.loads(current)["state"] == "failed":
            # Retry a failure: the one who swaps the value takes the lock.
            return bool(self.redis.set(name, value, ex=lock, get=True) == current)
        return False

    def progress(self, key: str, percent: int) -> None:
        # Also the heartbeat: the lock's expiry starts again.
        self.redis.set(f"{self.prefix}:s:{key}", json.dumps({"state": "computing", "progress": percent}),
                       xx=True, ex=int(_config("RESULTS_CACHE_LOCK_SECONDS", LOCK_SECONDS)))

    def put(self, key: str, wave_id: int, payload: bytes) -> None:
        pipe = self.redis.pipeline()
        pipe.set(f"{self.prefix}:r:{key}", payload, ex=self.TTL)
        pipe.set(f"{self.prefix}:s:{key}", json.dumps({"state": "ready", "progress": 100}), ex=self.TTL)
        pipe.execute()

    def put_parts(self, key: str, wave_id: int, parts: dict[str, bytes]) -> None:
        name = f"{self.prefix}:u:{key}"
        pipe = self.redis.pipeline()
        pipe.delete(name)
        items = list(parts.items())
        for start in range(0, len(items), 500):
            pipe.hset(name, mapping=dict(items[start:start + 500]))
        pipe.expire(name, self.TTL)
        pipe.execute()

    def get_part(self, key: str, names: list[str]) -> bytes | None:
        return next((blob for blob in self.redis.hmget(f"{self.prefix}:u:{key}", names)
                     if blob is not None), None)

    def set_latest(self, name: str, wave_id: int, key: str) -> None:
        self.redis.set(f"{self.prefix}:r:{name}", key.encode(), ex=self.TTL)

    def fail(self, key: str, problem: str) -> None:
        self.redis.set(f"{self.prefix}:s:{key}",
                       json.dumps({"state": "failed", "progress": 0, "problem": problem[:2000]}),
                       ex=300)


_stores: dict = {}


def _store():
    url = _config("RESULTS_CACHE_URL", None)
    if not url:
        return _DatabaseStore()
    prefix = _config("RESULTS_CACHE_PREFIX", "sipas:results")
    if (url, prefix) not in _stores:
        _stores[(url, prefix)] = _RedisStore(url, prefix)
    return _stores[(url, prefix)]


def _part_key(key: str, name: str) -> str:
    return hashlib.sha256(f"part:{key}:{name}".encode()).hexdigest()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# ---- computing ---------------------------------------------------------------------------

def _normal(filters: dict | None) -> dict:
    filters = filters or {}
    return {"field": filters.get("field"), "channel": filters.get("channel"),
            "mode": filters.get("mode"), "previous": filters.get("previous")}


def _compute(kind: str, wave_id: int, filters: dict, options: SipasOptions, report) -> object:
    """Compute one entry from the database (``report(percent)`` tells the progress)."""
    from . import reports            # reports reads the wave; imported late (it imports us)

    wave = db.session.get(Wave, wave_id)
    report(10)
    if kind == "breakdowns":
        return reports.compute_breakdowns(wave, options=options, progress=report)
    prior = None
    if filters["previous"] is not None:
        prior = sipas(db.session.get(Wave, filters["previous"]), field=filters["field"],
                      channel=filters["channel"], mode=filters["mode"], wait=True).result
    return reports.compute_results(wave, prior, field=filters["field"],
                                   channel=filters["channel"], options=options, progress=report,
                                   mode=filters["mode"])


def compute_and_store(wave_id: int, filters: dict | None = None, options: dict | None = None, *,
                      kind: str = "sipas") -> str:
    """Compute the ``kind`` entry (``sipas`` or ``breakdowns``) of a wave under ``filters``
    (``field``, ``channel``, ``previous``: a wave id) and ``options`` (SIPAS options over
    the app's) and store it, unless another worker is already at it or it is stored.
    Returns ``"stored"``, ``"cached"`` or ``"busy"``.  The entry point of a queue job."""
    filters = _normal(filters)
    effective, keyed = _options(options)
    version, _n = data_version(wave_id, fresh=True)
    key = _key(kind, wave_id, filters, keyed, version)
    store = _store()
    entry = store.get(key)
    if entry is not None and entry["state"] == "ready":
        return "cached"
    if not store.claim(key, wave_id):
        return "busy"
    latest = _latest_name(_key(kind, wave_id, filters, keyed, ""))
    _run(store, key, kind, wave_id, filters, effective, latest)
    return "stored"


def _latest_name(key_without_version: str) -> str:
    return hashlib.sha256(f"latest:{key_without_version}".encode()).hexdigest()


class _Heartbeat:
    """Refresh a "computing" lock while its computation runs, so that a lock left by a
    worker that died (a queue worker killed mid-job) is taken over after
    ``RESULTS_CACHE_LOCK_SECONDS`` (60) instead of blocking every other worker, while a
    live computation of any length keeps its lock."""

    def __init__(self, store, key: str):
        self.store, self.key, self.percent = store, key, 0
        self.app = current_app._get_current_object()
        self.interval = float(_config("RESULTS_CACHE_LOCK_SECONDS", LOCK_SECONDS)) / HEARTBEATS_PER_LOCK
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name="results-heartbeat")

    def report(self, percent) -> None:
        self.percent = int(percent)
        self.store.progress(self.key, self.percent)

    def _beat(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                with self.app.app_context():
                    self.store.progress(self.key, self.percent)
            except Exception:  # noqa: BLE001  (a missed beat only shortens the lock)
                log.warning("could not refresh the lock of results %s", self.key, exc_info=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()


def _run(store, key, kind, wave_id, filters, effective, latest: str | None = None) -> object:
    try:
        with _Heartbeat(store, key) as heartbeat:
            value = _compute(kind, wave_id, filters, effective, heartbeat.report)
    except Exception as error:  # noqa: BLE001  (the failure is stored, then raised)
        store.fail(key, f"{type(error).__name__}: {error}")
        raise
    # The units' parts first: a ready entry always has them.
    _store_parts(store, key, wave_id, kind, value)
    store.put(key, wave_id, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    if latest is not None:
        store.set_latest(latest, wave_id, key)
    session = db.session
    if (session.get_bind().dialect.name == "sqlite" and not (session.new or session.dirty
                                                             or session.deleted)):
        # SQLite cannot turn a read transaction that began before the store's write into
        # a write one ("database is locked"): end the request's read-only transaction.
        session.commit()
    return value


def _background(app, store, key, kind, wave_id, filters, effective, latest) -> None:
    with app.app_context():
        try:
            _run(store, key, kind, wave_id, filters, effective, latest)
        except Exception:  # noqa: BLE001  (stored as the entry's problem)
            log.exception("computing results of wave %s failed", wave_id)
        finally:
            db.session.remove()


def get_or_compute(wave: Wave, filters: dict | None = None, options: dict | None = None, *,
                   kind: str = "sipas", wait: bool | None = None, unit: str | None = None):
    """Return the cached ``kind`` entry of ``wave`` under ``filters`` and ``options``,
    computing it (once, whoever asks at the same time) when it is missing.

    With ``unit`` (a unit code), only that unit's part of the entry
    (:mod:`survey.services.unit_parts`): one small read instead of the whole result.

    ``wait`` (default: only for waves up to ``RESULTS_CACHE_SYNC_LIMIT`` responses) computes
    or waits here; otherwise the computation runs in the background and :class:`Computing`
    is raised with its progress.
    """
    filters = _normal(filters)
    effective, keyed = _options(options)
    version, n = data_version(wave.id)
    key = _key(kind, wave.id, filters, keyed, version)
    latest = _latest_name(_key(kind, wave.id, filters, keyed, ""))
    memo = g.setdefault("_results_cache", {}) if has_app_context() else {}
    if (key, unit) in memo:
        return memo[(key, unit)]
    if wait is None:
        wait = n <= int(_config("RESULTS_CACHE_SYNC_LIMIT", SYNC_LIMIT))
    store = _store()
    deadline = time.monotonic() + float(_config("RESULTS_CACHE_WAIT_SECONDS", WAIT_SECONDS))
    while True:
        if unit is not None:
            value = _read_part(store, key, unit)
            if value is not _MISSING:
                break
        entry = store.get(key)
        if entry is not None and entry["state"] == "ready":
            value = pickle.loads(entry["payload"])
            if unit is not None:
                # Stored before entries had parts: cut them now, once.
                _store_parts(store, key, wave.id, kind, value)
                value = _unit_of(kind, value, unit)
            break
        if store.claim(key, wave.id):
            if wait:
                value = _run(store, key, kind, wave.id, filters, effective, latest)
                if unit is not None:
                    part = _read_part(store, key, unit)
                    value = _unit_of(kind, value, unit) if part is _MISSING else part
                break
            app = current_app._get_current_object()
            threading.Thread(target=_background, daemon=True, name=f"results-{wave.id}",
                             args=(app, store, key, kind, wave.id, filters, effective,
                                   latest)).start()
            entry = None
        if entry is not None and entry["state"] == "failed" and wait:
            raise RuntimeError(entry["problem"])
        if not wait or time.monotonic() > deadline:
            # While a big wave's new data version is being computed, the results of its
            # previous version are shown (the documented delay): never a blank page.
            stale = _stale(store, latest, kind, unit)
            if stale is not None:
                value = stale
                break
            raise Computing(wave.id, entry["progress"] if entry else 0)
        time.sleep(_POLL)
    memo[(key, unit)] = value
    return value


def _stale(store, latest: str, kind: str = "sipas", unit: str | None = None):
    pointer = store.get(latest)
    if pointer is None or pointer["state"] != "ready":
        return None
    key = pointer["payload"].decode()
    if unit is not None:
        part = _read_part(store, key, unit)
        if part is not _MISSING:
            return part
    entry = store.get(key)
    if entry is None or entry["state"] != "ready":
        return None
    value = pickle.loads(entry["payload"])
    return value if unit is None else _unit_of(kind, value, unit)


# ---- units' parts ------------------------------------------------------------------------

_MISSING = object()
PARTS_MEMO = 512          # unpickled parts a process keeps (by digest of their bytes)
_parts: OrderedDict = OrderedDict()
_parts_lock = threading.Lock()


def _parts_of(kind: str, value) -> dict:
    """``{unit_code: part}`` of a computed entry (see :mod:`survey.services.unit_parts`)."""
    if kind == "breakdowns":
        return unit_parts.split_breakdowns(value)
    if value.result is None:
        return {unit_parts.COMMON: value}
    return {code: dataclasses.replace(value, result=part)
            for code, part in unit_parts.split_result(value.result).items()}


def _unit_of(kind: str, value, unit: str):
    parts = _parts_of(kind, value)
    return parts.get(unit, parts[unit_parts.COMMON])


def _store_parts(store, key: str, wave_id: int, kind: str, value) -> None:
    parts = _parts_of(kind, value)
    store.put_parts(key, wave_id, {code: pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
                                   for code, part in parts.items()})


def _read_part(store, key: str, unit: str):
    """The unit's part of entry ``key`` (the common part for a unit the result does not
    know), from the store; ``_MISSING`` when there is none.  The small read is always made
    (so a part is never taken from another database); unpickled parts are remembered by
    their bytes' digest, so a repeated view reuses the objects (and their row indexes)."""
    blob = store.get_part(key, [unit, unit_parts.COMMON])
    if blob is None:
        return _MISSING
    memo_key = hashlib.blake2b(blob, digest_size=20).digest()
    with _parts_lock:
        if memo_key in _parts:
            _parts.move_to_end(memo_key)
            return _parts[memo_key]
    value = pickle.loads(blob)
    with _parts_lock:
        _parts[memo_key] = value
        while len(_parts) > int(_config("RESULTS_CACHE_PARTS_MEMO", PARTS_MEMO)):
            _parts.popitem(last=False)
    return value


def sipas(wave: Wave, *, field: str | None = None, channel: str | None = None,
          previous: Wave | None = None, options: dict | None = None,
          wait: bool | None = None, mode: str | None = None, unit: str | None = None) -> Computed:
    """The SIPAS results of ``wave`` under the filters, from the cache (see the module);
    with ``unit``, only that unit's part (:mod:`survey.services.unit_parts`)."""
    filters = {"field": field, "channel": channel, "mode": mode,
               "previous": previous.id if previous is not None else None}
    return get_or_compute(wave, filters, options, kind="sipas", wait=wait, unit=unit)


def breakdowns(wave: Wave, *, options: dict | None = None, wait: bool | None = None,
               unit: str | None = None) -> dict:
    """The wave's tables by field and channel, responses against dossiers and its unit
    frame, from the cache (see :func:`survey.services.reports.compute_breakdowns`); with
    ``unit``, that unit's part of them."""
    return get_or_compute(wave, None, options, kind="breakdowns", wait=wait, unit=unit)


def precompute_wave(wave_id: int, previous_id: int | None = None) -> None:
    """Compute what the dashboards and reports of a wave read first: its results (also
    against ``previous_id``) and its breakdowns.  Called when a wave closes."""
    compute_and_store(wave_id, kind="breakdowns")
    compute_and_store(wave_id)
    if previous_id is not None:
        compute_and_store(wave_id, {"previous": previous_id})
