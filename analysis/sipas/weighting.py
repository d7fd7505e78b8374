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

from ..calibration import rake_weights, trim_weights
from .inputs import SipasInputError, UnitTree, _examples

def _codes_as_str(series: pd.Series) -> np.ndarray:
    """Values as stripped strings ('' for missing), converting only the distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return table[codes]


__all__ = ["WeightingRecord", "Weights", "design_weights", "rake", "trim"]

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


def rake(weights: np.ndarray, variables: dict[str, np.ndarray], margins: dict[str, dict],
         *, max_iter: int = 50, tol: float = 1e-8) -> tuple[np.ndarray, dict]:
    """Rake weights to population margins with the design engine's IPF.

    ``margins[var]`` maps each category to a population total, or to a share when the
    values sum to 1 (then scaled to the total weight, so raking keeps the number of
    dossiers). Every response needs a listed category of every raking variable.
    Returns the new weights and a record of the step.
    """
    w = np.asarray(weights, dtype=np.float64)
    codes, targets = [], []
    for var, target in margins.items():
        if var not in variables:
            raise SipasInputError(f"raking variable {var!r} is not a column of the responses")
        vals = pd.Series(variables[var], dtype=object).astype("string")
        cats = [str(c) for c in target]
        c = pd.Index(cats).get_indexer(vals.fillna("\0")).astype(np.int64)
        if (c < 0).any():
            raise SipasInputError(f"raking: {int((c < 0).sum())} responses have a value of "
                                  f"{var!r} without a margin: "
                                  + _examples(vals[c < 0].fillna("<missing>")))
        t = np.array([float(target[k]) for k in target])
        if np.any(t <= 0) or not np.all(np.isfinite(t)):
            raise SipasInputError(f"raking margins of {var!r} must be positive numbers")
        if abs(t.sum() - 1) < 1e-6:
            t = t * w.sum()
        if np.any(np.bincount(c, minlength=t.size) == 0):
            raise SipasInputError(f"raking: a category of {var!r} has no responses")
        codes.append(c)
        targets.append(t)
    new = rake_weights(w, codes, targets, max_iter, tol)
    return new, {"variables": list(margins), "method": "IPF (analysis.calibration)",
                 "variance": "raked weights treated as fixed"}


def trim(weights: np.ndarray, upper: float) -> tuple[np.ndarray, dict]:
    """Cap weights at ``upper`` × the mean weight, keeping the total (design engine's trim)."""
    if not upper > 1:
        raise SipasInputError("trim must be a factor greater than 1 (times the mean weight)")
    w = np.asarray(weights, dtype=np.float64)
    cap = upper * w.mean()
    new = trim_weights(w, cap, None, np.zeros(w.size, dtype=np.int64))
    return new, {"upper_factor": upper, "cap": cap,
                 "trimmed": int(np.sum(new >= cap * (1 - 1e-12)))}
