"""Seeded stratified cluster samples shared by the svy reference script and the tests."""

import numpy as np
import pandas as pd


def cluster_sample(seed: int = 7, strata: int = 5, psus=(2, 6), rows=(3, 12)) -> pd.DataFrame:
    """A stratified two-stage-like sample: strata, PSUs within strata, rows within PSUs.

    Columns: h (stratum), psu (label reused across strata), w (weight), N (PSUs in the
    stratum's population), y, x (> 0), ans ("Yes"/"No"/"Maybe"), dom (domain crossing
    PSUs), sex, age.
    """
    rng = np.random.default_rng(seed)
    out = []
    for h in range(strata):
        n_psu = int(rng.integers(psus[0], psus[1] + 1))
        pop = n_psu + int(rng.integers(2, 30))
        for j in range(n_psu):
            m = int(rng.integers(rows[0], rows[1] + 1))
            effect = rng.normal(0, 1)
            out.append(pd.DataFrame({
                "h": f"S{h}", "psu": j, "N": float(pop),
                "w": pop / n_psu * rng.uniform(5, 15, m),
                "y": 50 + 5 * h + 3 * effect + rng.normal(0, 4, m),
                "x": rng.uniform(1, 3, m),
                "ans": rng.choice(["Yes", "No", "Maybe"], m, p=[0.6, 0.3, 0.1]),
                "dom": rng.choice(["a", "b", "c", "d"], m, p=[0.4, 0.3, 0.2, 0.1]),
                "sex": rng.choice(["f", "m"], m),
                "age": rng.choice(["young", "mid", "old"], m),
            }))
    df = pd.concat(out, ignore_index=True)
    df["yes"] = (df["ans"] == "Yes").astype(float)
    return df


def lonely_sample(seed: int = 11) -> pd.DataFrame:
    """A cluster sample whose last stratum has a single PSU."""
    df = cluster_sample(seed, strata=4, psus=(2, 4))
    last = df[df.h == "S3"]
    return df[(df.h != "S3") | (df.psu == last.psu.min())].reset_index(drop=True)


POP_SEX = {"f": 5200.0, "m": 4800.0}
POP_AGE = {"young": 3000.0, "mid": 4500.0, "old": 2500.0}
