"""A synthetic national SIPAS wave: 34 provinces × ~100 communes, 16 service fields.

The answers come from :func:`analysis.synthetic.synthetic_responses` (realistic
patterns: ~84% satisfied, rare harassment and extra payments, weak units); this module
only builds the unit tree and the populations (dossiers per commune × field) around it.

Run ``python bench/national_wave.py --out DIR [-n 1000000]`` to write the CSV files the
command line reads (responses, units, populations).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

N_PROVINCES = 34
COMMUNES_PER_PROVINCE = 100
FIELDS = [f"F{k:02d}" for k in range(1, 17)]


def national_units(seed: int = 2025, provinces: int = N_PROVINCES,
                   communes: int = COMMUNES_PER_PROVINCE) -> pd.DataFrame:
    """The unit tree: provinces (roots) and their communes (80-120 each)."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(1, provinces + 1):
        pc = f"P{p:02d}"
        rows.append((pc, f"Tỉnh {p:02d}", f"Province {p:02d}", "province", None))
        for c in range(1, int(rng.integers(communes - 20, communes + 21)) + 1):
            rows.append((f"{pc}C{c:03d}", f"Xã {c:03d}", f"Commune {c:03d}", "commune", pc))
    return pd.DataFrame(rows, columns=["code", "name", "name_en", "kind", "parent_code"])


def national_wave(n: int = 1_000_000, seed: int = 2025):
    """Return ``(questionnaire, responses, units, populations)`` of a synthetic wave."""
    from analysis.synthetic import synthetic_responses
    from questionnaires import load_bundled

    q = load_bundled("sipas")
    units = national_units(seed)
    communes = units[units["kind"] == "commune"]
    rng = np.random.default_rng(seed + 1)
    size = rng.lognormal(0, 0.5, len(communes))
    responses = synthetic_responses(
        q, pd.DataFrame({"unit_code": communes["code"].to_numpy(), "dossiers": size}), n,
        seed=seed, fields=FIELDS, points_per_unit=3)
    # Dossiers: a multiple of the responses of each cell (surveys reach a few percent of
    # users), plus cells with dossiers but no responses, and a few with responses only.
    cells = responses.groupby(["unit_code", "service_field"]).size().rename("n").reset_index()
    cells["dossiers"] = np.ceil(cells["n"] * rng.uniform(8, 40, len(cells)))
    several = cells.groupby("unit_code")["n"].transform("size").to_numpy() > 1
    cells = cells[~several | (rng.random(len(cells)) > 0.01)]   # ~1% cells lack dossiers
    extra = communes["code"].sample(frac=0.3, random_state=seed).to_numpy()
    empty = pd.DataFrame({"unit_code": extra, "service_field": rng.choice(FIELDS, extra.size),
                          "dossiers": rng.integers(5, 200, extra.size).astype(float)})
    pops = (pd.concat([cells[["unit_code", "service_field", "dossiers"]], empty])
            .drop_duplicates(["unit_code", "service_field"]).reset_index(drop=True))
    return q, responses, units, pops


def write_csv(responses: pd.DataFrame, path: Path) -> None:
    """Write responses as the exported CSV: multiple choices joined by spaces."""
    out = responses.copy()
    for col in out.columns:
        if out[col].dtype == object:
            sample = out[col].dropna().head(200)
            if len(sample) and sample.map(lambda v: isinstance(v, list)).any():
                out[col] = out[col].map(lambda v: " ".join(map(str, v))
                                        if isinstance(v, list) else v)
    out.to_csv(path, index=False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    q, responses, units, pops = national_wave(args.n, args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(responses, out / "responses.csv")
    units.to_csv(out / "units.csv", index=False)
    pops.to_csv(out / "populations.csv", index=False)
    print(f"{len(responses):,} responses, {len(units):,} units written to {out} "
          f"in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
