"""Design weights of a SIPAS wave: dossiers per response in each unit × service-field cell.

A response stands for the dossiers its unit resolved in its service field: the weight in
a cell h is ``N_h / n_h``. A cell that has responses but no dossiers, or dossiers but no
responses, cannot carry its own weight; such cells of a unit are pooled into one
"rest of the unit" cell, and when that pool still lacks one side the unit's cells are all
merged into one. So every dossier of a unit with responses is represented. Raking to
population margins and trimming are optional later steps. Every choice is written to the
:class:`WeightingRecord` that travels with the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..calibration import CalibrationStep, rake_weights, trim_weights
from ..errors import ConvergenceError
from .inputs import SipasInputError, UnitTree, _examples

def _codes_as_str(series: pd.Series) -> np.ndarray:
    """Values as stripped strings ('' for missing), converting only the distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return table[codes]


__all__ = ["MISSING", "WeightingRecord", "Weights", "design_weights", "rake", "trim"]

POOLED = "*rest"      # service_field label of a pooled cell
WHOLE_UNIT = "*all"   # service_field label of a unit collapsed into one cell


@dataclass
class WeightingRecord:
    """What was done to the weights, for the methods section of a report."""

    method: str = "dossiers per response in unit × service-field cells (N_h / n_h)"
    cells: pd.DataFrame | None = None          # unit_code, service_field, stratum, N, n, weight
    choices: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def to_dict(self, cells: bool = True) -> dict:
        """A JSON-able form (``cells=False`` leaves the cell table out)."""
        out = {"method": self.method, "choices": self.choices, "notes": list(self.notes)}
        if cells:
            out["cells"] = None if self.cells is None else self.cells.to_dict(orient="records")
        return out


@dataclass
class Weights:
    """Per-row weights, stratum codes and population sizes of the weighting cells."""

    weights: np.ndarray
    stratum: np.ndarray          # (N,) code of the row's weighting cell
    population: np.ndarray       # (H,) dossiers N_h per cell, for the fpc
    stratum_unit: np.ndarray     # (H,) unit index of each cell
    record: WeightingRecord


