"""Input checks of :class:`~analysis.design.SurveyDesign`: columns, weights, fpc, cells.

Inputs are checked at the boundary with clear errors (:class:`DesignError`) naming the
column and, where it helps, the offending rows or values; nothing is silently coerced.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import DesignError


def data_column(data: pd.DataFrame, name, role: str) -> pd.Series:
    """Return column ``name`` of ``data``; a missing column is a :class:`DesignError`."""
    if not isinstance(name, str) or name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} is not in the data; columns are {list(data.columns)[:20]}"
        )
    return data[name]


def numeric_values(series: pd.Series, role: str) -> np.ndarray:
    """Return a float array; text in a numeric column is an error, never coerced."""
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    text = series[series.map(lambda v: isinstance(v, str))]
    if len(text):
        examples = ", ".join(repr(v) for v in text.unique()[:3])
        raise DesignError(
            f"{role} column {series.name!r} holds text (e.g. {examples}) where numbers are "
            "expected; convert it to numbers first"
        )
    try:
        return pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DesignError(f"{role} column {series.name!r} is not numeric: {exc}") from None


def group_codes(series: pd.Series, role: str):
    """Integer codes and sorted level labels of a grouping column (missing -> error)."""
    if series.isna().any():
        raise DesignError(f"{role} column {series.name!r} has missing values")
    codes, levels = pd.factorize(series, sort=True)
    return codes.astype(np.int64), levels


def _labels(data: pd.DataFrame, mask: np.ndarray, limit: int = 5) -> str:
    return ", ".join(repr(v) for v in data.index[mask][:limit])


def checked_weights(data: pd.DataFrame, column) -> np.ndarray:
    """Return the weights in ``column`` (1 for every row when None); all must be > 0."""
    if column is None:
        return np.ones(len(data))
    w = numeric_values(data_column(data, column, "weights"), "weights")
    for bad, what in ((np.isnan(w), "missing"), (np.isinf(w), "infinite"),
                      (w < 0, "negative"), (w == 0, "zero")):
        if bad.any():
            raise DesignError(
                f"weights column {column!r} has {int(bad.sum())} {what} "
                f"value(s) (rows {_labels(data, bad)}); every respondent needs a "
                "positive weight"
            )
    return w


def fpc_factor(data: pd.DataFrame, column, stratum, n_psu, strata_levels) -> np.ndarray:
    """Return ``1 - f_h`` per stratum from the fpc ``column`` (1 everywhere when None)."""
    if column is None:
        return np.ones(len(n_psu))
    fpc = numeric_values(data_column(data, column, "fpc"), "fpc")
    if np.isnan(fpc).any() or (fpc <= 0).any():
        raise DesignError(f"fpc column {column!r} must be positive, without gaps")
    lo = pd.Series(fpc).groupby(stratum).min().to_numpy()
    hi = pd.Series(fpc).groupby(stratum).max().to_numpy()
    if np.any(lo != hi):
        bad = strata_levels[lo != hi][:5]
        raise DesignError(f"fpc varies within stratum/strata {list(bad)}; it must be constant")
    if np.all(fpc <= 1):
        pop = n_psu / lo           # sampling fractions, as R reads fpc <= 1
    elif np.all(fpc >= 1):
        pop = lo
    else:
        raise DesignError("fpc must be all population sizes (>= 1) or all fractions (<= 1)")
    if np.any(pop < n_psu - 1e-9):
        bad = strata_levels[pop < n_psu - 1e-9][:5]
        raise DesignError(f"fpc is smaller than the number of sampled PSUs in strata {list(bad)}")
    return np.where(np.isinf(pop), 1.0, (pop - n_psu) / pop)


def calibration_cells(data: pd.DataFrame, column: str, population: Mapping):
    """Return the cell code of every row and the population count of every cell."""
    if not isinstance(population, Mapping) or not population:
        raise DesignError(f"population counts for {column!r} must be a non-empty mapping")
    series = data_column(data, column, "calibration")
    keys = list(population)
    counts = np.array([population[k] for k in keys], dtype=float)
    if not np.all(np.isfinite(counts) & (counts > 0)):
        raise DesignError(f"population counts for {column!r} must be positive numbers")
    codes = pd.Index(keys).get_indexer(series)
    if (codes < 0).any():
        extra = pd.unique(series[codes < 0])[:5]
        raise DesignError(f"values of {column!r} without a population count: {list(extra)}")
    present = np.bincount(codes, minlength=len(keys)) > 0
    if not present.all():
        empty = [keys[i] for i in np.flatnonzero(~present)][:5]
        raise DesignError(f"population cells of {column!r} with no respondent cannot be "
                          f"matched: {empty}; merge them with a neighbouring cell")
    return codes.astype(np.int64), counts
