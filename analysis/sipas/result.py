"""Options and the plain, serialisable result of a SIPAS computation.

A :class:`SipasResult` holds only DataFrames and JSON-able dicts, so a PDF template or a
JSON API can use it without the engine; ``save``/``load`` write and read a directory of
CSV and JSON files (which is also how a previous wave is passed to the command line).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SipasOptions", "SipasResult", "TABLES"]

TABLES = ("indices", "indicators", "expectations", "rankings", "drivers", "units")


@dataclass(frozen=True)
class SipasOptions:
    """Methodological choices of a SIPAS computation; all are recorded in the result.

    Parameters
    ----------
    min_n : int
        Minimum effective sample size of a presented figure (NCHS: 30).
    max_ci_width, rel_width_from, max_rel_ci_width, min_df
        The rest of the presentation standard (:mod:`analysis.sipas.standard`; NCHS
        2017: 0.30, 0.05, 1.30, 8). A figure failing it is ``small_sample`` (shown as
        "chưa đủ mẫu"), not ranked and not tested; ``review`` marks figures to read with
        care (complement rule, few df).
    interval : {"beta", "logit", "wilson", "wald"}
        Interval of single shares (default Korn-Graubard; shares near 0 or 100 % always
        get Korn-Graubard, see :func:`analysis.sipas.domains.interval`).
    min_events : float
        A share is tested against its parent only when the unit expects this many events
        and non-events under the null.
    multiple : {"holm", "bh", "none"}
        Adjustment of the "above/below the parent" p-values within each family (one
        measure among the units of one kind under one parent).
    cluster : bool
        Use the service point as PSU (within each weighting cell; no fpc) instead of the
        respondent.
    fpc : bool
        Finite population correction from the dossiers of each weighting cell.
    lonely_psu : {"adjust", "remove", "certainty", "average", "fail"}
        A weighting cell with a single PSU, as R's ``options(survey.lonely.psu=)``:
        "adjust" centres its PSU at the grand mean, "remove" and "certainty" let it add no
        variance, "average" gives it the average variance of the other cells, "fail"
        raises (see ``design_arrays``).
    min_cell_n : int
        Cells with fewer responses are pooled within their unit (1: only empty cells).
    missing_population : {"error", "drop"}
        Responses of units without any dossiers.
    rake_margins : dict, optional
        ``{column: {category: total or share}}``: rake the weights to these margins.
    trim : float, optional
        Cap weights at this factor times the mean weight.
    confidence : float
        Confidence level of the intervals.
    alpha : float
        Level of the test of a unit against its parent.
    rank_small_samples : bool
        Whether figures failing the presentation standard are ranked (default not).
    rank_draws, rank_seed
        Draws and seed of the simulated rank intervals (see
        :func:`~analysis.sipas.rankings.rank_units`).
    drivers, drivers_outcome, drivers_missing
        Fit the key-drivers model; its outcome question (default: see
        :func:`~analysis.sipas.drivers.drivers_outcome`); "mean" or "drop" for missing
        element scores.
    progress : bool
        Show a tqdm progress bar.
    """

    min_n: int = 30
    max_ci_width: float = 0.30
    rel_width_from: float = 0.05
    max_rel_ci_width: float = 1.30
    min_df: int = 8
    interval: str = "beta"
    min_events: float = 5
    multiple: str = "holm"
    cluster: bool = False
    fpc: bool = True
    lonely_psu: str = "adjust"
    min_cell_n: int = 1
    missing_population: str = "error"
    rake_margins: dict | None = None
    trim: float | None = None
    confidence: float = 0.95
    alpha: float = 0.05
    rank_small_samples: bool = False
    rank_draws: int = 1000
    rank_seed: int = 20240601
    drivers: bool = True
    drivers_outcome: str | None = None
    drivers_missing: str = "mean"
    progress: bool = False

    def __post_init__(self):
        if not (isinstance(self.min_n, int) and self.min_n >= 0):
            raise ValueError("min_n must be a non-negative integer")
        self.standard()     # checks the thresholds
        if self.interval not in ("beta", "logit", "wilson", "wald"):
            raise ValueError("interval must be 'beta', 'logit', 'wilson' or 'wald'")
        if self.multiple not in ("holm", "bh", "none"):
            raise ValueError("multiple must be 'holm', 'bh' or 'none'")
        if self.lonely_psu not in ("adjust", "remove", "certainty", "average", "fail"):
            raise ValueError("lonely_psu must be adjust, remove, certainty, average or fail")
        if not (isinstance(self.rank_draws, int) and self.rank_draws >= 0):
            raise ValueError("rank_draws must be a non-negative integer")
        if not 0 < self.confidence < 1 or not 0 < self.alpha < 1:
            raise ValueError("confidence and alpha must be between 0 and 1")
        if self.drivers_missing not in ("mean", "drop"):
            raise ValueError("drivers_missing must be 'mean' or 'drop'")

    def standard(self):
        """The presentation standard of these options."""
        from .standard import PresentationStandard
        return PresentationStandard(min_n_eff=self.min_n, max_width=self.max_ci_width,
                                    rel_width_from=self.rel_width_from,
                                    max_rel_width=self.max_rel_ci_width, min_df=self.min_df)

    def to_dict(self) -> dict:
        """A JSON-able form."""
        return asdict(self)


def _clean(obj):
    """Make numpy/pandas scalars and NaN JSON-able (NaN and NA become null)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return _records(obj)
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _records(df: pd.DataFrame) -> list[dict]:
    cols = {c: df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns}
    out = [dict(zip(cols, row)) for row in zip(*cols.values())] if len(df) else []
    return [{k: _clean(v) for k, v in r.items()} for r in out]


