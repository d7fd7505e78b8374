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
        # Each type reads its own cells back (questionnaires.types); free text first loses
        # the apostrophe that guarded it against spreadsheet formulas.
        kind = question.kind
        guarded = kind.export(question).guard
        out[name] = _map(s, lambda v, q=question, kind=kind, guarded=guarded: kind.parse_text(
            q, unguard_formula(v) if guarded else v))
    return out
