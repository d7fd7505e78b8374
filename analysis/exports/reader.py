"""Reading an exported CSV back into the responses frame (for notebooks and the CLI)."""

from __future__ import annotations

import pandas as pd

from .plan import unguard_formula

__all__ = ["read_responses_csv"]

_TEXT_META = ("unit_code", "unit_name", "service_point", "service_field", "channel", "mode",
              "stratum")


def _map(s: pd.Series, fn) -> pd.Series:
    # A list comprehension keeps integers integers (Series.map would give floats beside NaN).
    return pd.Series([None if v is None else fn(v) for v in s.to_numpy(dtype=object)],
                     index=s.index, dtype=object)


def _typed_choice(question):
    by_text = {str(c.value): c.value for c in question.choices}
    return lambda v: by_text.get(v, v)


def read_responses_csv(source, questionnaire) -> pd.DataFrame:
    """Return the responses frame stored in an export CSV, answers in their stored types.

    Scale answers become integers (or ``"na"``), choices their typed values, multiple
    choices lists, yes/no booleans; empty cells are ``None``.  The BOM is skipped.
    """
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw = raw.astype(object).where(raw != "", None)
    out = pd.DataFrame(index=raw.index)
    for name in raw.columns:
        s = raw[name]
        question = questionnaire.questions.get(name)
        if question is None:
            if name in ("row", "weight", "fpc"):
                out[name] = pd.to_numeric(s)
            elif name == "submitted_date":
                out[name] = pd.to_datetime(s).dt.date.astype(object).where(s.notna(), None)
            else:
                out[name] = _map(s, unguard_formula) if name in _TEXT_META else s
            continue
        kind = question.type
        if kind == "scale":
            out[name] = _map(s, lambda v: v if v == "na" else int(v))
        elif kind == "single":
            out[name] = _map(s, _typed_choice(question))
        elif kind == "multiple":
            typed = _typed_choice(question)
            out[name] = _map(s, lambda v: [typed(x) for x in v.split()])
        elif kind == "yesno":
            out[name] = _map(s, lambda v: v == "true")
        elif kind == "integer":
            out[name] = _map(s, int)
        else:
            out[name] = _map(s, unguard_formula)
    return out