@dataclass
class SipasResult:
    """Everything a report needs; see the module docstring.

    Attributes
    ----------
    indices : DataFrame
        One row per domain × index: ``unit_code, depth, kind`` (criterion, question,
        element, overall), ``id, value, se, ci_low, ci_high, df, n, diff_parent,
        se_diff_parent, cv, p_parent, vs_parent, small_sample, status`` (also ``n_eff``,
        ``p_parent_adjusted`` and, last, ``se_linearized``: the SE without the edge
        variance that element and overall indices add, see docs/statistics.md). Values
        are on 0-100; the scope is ``unit_code == "*"`` with depth -1.
    indicators, expectations : DataFrame
        The same columns for indicators and expectation shares.
    rankings : DataFrame
        See :func:`~analysis.sipas.rankings.rank_units`.
    drivers : DataFrame
        See :func:`~analysis.sipas.drivers.key_drivers`.
    units : DataFrame
        The unit tree with depth, responses and dossiers per unit.
    weighting : dict
        The weighting record (choices, notes, cell table).
    meta : dict
        Questionnaire id/version/hash, wave, timestamp, options, estimation choices.
    diagnostics : dict of DataFrame
        ``weighting`` (Kish design effect and effective n per unit), ``alpha``
        (Cronbach's alpha per element), ``response_counts`` (responses, dossiers and
        sampling fraction per unit × service field); see
        :mod:`analysis.sipas.diagnostics`. Empty for results saved before they existed.
    points : DataFrame
        PAR Index survey points per unit and component (``total`` too), when the
        definition has ``analysis.par_points``; see :mod:`analysis.sipas.points`.
    """

    indices: pd.DataFrame
    indicators: pd.DataFrame
    expectations: pd.DataFrame
    rankings: pd.DataFrame
    drivers: pd.DataFrame
    units: pd.DataFrame
    weighting: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    points: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        """A JSON-able dict of every table (records) plus ``weighting`` and ``meta``."""
        out = {name: _records(getattr(self, name)) for name in TABLES}
        out["weighting"] = _clean(self.weighting)
        out["meta"] = _clean(self.meta)
        out["diagnostics"] = {k: _records(v) for k, v in self.diagnostics.items()}
        out["points"] = _records(self.points)
        return out

    def to_json(self, **kwargs) -> str:
        """The :meth:`to_dict` form as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write each table as CSV and JSON, and ``meta.json``/``weighting.json``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        written = []
        for name in TABLES:
            df = getattr(self, name)
            df.to_csv(d / f"{name}.csv", index=False)
            (d / f"{name}.json").write_text(json.dumps(_records(df), ensure_ascii=False),
                                            encoding="utf-8")
            written += [d / f"{name}.csv", d / f"{name}.json"]
        if len(self.points):
            self.points.to_csv(d / "points.csv", index=False)
            written.append(d / "points.csv")
        for name, df in self.diagnostics.items():
            path = d / f"diagnostics_{name}.csv"
            df.to_csv(path, index=False)
            written.append(path)
        for name in ("weighting", "meta"):
            (d / f"{name}.json").write_text(json.dumps(_clean(getattr(self, name)),
                                                       ensure_ascii=False, indent=1),
                                            encoding="utf-8")
            written.append(d / f"{name}.json")
        return written

    @classmethod
    def load(cls, directory: str | os.PathLike) -> SipasResult:
        """Read a result written by :meth:`save` (tables from CSV)."""
        d = Path(directory)
        missing = [n for n in TABLES if not (d / f"{n}.csv").exists()]
        if missing:
            raise FileNotFoundError(f"{d} is not a saved SIPAS result: no {missing[0]}.csv")
        tables = {}
        for n in TABLES:
            try:
                tables[n] = pd.read_csv(d / f"{n}.csv", dtype={"unit_code": str, "id": str,
                                                              "parent_code": str, "code": str})
            except pd.errors.EmptyDataError:
                tables[n] = pd.DataFrame()
        extra = {n: json.loads((d / f"{n}.json").read_text(encoding="utf-8"))
                 if (d / f"{n}.json").exists() else {} for n in ("weighting", "meta")}
        diagnostics = {p.stem[len("diagnostics_"):]: pd.read_csv(p, dtype={"unit_code": str})
                       for p in sorted(d.glob("diagnostics_*.csv"))}
        # Results saved before PAR points existed (or without a points table) have none.
        points = (pd.read_csv(d / "points.csv", dtype={"unit_code": str, "id": str})
                  if (d / "points.csv").exists() else pd.DataFrame())
        return cls(**tables, **extra, diagnostics=diagnostics, points=points)
