"""Synthetic SIPAS-style responses for demos, tests and benchmarks.

The generator works on any questionnaire definition: every question gets values of its
type, and the definition's ``relevant``, ``required`` and ``constraint`` rules are applied,
so the rows pass ``questionnaires.check_answers``.  Patterns a reader of a SIPAS report
expects are tuned by well-known question ids when the definition has them (``channel``,
``trips``, ``late``, ``apology``, ``harassment``, ``extra_payment``, demographics).

Everything is vectorised with numpy: answers are held as integer codes (-1 = unanswered)
and conditions are evaluated once per distinct combination of the answers they refer to,
so a million rows take seconds.  Conditions may refer to earlier questions only (the
order in which the web form asks them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["synthetic_responses", "point_code"]

MISSING = -1
# Latent satisfaction y -> answer 1..5 with these cut points: with y of sd 0.8 about 84%
# answer 4 or 5, near the published national SIPAS indices (80-88%).
CUTS = np.array([-2.4, -1.8, -0.8, 0.6])
# Centre of the latent satisfaction, offsetting the problems and weak units pulling it down.
MU = 0.2
NA_SHARE = 0.03
# Prior shares of well-known single-choice questions (other values get a small share).
PRIORS = {
    "sex": {"male": 0.51, "female": 0.48, "other": 0.01},
    "age_band": {"a18_25": 0.12, "a26_35": 0.28, "a36_45": 0.27, "a46_60": 0.23, "a60_plus": 0.10},
    "ethnicity": {"kinh": 0.84, "other": 0.16},
    "education": {"primary": 0.08, "lower_secondary": 0.17, "upper_secondary": 0.30,
                  "vocational": 0.15, "university": 0.27, "postgraduate": 0.03},
    "occupation": {"farmer": 0.22, "worker": 0.12, "civil_servant": 0.08, "armed_forces": 0.02,
                   "business": 0.20, "employee": 0.15, "student": 0.04, "retired": 0.07,
                   "homemaker": 0.06, "other": 0.04},
    "area": {"urban": 0.45, "rural": 0.55},
    "respondent_type": {"individual": 0.86, "organisation": 0.14},
    "region": {"mountain": 0.25, "delta": 0.60, "coastal_island": 0.15},
    "improve_first": {"information": 0.30, "premises": 0.15, "staff_capacity": 0.25,
                      "staff_attitude": 0.20, "online_services": 0.40, "feedback_handling": 0.12,
                      "shorter_time": 0.35, "fewer_documents": 0.30, "other": 0.03},
}
# Base rates of the headline events; a weak unit multiplies them (see _Units.weakness).
EVENT_RATES = {
    "late": 0.02,
    "apology": 0.4,            # among the late; only asked when late
    "harassment": (0.008, 0.0015),  # some, many
    "extra_payment": (0.003, 0.0008),
    "trips": (0.14, 0.045),    # twice, three times or more
    "feedback_sent": 0.07,
    # Reached from the receipt slip too: some answer before the result exists.
    "result_received": 0.9,
}
# How much each event lowers the latent satisfaction of the respondent.
PENALTIES = {"late": 0.9, "harassment": (1.1, 1.7), "extra_payment": (1.0, 1.5), "trips": (0.15, 0.6)}
COMMENTS = [
    "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
    "Đề nghị rút ngắn thời gian giải quyết hồ sơ.",
    "Cần bố trí thêm ghế ngồi chờ.",
    "Cổng dịch vụ công đôi khi bị lỗi, khó đăng nhập.",
    "Rất hài lòng với cách phục vụ.",
    "Nên niêm yết rõ hơn các khoản phí, lệ phí.",
    "Thủ tục còn nhiều giấy tờ, nên giảm bớt.",
]


def point_code(unit_code: str, k: int) -> str:
    """Return the code of a unit's ``k``-th (1-based) synthetic service point."""
    return f"{unit_code}-{k}"


@dataclass
class _Units:
    """Per-unit latent traits, drawn once per call."""

    codes: np.ndarray
    index: np.ndarray       # the unit (row of ``codes``) of each respondent
    quality: np.ndarray     # latent quality per unit (0 = average)
    online: np.ndarray      # share of online submissions per unit

    @property
    def weakness(self) -> np.ndarray:
        """Multiplier of event rates per respondent: weak units have more problems."""
        return np.exp(-1.2 * self.quality)[self.index]


