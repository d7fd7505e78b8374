"""Compute the svy reference numbers of tests/analysis/test_design_svy.py.

Run from the repository root (svy 0.35)::

    .venv/bin/python tests/analysis/results/make_svy_reference.py

It writes ``svy_reference.json`` beside this file: for every case, svy's ``est``, ``se``,
``df``, ``n`` (and ``deff``, interval bounds where compared) at full precision.  svy's
Design(stratum=, psu=, wgt=, pop_size=) takes PSU codes within stratum, as ``analysis``
does; lonely-PSU rules map remove -> "skip", adjust -> "center", average -> "scale".
"""

import json
import sys
from pathlib import Path

import polars as pl
import svy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from design_samples import POP_AGE, POP_SEX, cluster_sample, lonely_sample  # noqa: E402

DESIGNS = {
    "weights": dict(wgt="w"),
    "strata_psu": dict(stratum="h", psu="psu", wgt="w"),
    "strata_psu_fpc": dict(stratum="h", psu="psu", wgt="w", pop_size="N"),
}
LONELY = {"remove": "skip", "adjust": "center", "average": "scale"}
COLS = ["est", "se", "df", "n"]


def rows(result, extra=()):
    frame = result.to_polars()
    return {k: frame[k].to_list() for k in frame.columns if k in (*COLS, *extra)} | {
        "keys": [str(v) for v in frame[frame.columns[0]].to_list()]}


def cases():
    data = pl.from_pandas(cluster_sample())
    out = {}
    for name, spec in DESIGNS.items():
        s = svy.Sample(data, svy.Design(**spec))
        e = s.estimation
        out[f"{name}/mean"] = rows(e.mean("y", deff="wor"), ["deff"])
        out[f"{name}/total"] = rows(e.total("y", deff="wor"), ["deff"])
        out[f"{name}/ratio"] = rows(e.ratio("y", "x"))
        out[f"{name}/mean_by"] = rows(e.mean("y", by="dom", deff="wor"), ["deff"])
        out[f"{name}/total_by"] = rows(e.total("y", by="dom"))
        out[f"{name}/ratio_by"] = rows(e.ratio("y", "x", by="dom"))
        for m, sm in (("logit", "logit"), ("beta", "beta"), ("wilson", "wilson")):
            out[f"{name}/prop_{m}"] = rows(e.prop("yes", ci_method=sm), ["lci", "uci"])
            out[f"{name}/prop_by_{m}"] = rows(e.prop("yes", by="dom", ci_method=sm),
                                              ["lci", "uci"])
    s = svy.Sample(data, svy.Design(**DESIGNS["strata_psu"]))
    ps = s.weighting.poststratify(controls=POP_SEX, cells="sex", wgt_name="psw")
    out["poststratify/mean"] = rows(ps.estimation.mean("y"))
    out["poststratify/mean_by"] = rows(ps.estimation.mean("y", by="dom"))
    rk = s.weighting.rake(controls={"sex": POP_SEX, "age": POP_AGE}, wgt_name="rkw", tol=1e-13)
    out["rake/mean"] = rows(rk.estimation.mean("y"))
    out["rake/total"] = rows(rk.estimation.total("y"))
    out["rake/mean_by"] = rows(rk.estimation.mean("y", by="dom"))
    lonely = pl.from_pandas(lonely_sample())
    for ours, theirs in LONELY.items():
        s = svy.Sample(lonely, svy.Design(stratum="h", psu="psu", wgt="w", singleton=theirs))
        out[f"lonely_{ours}/mean"] = rows(s.estimation.mean("y"))
        out[f"lonely_{ours}/total"] = rows(s.estimation.total("y"))
    return out


if __name__ == "__main__":
    (HERE / "svy_reference.json").write_text(json.dumps(cases(), indent=1) + "\n")
    print("wrote", HERE / "svy_reference.json")