def design_weights(responses: pd.DataFrame, unit_index: np.ndarray, populations: pd.DataFrame,
                   tree: UnitTree, *, min_cell_n: int = 1,
                   missing_population: str = "error") -> tuple[Weights, np.ndarray]:
    """Compute ``N_h / n_h`` weights with the collapsing rule described in the module.

    Parameters
    ----------
    responses : DataFrame
        Needs ``service_field`` (missing values form a cell of their own, which has no
        dossiers and is therefore pooled).
    unit_index : ndarray
        Each row's unit position in ``tree``.
    populations : DataFrame
        Checked populations (``unit_code, service_field, dossiers``).
    tree : UnitTree
    min_cell_n : int
        Cells with fewer responses than this are pooled too (1: only empty cells).
    missing_population : {"error", "drop"}
        Responses of a unit that has no dossiers at all: fail, or leave them out (recorded).

    Returns
    -------
    (Weights, keep)
        ``keep`` is the boolean mask of rows kept (all rows unless dropped).
    """
    if "service_field" not in responses.columns:
        raise SipasInputError("the responses lack the column 'service_field'")
    if missing_population not in ("error", "drop"):
        raise SipasInputError("missing_population must be 'error' or 'drop'")
    fields = _codes_as_str(responses["service_field"])
    pop_units = tree.index(populations["unit_code"].to_numpy(dtype=object))
    pop_fields = populations["service_field"].to_numpy(dtype=object)
    field_codes, field_names = pd.factorize(np.concatenate([fields, pop_fields]))
    F = len(field_names)
    row_cell = unit_index * F + field_codes[: len(fields)]
    pop_cell = pop_units * F + field_codes[len(fields):]
    cells, inv = np.unique(np.concatenate([row_cell, pop_cell]), return_inverse=True)
    inv = inv.ravel()
    n = np.bincount(inv[: len(fields)], minlength=cells.size).astype(np.float64)
    N = np.bincount(inv[len(fields):], weights=populations["dossiers"].to_numpy(),
                    minlength=cells.size)
    unit = cells // F
    own = (n >= max(min_cell_n, 1)) & (N > 0)
    loose = ~own
    # Pool the loose cells of each unit; if the pool is one-sided, merge the whole unit.
    n_pool = pd.Series(np.where(loose, n, 0)).groupby(unit).transform("sum").to_numpy()
    N_pool = pd.Series(np.where(loose, N, 0)).groupby(unit).transform("sum").to_numpy()
    one_sided = (n_pool > 0) != (N_pool > 0)
    whole = one_sided & (pd.Series(one_sided).groupby(unit).transform("any").to_numpy())
    label = np.where(whole, -2, np.where(loose, -1, np.arange(cells.size)))
    key = pd.factorize(pd.Series(unit.astype(str)) + ":" + pd.Series(label.astype(str)))[0]
    Nh = np.bincount(key, weights=N)
    nh = np.bincount(key, weights=n)
    stratum_unit = np.zeros(Nh.size, dtype=np.int64)
    stratum_unit[key] = unit
    no_pop = (nh > 0) & (Nh == 0)
    keep = np.ones(len(fields), dtype=bool)
    notes = []
    if no_pop.any():
        bad_units = tree.codes[stratum_unit[no_pop]]
        if missing_population == "error":
            raise SipasInputError("units with responses but no dossiers in the populations: "
                                  + _examples(bad_units)
                                  + " (add their populations, or drop them with "
                                    "missing_population='drop')")
        keep = ~no_pop[key[inv[: len(fields)]]]
        notes.append(f"dropped {int((~keep).sum())} responses of {int(no_pop.sum())} units "
                     f"without dossiers: {_examples(bad_units)}")
    unrepresented = (nh == 0) & (Nh > 0)
    if unrepresented.any():
        notes.append(f"{int(unrepresented.sum())} units have dossiers "
                     f"({Nh[unrepresented].sum():.0f}) but no responses; they are no_data")
    usable = (nh > 0) & (Nh > 0)
    stratum_map = np.full(Nh.size, -1, dtype=np.int64)
    stratum_map[usable] = np.arange(int(usable.sum()))
    row_stratum = stratum_map[key[inv[: len(fields)]]][keep]
    wh = np.divide(Nh, nh, out=np.zeros_like(Nh), where=nh > 0)
    weights = wh[key[inv[: len(fields)]]][keep]
    field_of_cell = np.asarray(field_names, dtype=object)[cells % F]
    cell_label = np.where(whole, WHOLE_UNIT, np.where(loose, POOLED, field_of_cell))
    table = pd.DataFrame({"unit_code": tree.codes[unit], "service_field": field_of_cell,
                          "cell": cell_label, "n": n, "dossiers": N,
                          "stratum": stratum_map[key]})
    table["weight"] = np.where(table["stratum"] >= 0, wh[key], np.nan)
    collapsed = int(np.sum(loose & (N + n > 0)))
    record = WeightingRecord(cells=table, notes=notes, choices={
        "cells": "unit × service_field", "min_cell_n": int(min_cell_n),
        "collapse": "loose cells pooled per unit; whole unit when the pool is one-sided",
        "cells_pooled": collapsed, "units_merged_whole": int(np.unique(unit[whole]).size),
        "strata": int(usable.sum()), "missing_population": missing_population,
        "fpc": "dossiers per stratum", "raking": None, "trimming": None})
    out = Weights(weights=weights, stratum=row_stratum, population=Nh[usable],
                  stratum_unit=stratum_unit[usable], record=record)
    return out, keep


MISSING = "*missing"   # the raking category of respondents without a value