def _draw_units(units: pd.DataFrame, n: int, rng: np.random.Generator) -> _Units:
    codes = units["unit_code"].astype(str).to_numpy()
    m = len(codes)
    if m == 0:
        raise ValueError("units has no rows")
    if "quality" in units:
        quality = units["quality"].to_numpy(dtype=float)
    else:
        quality = rng.normal(0.0, 0.22, m)
        quality -= quality.mean()
        # A few clearly weaker units, as every provincial ranking has.
        weak = rng.choice(m, size=max(1, m // 7) if m >= 4 else 0, replace=False)
        quality[weak] -= 0.45
    size = units["dossiers"].to_numpy(dtype=float) if "dossiers" in units else rng.lognormal(0, 0.6, m)
    index = rng.choice(m, size=n, p=size / size.sum())
    online = units["online_share"].to_numpy(dtype=float) if "online_share" in units else rng.beta(2, 4, m)
    return _Units(codes, index, quality, online)


def _categorical(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Draw one category per row; ``probs`` is (K,) or (groups, K) indexed by ``rows``."""
    cum = np.cumsum(probs / probs.sum(axis=-1, keepdims=True), axis=-1)
    if probs.ndim == 1:
        return np.searchsorted(cum, rng.random(len(rows)), side="right").clip(max=len(cum) - 1)
    u = rng.random(len(rows))
    return (u[:, None] > cum[rows]).sum(axis=1).clip(max=probs.shape[1] - 1)


def _combinations(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct rows of the stacked code columns and each row's combination."""
    # One integer key per row (mixed radix) sorts much faster than np.unique(axis=0).
    radices = [int(c.max(initial=0)) + 2 for c in columns]
    if np.prod(np.array(radices, dtype=float)) < 2.0**62:
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for c, r in zip(columns, radices):
            key = key * r + (c + 1)
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return np.stack(columns, axis=1)[first], inverse
    return np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)


def _prior(question, rng: np.random.Generator) -> np.ndarray:
    known = PRIORS.get(question.id, {})
    if known and any(str(c.value) in known for c in question.choices):
        return np.array([known.get(str(c.value), 0.02) for c in question.choices])
    return rng.dirichlet(np.full(len(question.choices), 3.0))


class _Generator:
    """Holds the codes of the questions drawn so far and the random state."""

    def __init__(self, questionnaire, units: _Units, n: int, rng: np.random.Generator):
        self.q = questionnaire
        self.units = units
        self.n = n
        self.rng = rng
        self.codes: dict[str, np.ndarray] = {}
        self.latent = MU + units.quality[units.index] + rng.normal(0.0, 0.55, n)

    # -- decoding codes into stored answers -------------------------------------------
    def table(self, question, codes: np.ndarray | None = None) -> list:
        """Return the stored value of each code of ``question`` (index = code)."""
        strategy = question.kind.sample
        if strategy == "comment":
            limit = question.max_length or 500
            return [c[:limit].strip() for c in COMMENTS]
        if strategy == "subset":
            values = [c.value for c in question.choices]
            masks = np.unique(codes[codes >= 0]) if codes is not None else []
            top = int(masks.max()) + 1 if len(masks) else 1
            table: list = [None] * top
            for mask in masks:
                table[int(mask)] = [v for i, v in enumerate(values) if mask >> i & 1]
            return table
        values = question.kind.sample_values(question)
        if strategy is None or values is None:
            raise ValueError(f"cannot generate answers of type {question.type!r}")
        return list(values)

    def column(self, question) -> np.ndarray:
        """Return the stored values of ``question`` as an object array (None = unanswered)."""
        codes = self.codes[question.id]
        values = self.table(question, codes)
        table = np.empty(len(values) + 1, dtype=object)
        table[:-1] = values
        table[-1] = None
        return table[np.where(codes >= 0, codes, len(table) - 1)]

    # -- conditions ---------------------------------------------------------------------
    def evaluate(self, expr, this: str | None, own: np.ndarray | None = None) -> np.ndarray:
        """Evaluate ``expr`` for every row, once per distinct combination of its inputs."""
        refs = sorted(r for r in expr.references if r in self.codes and r != this)
        columns = [self.codes[r] for r in refs]
        if own is not None and this is not None:
            refs.append(this)
            columns.append(own)
        if not columns:
            return np.full(self.n, bool(expr.evaluate({}, this)))
        combos, inverse = _combinations(columns)
        tables = {r: self.table(self.q.questions[r], self.codes.get(r, own)) for r in refs}
        results = np.empty(len(combos), dtype=bool)
        for k, combo in enumerate(combos):
            answers = {r: tables[r][c] for r, c in zip(refs, combo) if c >= 0}
            results[k] = bool(expr.evaluate(answers, this))
        return results[inverse.ravel()]

    # -- drawing candidate answers ---------------------------------------------------------
    def draw(self, question) -> np.ndarray:
        """Draw a candidate answer code for every row (relevance is applied later).

        The strategy is the one the question's type names (``QuestionType.sample``).
        """
        rng, n, qid = self.rng, self.n, question.id
        strategy = question.kind.sample
        if strategy == "latent":
            y = self.latent + rng.normal(0.0, 0.5, n) + rng.normal(0.0, 0.08)
            codes = np.searchsorted(CUTS, y)
            # Codes past the five scale points are the non-answers ("not_applicable", "na") offered.
            extra = len(question.kind.sample_values(question)) - len(CUTS) - 1
            if extra:
                hit = rng.random(n) < NA_SHARE
                codes[hit] = len(CUTS) + 1 + rng.integers(0, extra, int(hit.sum()))
            return codes
        if strategy == "event":
            rate = EVENT_RATES.get(qid)
            p = rng.uniform(0.2, 0.8) if rate is None else rate
            if qid == "late":
                p = np.clip(rate * self.units.weakness, 0.002, 0.12)
            return (rng.random(n) < p).astype(np.int64)
        if strategy == "categorical":
            return self.draw_single(question)
        if strategy == "subset":
            return self.draw_multiple(question)
        if strategy == "count":
            span = len(self.table(question)) - 1
            return np.floor(rng.triangular(0, 0, 1, n) * (span + 1)).astype(np.int64).clip(0, span)
        if strategy == "comment":
            return rng.integers(0, len(COMMENTS), n)
        raise ValueError(f"cannot generate answers of type {question.type!r}")

    def draw_single(self, question) -> np.ndarray:
        rng, units = self.rng, self.units
        values = [str(c.value) for c in question.choices]
        if question.id == "channel" and "in_person" in values:
            online = [i for i, v in enumerate(values) if v.startswith("online")]
            probs = np.full((len(units.codes), len(values)), 0.0)
            probs[:, values.index("in_person")] = 1 - units.online
            for k, i in enumerate(online):
                probs[:, i] = units.online * (0.6 if k == 0 else 0.4 / max(1, len(online) - 1))
            if "post" in values:
                probs[:, values.index("post")] = 0.02
            return _categorical(rng, probs + 1e-9, units.index)
        if question.id in EVENT_RATES and values in (["none", "some", "many"], ["1", "2", "3"]):
            some, many = EVENT_RATES[question.id]
            w = units.weakness
            p_many = np.clip(many * w, 0, 0.2)
            p_some = np.clip(some * w, 0, 0.4)
            u = rng.random(self.n)
            return np.where(u < p_many, 2, np.where(u < p_many + p_some, 1, 0))
        # Each unit serves a somewhat different public: vary the shares around the prior.
        prior = _prior(question, rng)
        per_unit = rng.dirichlet(prior / prior.sum() * 40 + 0.05, len(units.codes))
        return _categorical(rng, per_unit, units.index)

    def draw_multiple(self, question) -> np.ndarray:
        rng, n = self.rng, self.n
        m = len(question.choices)
        low = question.min_choices or 1
        high = min(question.max_choices or m, m, max(low, 3))
        k = rng.integers(low, high + 1, n)
        # Gumbel top-k: a weighted sample without replacement for every row at once.
        keys = np.log(_prior(question, rng)) + rng.gumbel(size=(n, m))
        order = np.argsort(-keys, axis=1)
        chosen = np.zeros((n, m), dtype=bool)
        np.put_along_axis(chosen, order, np.arange(m)[None, :] < k[:, None], axis=1)
        return (chosen * (1 << np.arange(m))).sum(axis=1).astype(np.int64)

    def penalty(self) -> np.ndarray:
        """Lower the satisfaction of respondents who met a problem (late, harassed...)."""
        total = np.zeros(self.n)
        for qid, weight in PENALTIES.items():
            question = self.q.questions.get(qid)
            if question is None or question.kind.sample not in ("event", "categorical") \
                    or qid not in self.codes:
                continue
            codes = self.codes[qid]
            if question.kind.sample == "event":
                total += weight * (codes == 1)
            elif len(question.choices) == 3:
                total += weight[0] * (codes == 1) + weight[1] * (codes == 2)
        return total

    # -- the rules of the definition ------------------------------------------------------
    def apply_rules(self, question, codes: np.ndarray, shown: np.ndarray) -> np.ndarray:
        """Blank irrelevant answers, skip some optional ones, and honour the constraint."""
        rng = self.rng
        if question.relevant is not None:
            shown = shown & self.evaluate(question.relevant, question.id)
        required = question.required
        if not isinstance(required, bool):
            required = self.evaluate(required, question.id)
        skip = rng.random(self.n) < question.kind.skip_share
        codes = np.where(shown & (required | ~skip), codes, MISSING)
        if question.constraint is not None:
            ok = self.evaluate(question.constraint, question.id, own=codes) | (codes < 0)
            # A broken answer to an optional question is left out; a required one is
            # redrawn from the values that satisfy the constraint for that row.
            codes = np.where(ok | required, codes, MISSING)
            bad = ~ok & (np.broadcast_to(required, codes.shape))
            for _ in range(20):
                if not bad.any():
                    break
                codes = np.where(bad, self.draw(question), codes)
                ok = self.evaluate(question.constraint, question.id, own=codes) | (codes < 0)
                bad = bad & ~ok
            codes = np.where(bad, MISSING, codes)
        return codes

    def run(self) -> dict[str, np.ndarray]:
        questions = [q for q in self.q.questions.values() if q.kind.answerable]
        candidates: dict[str, np.ndarray] = {}
        # The factual questions are drawn first whatever their place in the form, so that
        # a late or harassed respondent is less satisfied on every criterion.
        for q in questions:
            if q.kind.sample != "latent":
                candidates[q.id] = self.draw(q)
        self.codes = dict(candidates)
        self.latent = self.latent - self.penalty()
        for q in questions:
            if q.kind.sample == "latent":
                candidates[q.id] = self.draw(q)
        self.codes = {}
        for element in self.q.elements:
            shown = np.ones(self.n, dtype=bool)
            if element.relevant is not None:
                shown = self.evaluate(element.relevant, None)
            for q in element.questions:
                if q.kind.answerable:
                    self.codes[q.id] = self.apply_rules(q, candidates[q.id], shown)
        return self.codes


def synthetic_responses(questionnaire, units: pd.DataFrame, n: int, *, seed: int,
                        fields: Sequence[str], points_per_unit: int = 3) -> pd.DataFrame:
    """Generate ``n`` believable responses to ``questionnaire``, reproducibly from ``seed``.

    Parameters
    ----------
    questionnaire : questionnaires.Questionnaire
        The definition; its relevance, requirement and constraint rules are honoured.
    units : pandas.DataFrame
        One row per unit with a ``unit_code`` column; optional ``dossiers`` (respondents
        are spread in proportion), ``quality`` (latent quality, 0 = average; default drawn
        with a few clearly weaker units) and ``online_share``.
    n : int
        Number of rows.
    seed : int
        Seed of the random generator.
    fields : sequence of str
        Service field codes; each unit gets its own mix of fields.
    points_per_unit : int
        Service points per unit, coded ``point_code(unit_code, k)`` for k = 1..points_per_unit.

    Returns
    -------
    pandas.DataFrame
        ``unit_code``, ``service_point``, ``service_field``, ``channel`` and one column per
        answerable question, holding stored-format values (object columns; None where
        unanswered).  When
        the questionnaire has a ``channel`` question the ``channel`` column is its answer;
        otherwise it is the response channel ``in_person|online|post``.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if not fields:
        raise ValueError("fields must not be empty")
    if points_per_unit < 1:
        raise ValueError("points_per_unit must be >= 1")
    if "unit_code" not in units:
        raise ValueError("units needs a 'unit_code' column")
    rng = np.random.default_rng(seed)
    drawn = _draw_units(units, n, rng)
    generator = _Generator(questionnaire, drawn, n, rng)
    codes = generator.run()

    field_mix = rng.dirichlet(np.full(len(fields), 0.6), len(drawn.codes))
    field_codes = np.asarray(list(fields), dtype=object)[_categorical(rng, field_mix, drawn.index)]
    point_table = np.array([[point_code(u, k) for k in range(1, points_per_unit + 1)] for u in drawn.codes],
                           dtype=object)
    points = point_table[drawn.index, rng.integers(0, points_per_unit, n)]
    unit_codes = drawn.codes.astype(object)[drawn.index]
    frame = {"unit_code": unit_codes, "service_point": points, "service_field": field_codes}
    if "channel" in codes:
        frame["channel"] = generator.column(questionnaire.questions["channel"])
    else:
        online = rng.random(n) < drawn.online[drawn.index]
        frame["channel"] = np.where(online, "online", np.where(rng.random(n) < 0.02, "post", "in_person"))
    for qid in codes:
        if qid != "channel":
            frame[qid] = generator.column(questionnaire.questions[qid])
    # Object columns throughout: answers keep their stored types and None for unanswered
    # (pandas would otherwise turn text columns into string arrays with NaN, slowly).
    return pd.DataFrame(frame, dtype=object)
