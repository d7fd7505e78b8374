"""Monte Carlo checks of the unit-level statistics on identical units.

:func:`identical_units_study` builds a province of ``n_units`` communes of *identical*
true quality (the synthetic generator with ``quality = 0`` and one online share), draws
repeated waves from :func:`analysis.synthetic.synthetic_responses`, runs
:func:`~analysis.sipas.compute_sipas` on each and reports, per index and indicator:

- ``coverage``: the share of unit-waves whose confidence interval contains the true value
  (a missing interval on a unit with data counts as a miss: "no interval" is no help);
- ``flag_rate``: the share of unit-waves flagged "above"/"below" the province (every
  flag is false, since the units are identical); ``flag_rate_presented`` the same among
  the unit-waves that pass the presentation standard (suppressed figures are not tested).

The generator draws some parameters per call (a shift of each criterion shared by all
units), so each wave has its own true values: a wave draws ``truth_n`` responses, takes
``responses`` of them at random as the sample, and the true value is the scope estimate
from the rest, whose sampling error is small beside a unit's (a unit holds about
``responses / n_units`` respondents). The cells hold many dossiers (about 100,000 a
unit, in proportion to the wave's field mix), so the finite population correction is
negligible and the generator's expected values are the targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .synthetic import synthetic_responses

__all__ = ["HEADLINE", "identical_units_study"]

FIELDS = ("land", "civil", "business", "justice")
# Every index of the bundled SIPAS definition and its headline indicators.
HEADLINE = (("overall", "overall"), ("element", "access"), ("element", "procedures"),
            ("element", "staff"), ("element", "results"), ("element", "feedback"),
            ("indicator", "extra_payment"), ("indicator", "harassment"),
            ("indicator", "trips_3plus"), ("indicator", "late"))


def _province(n_units: int, seed: int):
    codes = [f"C{i:02d}" for i in range(1, n_units + 1)]
    tree = pd.DataFrame({"code": ["P"] + codes, "name": ["P"] + codes, "name_en": None,
                         "kind": ["province"] + ["commune"] * n_units,
                         "parent_code": [None] + ["P"] * n_units})
    size = np.random.default_rng(seed).lognormal(0.0, 0.6, n_units)
    gen = pd.DataFrame({"unit_code": codes, "dossiers": size, "quality": 0.0,
                        "online_share": 0.3})
    pops = pd.DataFrame([(u, f, round(100_000 * s)) for u, s in zip(codes, size) for f in FIELDS],
                        columns=["unit_code", "service_field", "dossiers"])
    return tree, gen, pops


def _long(result) -> pd.DataFrame:
    t = pd.concat([result.indices, result.indicators], ignore_index=True)
    return t.set_index(["kind", "id"])


def identical_units_study(questionnaire, *, n_units: int = 21, responses: int = 3000,
                          waves: int = 40, seed: int = 1, options=None,
                          measures=HEADLINE, truth_n: int = 20_000) -> pd.DataFrame:
    """Coverage and false-flag rates of unit estimates on identical units.

    Parameters
    ----------
    questionnaire : Questionnaire
        A definition with an analysis block (the bundled SIPAS one for ``HEADLINE``).
    n_units, responses, waves, seed
        Communes, responses per wave, waves drawn, seed of everything.
    options : SipasOptions, optional
        Options of every computation (default: the defaults without the drivers model).
    measures : sequence of (kind, id)
    truth_n : int
        Responses drawn per wave; those not in the sample give the true values.

    Returns
    -------
    DataFrame
        One row per measure: ``kind, id, truth`` (mean over waves), ``unit_waves`` (with data), ``median_n``,
        ``coverage``, ``flag_rate``, ``zero_or_full`` (share of unit-waves at 0 or 100),
        ``suppressed`` (share failing the presentation standard, hence not tested) and
        ``flag_rate_presented`` (flags among the unit-waves presented).
    """
    from .sipas import SipasOptions, compute_sipas   # the SIPAS layer imports this package

    opts = options or SipasOptions(drivers=False)
    tree, gen, pops = _province(n_units, seed)
    rng = np.random.default_rng(seed)
    rows = {m: {"hit": 0, "flag": 0, "count": 0, "edge": 0, "small": 0, "n": [], "truth": []}
            for m in measures}
    for wave in range(waves):
        big = synthetic_responses(questionnaire, gen, truth_n, seed=seed + wave + 1,
                                  fields=FIELDS)
        pick = np.zeros(truth_n, dtype=bool)
        pick[rng.choice(truth_n, responses, replace=False)] = True
        # The generator draws each unit's field mix per call; dossiers in proportion to it
        # (about 100,000 a unit) make the sampling roughly proportional within units, as a
        # desk asking every k-th citizen does.
        cells = big.groupby(["unit_code", "service_field"]).size()
        scale = 100_000 * n_units / truth_n
        pops = (cells * scale).round().rename("dossiers").reset_index()
        rest = _long(compute_sipas(big[~pick], questionnaire, tree, pops, options=opts))
        truth = rest[rest["unit_code"] == "*"]["value"]
        table = _long(compute_sipas(big[pick], questionnaire, tree, pops, options=opts))
        table = table[table["depth"] == 1]
        for m in measures:
            t = table.loc[[m]]
            t = t[t["n"] > 0]
            true = truth.loc[m]
            acc = rows[m]
            acc["count"] += len(t)
            acc["hit"] += int(((t["ci_low"] <= true) & (true <= t["ci_high"])).sum())
            acc["flag"] += int(t["vs_parent"].isin(["above", "below"]).sum())
            acc["edge"] += int(t["value"].isin([0.0, 100.0]).sum())
            acc["small"] += int((t["status"] == "small_sample").sum())
            acc["n"] += t["n"].tolist()
            acc["truth"].append(true)
    out = []
    for (kind, mid), acc in rows.items():
        c = max(acc["count"], 1)
        out.append({"kind": kind, "id": mid, "truth": float(np.mean(acc["truth"])),
                    "unit_waves": acc["count"], "median_n": float(np.median(acc["n"] or [0])),
                    "coverage": acc["hit"] / c, "flag_rate": acc["flag"] / c,
                    "zero_or_full": acc["edge"] / c, "suppressed": acc["small"] / c,
                    "flag_rate_presented": acc["flag"] / max(acc["count"] - acc["small"], 1)})
    return pd.DataFrame(out)
