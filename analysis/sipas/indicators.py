"""Indicators (weighted share of ``when`` among ``among``) and expectation shares.

Conditions are evaluated with the definition language's own evaluator
(:meth:`Expression.holds`), so the semantics are exactly those of the form, but only
once per distinct combination of the answers an expression refers to: a million rows
referring to one or two questions have a handful of combinations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from questionnaires.expressions import normalize

from .inputs import SipasInputError

__all__ = ["RatioPlan", "evaluate_condition", "plan_expectations", "plan_indicators",
           "split_multiple"]


@dataclass
class RatioPlan:
    """K single ratios: numerators, denominators and their (kind, id)."""

    num: list
    den: list
    ids: list

    @property
    def coefficients(self) -> np.ndarray:
        """Identity: each combination is one ratio."""
        return np.eye(len(self.ids))


def _codes(series: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of a column (-1 missing) and the normalised value of each code."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # lists (multiple choice) are unhashable
        codes, uniques = pd.factorize(series.map(lambda v: tuple(v) if isinstance(v, list)
                                                 else v), use_na_sentinel=True)
    values = [normalize(list(u) if isinstance(u, tuple) else _plain(u)) for u in uniques]
    return codes.astype(np.int64), values


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def evaluate_condition(expr, responses: pd.DataFrame, what: str) -> np.ndarray:
    """Evaluate an expression for every row; returns a bool array.

    Raises
    ------
    SipasInputError
        The expression refers to a question that is not a column of the responses.
    """
    refs = sorted(expr.references)
    missing = [r for r in refs if r not in responses.columns]
    if missing:
        raise SipasInputError(f"{what} refers to question(s) absent from the responses: "
                              + ", ".join(missing))
    n = len(responses)
    if not refs:
        return np.full(n, bool(expr.holds({})))
    combined = np.zeros(n, dtype=np.int64)
    tables = []
    for r in refs:
        codes, values = _codes(responses[r])
        tables.append(values)
        combined = combined * (len(values) + 1) + (codes + 1)
    inv, uniq = pd.factorize(combined)
    results = np.empty(uniq.size, dtype=bool)
    for u_pos, key in enumerate(uniq):
        answers = {}
        for r, values in zip(reversed(refs), reversed(tables)):
            key, c = divmod(int(key), len(values) + 1)
            if c:
                answers[r] = values[c - 1]
        results[u_pos] = bool(expr.holds(answers))
    return results[inv]


def plan_indicators(responses: pd.DataFrame, spec) -> RatioPlan:
    """Numerators (``when`` and ``among``) and denominators (``among``) of each indicator."""
    num, den, ids = [], [], []
    for ind in spec.indicators:
        among = (np.ones(len(responses), dtype=bool) if ind.among is None
                 else evaluate_condition(ind.among, responses, f"indicator {ind.id!r} (among)"))
        when = evaluate_condition(ind.when, responses, f"indicator {ind.id!r} (when)")
        num.append(np.where(when & among, 100.0, 0.0).astype(np.float32))
        den.append(among)
        ids.append(("indicator", ind.id))
    return RatioPlan(num=num, den=den, ids=ids)


def split_multiple(series: pd.Series) -> pd.Series:
    """Multiple-choice answers as lists; strings (CSV) are split on spaces."""
    def one(v):
        if isinstance(v, (list, tuple, np.ndarray)):
            return list(v)
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        return str(v).split()
    return series.map(one)


def plan_expectations(responses: pd.DataFrame, questionnaire, spec) -> RatioPlan | None:
    """Share choosing each option of the expectations question, among those who answered.

    The column holds lists (the stored form) or space-joined strings (CSV).
    """
    qid = spec.expectations
    if not qid:
        return None
    if qid not in responses.columns:
        raise SipasInputError(f"the expectations question {qid!r} is absent from the responses")
    question = questionnaire.questions.get(qid)
    col = responses[qid].reset_index(drop=True)
    answered = col.notna().to_numpy()
    first = col[answered].head(1)
    if len(first) and isinstance(first.iloc[0], str):
        exploded = col.str.split().explode()
    else:
        exploded = col.explode()
    rows = exploded.index.to_numpy()
    codes, uniques = pd.factorize(exploded.to_numpy(dtype=object))
    labels = [str(u) for u in uniques]
    choices = ([str(c.value) for c in question.choices] if question is not None
               and question.choices else sorted(labels))
    num, den, ids = [], [], []
    for c in choices:
        hit = np.zeros(len(col), dtype=bool)
        if c in labels:
            hit[rows[codes == labels.index(c)]] = True
        num.append(np.where(hit & answered, 100.0, 0.0).astype(np.float32))
        den.append(answered)
        ids.append(("expectation", c))
    return RatioPlan(num=num, den=den, ids=ids)
