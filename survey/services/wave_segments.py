"""The columnar cache of a wave's responses: decoded once, in segments, read in bulk.

Decoding a big wave's JSON answers is most of the time of reading it, and even a bare
``COPY`` of them moves a kilobyte per response.  So the rows of a wave are also kept
decoded (``survey.models_wave_segments.WaveSegment``): segments of consecutive response
ids, each one compressed Arrow IPC block with typed columns — the response's id, unit,
point, field, channel, mode and local date, then one column per question (small integers,
text, or JSON text for values of mixed kinds).  Ids are stored, never codes or names:
those are looked up when the frame is built, so a renamed unit shows its new name.

:func:`wave_store` reads a wave: it checks every segment of the wave against the database
(one aggregate query: count and sum of the ids of each range), drops the stale ones, loads
the valid ones, decodes the rows no segment holds from JSON (``wave_rows``) and cuts new
segments out of them, written on a connection of their own (a failed write only means the
next reader decodes those rows again).  The newest ``WAVE_SEGMENT_MARGIN`` rows of a wave
never go into a segment, so that a transaction still committing an id among them rarely
spoils one.  The result is a :class:`WaveStore`: numpy arrays and per-column look-up
tables from which ``wave_data`` builds frames of any rows in any order cheaply.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from flask import current_app
from sqlalchemy import Text, and_, cast, delete, func, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..extensions import db
from ..models import Response, Wave
from ..models_wave_segments import WaveSegment
from .wave_rows import answer_columns, local_date, log_skipped, raw_chunks

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_READ_CHUNK = 20_000
_TAIL_COLUMNS = ("answers", "channel", "mode", "local_date", "unit_id", "point_id", "field_id", "id")
# The response's own columns in a block (prefixed so no question id can clash).
_META = (("_id", pa.int64()), ("_unit", pa.int64()), ("_point", pa.int64()),
         ("_field", pa.int64()), ("_channel", pa.string()), ("_mode", pa.string()),
         ("_date", pa.date32()))
_JSON = {b"enc": b"json"}
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def block_format(wanted: Sequence[str]) -> str:
    """The layout name of blocks holding the questions ``wanted`` (a segment of another
    layout is stale)."""
    digest = hashlib.sha1(json.dumps(list(wanted)).encode()).hexdigest()[:16]
    return f"ipc{FORMAT_VERSION}-{digest}"


# ---- one block: decoded rows <-> typed Arrow columns -------------------------------------------

def _encode_values(values: Sequence) -> tuple[pa.Array, bool]:
    """A typed Arrow array of the decoded answers ``values`` (exactly what JSON gave: int,
    str, float, bool or None), or JSON text when the kinds are mixed; the flag says JSON."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    try:
        if kinds <= {int}:
            array = pa.array(values, type=pa.int64())
            low, high = pc.min_max(array).values() if kinds else (pa.scalar(0), pa.scalar(0))
            for small in (pa.int8(), pa.int16(), pa.int32()):
                info = np.iinfo(small.to_pandas_dtype())
                if info.min <= low.as_py() and high.as_py() <= info.max:
                    return array.cast(small), False
            return array, False
        if kinds == {str}:
            return _dictionary_encode(pa.array(values, type=pa.string())), False
        if kinds == {float}:
            return pa.array(values, type=pa.float64()), False
        if kinds == {bool}:
            return pa.array(values, type=pa.bool_()), False
    except (OverflowError, pa.ArrowException):
        pass        # ints beyond 64 bits: kept as JSON text
    encode = msgspec.json.encode
    texts = pa.array([None if v is None else encode(v).decode() for v in values], type=pa.string())
    return _dictionary_encode(texts), True


def _dictionary_encode(array: pa.Array) -> pa.DictionaryArray:
    """``array`` dictionary-encoded, with indices of the smallest type that fits."""
    encoded = pc.dictionary_encode(array)
    for small in (pa.int8(), pa.int16()):
        if len(encoded.dictionary) <= np.iinfo(small.to_pandas_dtype()).max:
            return pa.DictionaryArray.from_arrays(encoded.indices.cast(small), encoded.dictionary)
    return encoded


