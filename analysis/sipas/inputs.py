"""Checking and preparing the inputs of a SIPAS computation: responses, unit tree, populations.

Every check happens here, at the boundary, and fails with a :class:`SipasInputError`
that names the column, the units or the questions at fault, so that nothing malformed
reaches the estimators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SipasInputError", "UnitTree", "build_tree", "check_populations", "check_responses",
           "scale_codes", "SCOPE"]

SCOPE = "*"                    # unit_code of the whole scope (all responses)
RESPONSE_COLUMNS = ("unit_code", "service_point", "service_field")
UNIT_COLUMNS = ("code", "parent_code")
POPULATION_COLUMNS = ("unit_code", "service_field", "dossiers")


class SipasInputError(ValueError):
    """Input data or definition that cannot be analysed, with a message naming the problem."""


def _examples(values, limit: int = 5) -> str:
    values = list(dict.fromkeys(values))
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return ", ".join(repr(v) for v in values[:limit]) + more


def _require(df: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SipasInputError(f"{what} must be a pandas DataFrame, not {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SipasInputError(f"{what} lacks the column(s) {', '.join(missing)} "
                              f"(it has: {', '.join(map(str, df.columns))})")


def _as_key(series: pd.Series) -> pd.Series:
    """Codes as strings; missing stays missing (CSV readers may give numbers)."""
    out = series.astype("string")
    return out.str.strip()


@dataclass(frozen=True)
class UnitTree:
    """The unit hierarchy: codes, parents, depth and the ancestor at every depth."""

    codes: np.ndarray            # (U,) str
    parent: np.ndarray           # (U,) int index of the parent, -1 for a root
    depth: np.ndarray            # (U,) 0 for roots
    ancestors: np.ndarray        # (depth_max + 1, U) ancestor index at each depth, -1 if none
    frame: pd.DataFrame          # code, name, name_en, kind, parent_code, depth

    @property
    def n_levels(self) -> int:
        """Number of depths in the tree."""
        return self.ancestors.shape[0]

    def index(self, codes: pd.Series) -> np.ndarray:
        """Positions of unit codes (-1 for unknown codes)."""
        idx = pd.Index(self.codes).get_indexer(codes)
        return idx.astype(np.int64)


def build_tree(units: pd.DataFrame) -> UnitTree:
    """Validate the unit frame (``code, name, name_en, kind, parent_code``) and index it.

    Raises
    ------
    SipasInputError
        Missing columns, empty or duplicate codes, unknown parents, or a cycle.
    """
    _require(units, UNIT_COLUMNS, "the unit tree")
    if len(units) == 0:
        raise SipasInputError("the unit tree is empty")
    codes = _as_key(units["code"])
    if codes.isna().any() or (codes == "").any():
        raise SipasInputError("the unit tree has rows with an empty code")
    dup = codes[codes.duplicated()]
    if len(dup):
        raise SipasInputError(f"the unit tree has duplicate codes: {_examples(dup)}")
    if (codes == SCOPE).any():
        raise SipasInputError(f"{SCOPE!r} is reserved for the whole scope; rename that unit")
    parent_codes = _as_key(units["parent_code"]).replace("", pd.NA)
    idx = pd.Index(codes.to_numpy(dtype=object))
    parent = idx.get_indexer(parent_codes.fillna("\0").to_numpy(dtype=object))
    unknown = parent_codes[(parent < 0) & parent_codes.notna().to_numpy()]
    if len(unknown):
        raise SipasInputError(f"the unit tree names unknown parent codes: {_examples(unknown)}")
    parent = parent.astype(np.int64)
    # Walk up one generation per pass: the number of passes is the tree's depth, not the
    # number of units.
    depth = np.zeros(parent.size, dtype=np.int64)
    cur = parent.copy()
    for _ in range(parent.size + 1):
        has = cur >= 0
        if not has.any():
            break
        depth[has] += 1
        cur = np.where(has, parent[np.where(has, cur, 0)], -1)
    if (cur >= 0).any():      # still climbing after as many steps as units: a cycle
        raise SipasInputError("the unit tree has a cycle of parent codes")
    anc = np.full((int(depth.max()) + 1, parent.size), -1, dtype=np.int64)
    cur = np.arange(parent.size)
    d = depth.copy()
    while True:
        live = cur >= 0
        if not live.any():
            break
        anc[d[live], np.flatnonzero(live)] = cur[live]
        nxt = np.where(live, parent[np.where(live, cur, 0)], -1)
        d = d - 1
        cur = nxt
    frame = pd.DataFrame({"code": codes.to_numpy(dtype=object)})
    for col in ("name", "name_en", "kind"):
        frame[col] = units[col].to_numpy() if col in units.columns else None
    frame["parent_code"] = parent_codes.to_numpy(dtype=object)
    frame["depth"] = depth
    return UnitTree(codes=codes.to_numpy(dtype=object), parent=parent, depth=depth,
                    ancestors=anc, frame=frame)


def check_responses(responses: pd.DataFrame, tree: UnitTree) -> tuple[pd.DataFrame, np.ndarray]:
    """Check the responses frame; return it (codes as strings) and each row's unit index."""
    _require(responses, ("unit_code",), "the responses")
    if len(responses) == 0:
        raise SipasInputError("the wave has no responses (empty responses frame)")
    # Look up the few distinct codes, not the million rows.
    codes, uniques = pd.factorize(responses["unit_code"], use_na_sentinel=True)
    if (codes < 0).any():
        raise SipasInputError(f"{int((codes < 0).sum())} responses have no unit_code")
    names = np.array([str(u).strip() for u in uniques], dtype=object)
    found = tree.index(names)
    if (found < 0).any():
        raise SipasInputError("responses name units missing from the unit tree: "
                              + _examples(names[found < 0]))
    return responses, found[codes]