def rake(weights: np.ndarray, stratum: np.ndarray, variables: dict[str, np.ndarray],
         margins: dict[str, dict], *, max_iter: int = 2000,
         tol: float = 1e-10) -> tuple[np.ndarray, CalibrationStep, dict]:
    """Rake the cell weights to demographic margins, keeping every cell's dossiers.

    The weighting cells (unit × service field, ``stratum``) are the first margin, with
    their design-weighted totals (the dossiers ``N_h``) as targets, so raking never undoes
    the design weights' totals. ``margins[var]`` gives each category's population share
    (or total: the values are normalised to shares, since the dossiers fix the total).
    Respondents without a value of ``var`` form an explicit category ``"*missing"``
    whose target is its own design-weighted total: the shares are applied to the dossiers
    of the respondents with a known value, and nobody is dropped. A category of the
    margins that no respondent has is left out (its share spread over the others) and
    named in the record; a value absent from the margins is an error.

    Returns
    -------
    (weights, step, record)
        The raked weights, the :class:`~analysis.calibration.CalibrationStep` (for the
        variance from the raking residuals) and a JSON-able record of the margins used.
    """
    w = np.asarray(weights, dtype=np.float64)
    stratum = np.asarray(stratum, dtype=np.int64)
    codes = [stratum]
    targets = [np.bincount(stratum, weights=w)]
    details, skipped = {}, []
    for var, target in margins.items():
        if var not in variables:
            raise SipasInputError(f"raking variable {var!r} is not a column of the responses")
        if not isinstance(target, dict) or not target:
            raise SipasInputError(f"raking margins of {var!r} must map categories to shares")
        if MISSING in map(str, target):
            raise SipasInputError(f"raking margins of {var!r}: {MISSING!r} is computed, "
                                  "not given (it keeps its design-weighted total)")
        vals = pd.Series(_codes_as_str(pd.Series(variables[var], dtype=object)), dtype=object)
        missing = (vals == "").to_numpy()
        cats = [str(c).strip() for c in target]
        try:
            t = np.array([float(target[k]) for k in target])
        except (TypeError, ValueError):
            raise SipasInputError(f"raking margins of {var!r} must be numbers") from None
        if np.any(t <= 0) or not np.all(np.isfinite(t)):
            raise SipasInputError(f"raking margins of {var!r} must be positive numbers")
        c = pd.Index(cats).get_indexer(vals.where(~missing, "\0")).astype(np.int64)
        unknown = (c < 0) & ~missing
        if unknown.any():
            raise SipasInputError(f"raking: {int(unknown.sum())} responses have a value of "
                                  f"{var!r} without a margin: " + _examples(vals[unknown]))
        present = np.bincount(c[c >= 0], minlength=len(cats)) > 0
        kept = [k for k, p in zip(cats, present) if p]
        if len(kept) + bool(missing.any()) < 2:
            skipped.append(var)
            continue
        remap = np.cumsum(present) - 1
        c = np.where(missing, len(kept), remap[np.maximum(c, 0)])
        w_missing = float(w[missing].sum())
        share = t[present] / t[present].sum()
        tv = share * (w.sum() - w_missing)
        if missing.any():
            tv = np.append(tv, w_missing)
        codes.append(c)
        targets.append(tv)
        details[var] = {"shares": dict(zip(kept, share.round(12).tolist())),
                     "missing": int(missing.sum()),
                     "dropped_categories": [k for k, p in zip(cats, present) if not p]}
    if len(codes) == 1:
        return w, None, {"margins": [], "variables": [], "skipped": skipped,
                         "note": "no usable raking margin: weights unchanged"}
    try:
        new = rake_weights(w, codes, targets, max_iter, tol)
    except ConvergenceError as exc:
        raise SipasInputError(f"raking: {exc}") from None
    step = CalibrationStep("rake", tuple((c, len(t)) for c, t in zip(codes, targets)), w, new)
    record = {"margins": ["unit × service field (dossiers)"] + list(details),
              "variables": list(details), "details": details, "skipped": skipped, "missing_category": MISSING,
              "method": "IPF (analysis.calibration), the weighting cells' dossiers kept",
              "variance": "residuals of the calibration on all margins (R survey's "
                          "rake/svyrecvar; analysis.calibration.CalibrationStep)"}
    return new, step, record


def trim(weights: np.ndarray, upper: float) -> tuple[np.ndarray, dict]:
    """Cap weights at ``upper`` × the mean weight, keeping the total (design engine's trim)."""
    if not upper > 1:
        raise SipasInputError("trim must be a factor greater than 1 (times the mean weight)")
    w = np.asarray(weights, dtype=np.float64)
    cap = upper * w.mean()
    new = trim_weights(w, cap, None, np.zeros(w.size, dtype=np.int64))
    return new, {"upper_factor": upper, "cap": cap,
                 "trimmed": int(np.sum(new >= cap * (1 - 1e-12)))}