def encode_block(rows: dict, wanted: Sequence[str], skipped: Sequence[int]) -> pa.Table:
    """The Arrow table of decoded rows (``rows``: meta lists ``_id`` … ``_date`` and one
    list per wanted question); ``skipped`` are the ids of bad rows left out."""
    arrays, fields = [], []
    for name, kind in _META:
        arrays.append(pa.array(rows[name], type=kind, from_pandas=True))
        fields.append(pa.field(name, kind))
    for i, qid in enumerate(wanted):
        array, is_json = _encode_values(rows["answers"][i])
        arrays.append(array)
        fields.append(pa.field(f"q:{qid}", array.type, metadata=_JSON if is_json else None))
    schema = pa.schema(fields, metadata={b"skipped": json.dumps(list(map(int, skipped))).encode()})
    return pa.Table.from_arrays(arrays, schema=schema)


def to_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def from_bytes(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


# ---- the store: every row of a wave, as arrays and look-up tables ---------------------------------

@dataclass
class Column:
    """Values of one column as ``lut[pos]``: a small object array of the distinct values
    (Python objects, ``None`` for missing) indexed by one position per row."""

    lut: np.ndarray
    pos: np.ndarray

    def take(self, rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The values of ``rows`` (into ``out``, an object array, when given)."""
        # Rows with the same answer share one object: a list of choices is one list for
        # all the rows that chose the same (the frame is read, never changed in place).
        return np.take(self.lut, self.pos[rows], out=out)


def _positions(pos: np.ndarray, size: int) -> np.ndarray:
    """``pos`` in the smallest unsigned type that indexes a table of ``size`` values."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if size <= np.iinfo(kind).max:
            return pos.astype(kind)
    return pos


def _objects(values) -> np.ndarray:
    # fromiter: a list of lists must stay a list of objects, not become a 2-D array.
    return np.fromiter(values, dtype=object, count=len(values))


def _kind(array: pa.Array, is_json: bool) -> str:
    if is_json:
        return "json"
    if pa.types.is_integer(array.type):
        return "int"
    if pa.types.is_dictionary(array.type) or pa.types.is_string(array.type):
        return "str"
    return "other"


def _dictionary(array: pa.Array) -> pa.DictionaryArray:
    return array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array.cast(pa.string()))


def _chunk_objects(array: pa.Array, kind: str) -> np.ndarray:
    if kind == "json":
        texts = ["null" if t is None else t for t in array.cast(pa.string()).to_pylist()]
        return _objects(msgspec.json.decode("[" + ",".join(texts) + "]")) if texts else _objects([])
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return _objects(array.to_pylist())


def _dictionary_column(chunks: list[pa.Array], decode) -> Column:
    """A column of dictionary-encoded chunks: their dictionaries merged into one look-up
    table (``decode`` turns a chunk's dictionary into Python values), indices remapped."""
    index: dict = {}
    texts: list = []
    parts = []
    for array in chunks:
        if array.null_count == len(array):
            parts.append(np.full(len(array), -1, dtype=np.int64))
            continue
        array = _dictionary(array)
        remap = np.empty(len(array.dictionary) + 1, dtype=np.int64)
        for k, text in enumerate(array.dictionary.to_pylist()):
            remap[k] = index.setdefault(text, len(index))
            if remap[k] == len(texts):
                texts.append(text)
        remap[-1] = -1
        indices = array.indices.cast(pa.int32()).fill_null(len(array.dictionary))
        parts.append(remap[indices.to_numpy()])
    pos = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    lut = _objects([*decode(texts), None])
    pos[pos < 0] = len(lut) - 1
    return Column(lut, _positions(pos, len(lut)))


def _decode_json(texts: list[str]) -> list:
    return msgspec.json.decode("[" + ",".join(texts) + "]") if texts else []


def make_column(chunks: list[tuple[pa.Array, bool]]) -> Column:
    """One column from its chunks (one per block: the array and whether it is JSON text)."""
    total = sum(len(a) for a, _ in chunks)
    live = [(a, _kind(a, j)) for a, j in chunks if a.null_count < len(a)]
    kinds = {k for _, k in live}
    if not kinds:
        return Column(_objects([None]), np.zeros(total, dtype=np.uint8))
    if kinds == {"int"}:
        values = np.concatenate([a.fill_null(0).to_numpy().astype(np.int64)
                                 if a.null_count < len(a) else np.zeros(len(a), np.int64)
                                 for a, _ in chunks])
        missing = np.concatenate([a.is_null().to_numpy(zero_copy_only=False) for a, _ in chunks])
        present = values[~missing]
        low, high = int(present.min()), int(present.max())
        if high - low < 1 << 16:
            lut = _objects([*range(low, high + 1), None])
            pos = values - low
            pos[missing] = high - low + 1
            return Column(lut, _positions(pos, len(lut)))
        objects = values.astype(object)
        objects[missing] = None
        return Column(objects, np.arange(total))
    if kinds == {"str"}:
        return _dictionary_column([a for a, _ in chunks], list)
    if kinds == {"json"}:
        # Mixed kinds (1..5 and "na", lists of choices): few distinct values, each decoded
        # from JSON once.
        return _dictionary_column([a for a, _ in chunks], _decode_json)
    objects = np.concatenate([_chunk_objects(a, _kind(a, j)) for a, j in chunks])
    return Column(objects, np.arange(total))


@dataclass
class WaveStore:
    """Every readable row of a wave, in no particular order."""

    ids: np.ndarray
    units: np.ndarray
    points: np.ndarray
    fields: np.ndarray                  # -1: no service field
    channel: Column
    mode: Column
    dates: Column                       # datetime.date objects
    answers: dict[str, Column]
    skipped: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def _int_column(tables: list[pa.Table], name: str, missing: int = -1) -> np.ndarray:
    if not tables:
        return np.zeros(0, dtype=np.int64)
    arrays = [t.column(name).combine_chunks() for t in tables]
    column = pa.chunked_array([(a.cast(pa.int32()) if pa.types.is_date(a.type) else a).cast(pa.int64())
                               for a in arrays], type=pa.int64())
    return column.fill_null(missing).to_numpy()


def _store(tables: list[pa.Table], wanted: Sequence[str]) -> WaveStore:
    def chunks(name):
        return [(t.column(name).combine_chunks(), t.schema.field(name).metadata == _JSON)
                for t in tables]

    days = _int_column(tables, "_date", missing=-1 << 31)
    distinct, pos = np.unique(days, return_inverse=True)
    epoch = np.datetime64("1970-01-01", "D")
    dates = _objects([None if d == -1 << 31 else (epoch + int(d)).astype(object) for d in distinct])
    skipped = [i for t in tables for i in json.loads((t.schema.metadata or {}).get(b"skipped", b"[]"))]
    return WaveStore(
        ids=_int_column(tables, "_id"), units=_int_column(tables, "_unit"),
        points=_int_column(tables, "_point"), fields=_int_column(tables, "_field"),
        channel=make_column(chunks("_channel")), mode=make_column(chunks("_mode")),
        dates=Column(dates, pos.reshape(-1)),
        answers={qid: make_column(chunks(f"q:{qid}")) for qid in wanted},
        skipped=sorted(skipped))


# ---- the segments in the database --------------------------------------------------------------

def _write(statement) -> bool:
    """Run one write on a connection of its own and commit; False when it could not be
    done now (a concurrent reader wrote the same segment, a locked SQLite file)."""
    engine = db.session.get_bind()
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # A cache write must not wait long for a writer holding the file.
                connection.exec_driver_sql("PRAGMA busy_timeout = 500")
            elif engine.dialect.name == "postgresql":
                # Nor for rows locked by the reader's own transaction (a response it
                # deleted fired the trigger on these segments): that would never end.
                connection.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
            try:
                connection.execute(statement)
                connection.commit()
            finally:
                if engine.dialect.name == "sqlite":
                    timeout = int(current_app.config.get("SQLITE_BUSY_TIMEOUT", 15) * 1000)
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {timeout}")
        return True
    except (IntegrityError, DBAPIError) as error:
        log.info("wave segment write skipped: %s", error.__class__.__name__)
        return False


def _valid_segments(wave: Wave, fmt: str) -> list:
    """The wave's segments that still hold exactly the responses of their range, in order
    of ids; stale ones are deleted."""
    counted = (
        select(WaveSegment.id, WaveSegment.first_id, WaveSegment.last_id, WaveSegment.n_source,
               WaveSegment.id_sum, WaveSegment.questionnaire_version_id, WaveSegment.format,
               func.count(Response.id).label("n"), func.coalesce(func.sum(Response.id), 0).label("total"))
        .outerjoin(Response, and_(Response.wave_id == WaveSegment.wave_id,
                                  Response.id >= WaveSegment.first_id,
                                  Response.id <= WaveSegment.last_id))
        .where(WaveSegment.wave_id == wave.id)
        .group_by(WaveSegment.id)
        .order_by(WaveSegment.first_id)
    )
    valid, stale, last = [], [], None
    for s in db.session.execute(counted).all():
        if (s.questionnaire_version_id == wave.questionnaire_version_id and s.format == fmt
                and s.n == s.n_source and int(s.total) == s.id_sum
                and (last is None or s.first_id > last)):
            valid.append(s)
            last = s.last_id
        else:
            stale.append(s.id)
    if stale:
        _write(delete(WaveSegment).where(WaveSegment.id.in_(stale)))
    return valid


def _segment_data(ids: list[int]) -> dict[int, bytes]:
    """The blocks of the segments ``ids``."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Binary results: bytea as bytes, not as hex text twice its size to decode.
        raw = connection.connection.driver_connection
        with raw.cursor(binary=True) as cursor:
            cursor.execute("SELECT id, data FROM wave_segments WHERE id = ANY(%s)", [ids])
            return {i: bytes(d) for i, d in cursor.fetchall()}
    return dict(connection.execute(select(WaveSegment.id, WaveSegment.data)
                                   .where(WaveSegment.id.in_(ids))).all())


def _uncovered_query(wave: Wave, dialect: str, ranges: list[tuple[int, int]]):
    query = (select(cast(Response.answers, Text), Response.channel, Response.mode, local_date(dialect),
                    Response.unit_id, Response.service_point_id, Response.service_field_id, Response.id)
             .where(Response.wave_id == wave.id))
    if ranges:
        # The gaps between the valid ranges, as ranges of the (wave_id, id) index (a
        # negated list of ranges would make PostgreSQL scan the whole wave).
        gaps = [Response.id < ranges[0][0], Response.id > ranges[-1][1]]
        gaps += [Response.id.between(b + 1, a - 1)
                 for (_, b), (a, _) in zip(ranges, ranges[1:]) if b + 1 <= a - 1]
        query = query.where(or_(*gaps))
    return query.order_by(Response.id)


def _ints(values: list) -> list:
    return [None if v is None else int(v) for v in values]


class _Cutter:
    """Collects decoded rows in order of id and cuts them into blocks: a full segment, or
    the rest of a gap between segments, is saved; the open end keeps ``margin`` rows out."""

    def __init__(self, wave: Wave, wanted, fmt: str, firsts: list[int], size: int, margin: int):
        self.wave, self.wanted, self.fmt = wave, list(wanted), fmt
        self.firsts = np.array(firsts, dtype=np.int64)
        self.size, self.margin = size, margin
        self.rows = self._empty()
        self.slot: int | None = None
        self.tables: list[pa.Table] = []

    def _empty(self) -> dict:
        return {**{name: [] for name, _ in _META}, "ok": [], "answers": [[] for _ in self.wanted]}

    def add(self, raw: dict) -> None:
        ids = _ints(raw["id"])
        if not ids:
            return
        columns, keep = answer_columns(raw["answers"], ids, self.wanted, quiet=True)
        ok = [True] * len(ids) if keep is None else keep.tolist()
        if keep is not None:    # realign the answers with every row (bad rows: None)
            kept = [i for i, k in enumerate(ok) if k]
            full = []
            for values in columns:
                column = [None] * len(ids)
                for i, v in zip(kept, values):
                    column[i] = v
                full.append(column)
            columns = full or [() for _ in self.wanted]
        part = {"_id": ids, "_unit": _ints(raw["unit_id"]), "_point": _ints(raw["point_id"]),
                "_field": _ints(raw["field_id"]), "_channel": raw["channel"], "_mode": raw["mode"],
                "_date": [None if d is None else str(d) for d in raw["local_date"]],
                "ok": ok, "answers": columns}
        slots = np.searchsorted(self.firsts, np.array(ids, dtype=np.int64))
        bounds = [0, *(np.flatnonzero(np.diff(slots)) + 1).tolist(), len(ids)]
        for start, stop in zip(bounds, bounds[1:]):
            slot = int(slots[start])
            if slot != self.slot:
                self.finish()
                self.slot = slot
            self._append(part, start, stop)

    def _append(self, part: dict, start: int, stop: int) -> None:
        rows = self.rows
        for key, values in part.items():
            if key == "answers":
                for mine, theirs in zip(rows["answers"], values):
                    mine.extend(theirs[start:stop])
            else:
                rows[key].extend(values[start:stop])
        open_end = self.slot >= len(self.firsts)
        while len(rows["_id"]) >= self.size + (self.margin if open_end else 0):
            self._cut(self.size, save=True)

    def _cut(self, n: int, save: bool) -> None:
        rows = self.rows
        ok, ids = rows["ok"][:n], rows["_id"][:n]
        keep = [i for i, k in enumerate(ok) if k]
        skipped = [ids[i] for i, k in enumerate(ok) if not k]

        def kept(values):
            return values[:n] if len(keep) == n else [values[i] for i in keep]

        block = {name: kept(rows[name]) for name, _ in _META}
        block["_date"] = np.array(block["_date"], dtype="datetime64[D]")
        block["answers"] = [kept(values) for values in rows["answers"]]
        table = encode_block(block, self.wanted, skipped)
        self.tables.append(table)
        if save:
            _write(insert(WaveSegment).values(
                wave_id=self.wave.id, first_id=ids[0], last_id=ids[-1], n_source=n, id_sum=sum(ids),
                n_rows=table.num_rows, questionnaire_version_id=self.wave.questionnaire_version_id,
                format=self.fmt, data=to_bytes(table)))
        for key in rows:
            if key == "answers":
                rows[key] = [values[n:] for values in rows[key]]
            else:
                rows[key] = rows[key][n:]

    def finish(self) -> None:
        """Cut what is collected: saved when it fills a gap between segments, or — at the
        open end — when at least a tenth of a segment lies before the margin."""
        n = len(self.rows["_id"])
        if n and self.slot >= len(self.firsts) and n - self.margin >= max(self.size // 10, 1):
            self._cut(n - self.margin, save=True)
            n = len(self.rows["_id"])
        if n:
            self._cut(n, save=self.slot < len(self.firsts))
        self.rows = self._empty()


def wave_store(wave: Wave, wanted: Sequence[str]) -> WaveStore:
    """Every readable row of ``wave`` with the answers to ``wanted``, from the segments
    that are still valid plus the rows none holds (cut into new segments on the way)."""
    config = current_app.config
    size = max(int(config.get("WAVE_SEGMENT_ROWS", 50_000)), 1)
    margin = max(int(config.get("WAVE_SEGMENT_MARGIN", 1_000)), 0)
    fmt = block_format(wanted)
    valid = _valid_segments(wave, fmt)
    tables = []
    if valid:
        data = _segment_data([s.id for s in valid])
        tables = [from_bytes(data[s.id]) for s in valid]
    ranges = [(s.first_id, s.last_id) for s in valid]
    cutter = _Cutter(wave, wanted, fmt, [a for a, _ in ranges], size, margin)
    dialect = db.session.get_bind().dialect.name
    for raw in raw_chunks(_uncovered_query(wave, dialect, ranges), _READ_CHUNK, _TAIL_COLUMNS):
        cutter.add(raw)
    cutter.finish()
    store = _store(tables + cutter.tables, wanted)
    log_skipped(store.skipped)
    return store


__all__ = ["Column", "WaveStore", "block_format", "encode_block", "make_column", "wave_store"]