def check_populations(populations: pd.DataFrame, tree: UnitTree) -> pd.DataFrame:
    """Check populations (``unit_code, service_field, dossiers``); return a clean copy."""
    _require(populations, POPULATION_COLUMNS, "the populations")
    pop = pd.DataFrame({"unit_code": _as_key(populations["unit_code"]),
                        "service_field": _as_key(populations["service_field"]).fillna("")})
    raw = populations["dossiers"]
    dossiers = pd.to_numeric(raw, errors="coerce")
    bad = dossiers.isna() & raw.notna()
    if bad.any():
        raise SipasInputError("the populations column 'dossiers' holds values that are not "
                              f"numbers: {_examples(raw[bad])}")
    if dossiers.isna().any():
        raise SipasInputError(f"{int(dossiers.isna().sum())} population rows have no dossiers")
    if (dossiers < 0).any() or not np.isfinite(dossiers.to_numpy(dtype=float)).all():
        raise SipasInputError("the populations column 'dossiers' must be finite and >= 0")
    pop["dossiers"] = dossiers.to_numpy(dtype=np.float64)
    unknown = pop["unit_code"][tree.index(pop["unit_code"].to_numpy(dtype=object)) < 0]
    if len(unknown):
        raise SipasInputError("the populations name units missing from the unit tree: "
                              + _examples(unknown))
    dup = pop.duplicated(["unit_code", "service_field"])
    if dup.any():
        cells = pop.loc[dup, ["unit_code", "service_field"]].astype(str).agg(" × ".join, axis=1)
        raise SipasInputError(f"the populations repeat cells: {_examples(cells)}")
    return pop


def scale_codes(series: pd.Series, name: str) -> np.ndarray:
    """Scale answers as float 1..5 with NaN for a non-answer or missing; other text fails."""
    if pd.api.types.is_bool_dtype(series.dtype):
        raise SipasInputError(f"column {name!r} holds true/false values, not a 1-5 scale")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        # Hash the column once and convert only its few distinct values.
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        table = np.full(len(uniques) + 1, np.nan)
        bad = []
        for i, u in enumerate(uniques):
            if isinstance(u, (bool, np.bool_)):
                bad.append(u)
                continue
            # "na" (no opinion) and "not_applicable" are both outside the index.
            if isinstance(u, str) and u.strip().lower() in ("na", "not_applicable", ""):
                continue
            try:
                table[i] = float(u)
            except (TypeError, ValueError):
                bad.append(u)
        if bad:
            raise SipasInputError(f"column {name!r} holds values that are not 1-5, 'na' or 'not_applicable': "
                                  + _examples(bad))
        values = table[codes]          # code -1 (missing) picks the trailing NaN
    finite = ~np.isnan(values)
    bad = finite & ~np.isin(values, (1, 2, 3, 4, 5))
    if bad.any():
        raise SipasInputError(f"column {name!r} holds values outside 1-5: "
                              + _examples(values[bad]))
    return values
