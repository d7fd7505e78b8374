"""``python -m analysis indices``: CSV in, tables out."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.cli import main, read_responses_csv
from analysis.sipas import SipasOptions, compute_sipas
from analysis.synthetic import synthetic_responses
from questionnaires import load_bundled

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = str(ROOT / "questionnaires" / "sipas.yaml")


@pytest.fixture
def files(tmp_path):
    q = load_bundled("sipas")
    units = pd.DataFrame({"code": ["P", "C1", "C2"], "name": ["Tỉnh", "Xã 1", "Xã 2"],
                          "name_en": None, "kind": ["province", "commune", "commune"],
                          "parent_code": [None, "P", "P"]})
    frame = synthetic_responses(q, pd.DataFrame({"unit_code": ["C1", "C2"]}), 400, seed=3,
                                fields=["a", "b"])
    pops = (frame.groupby(["unit_code", "service_field"]).size().mul(9.0)
            .rename("dossiers").reset_index())
    csv = frame.copy()
    csv["improve_first"] = csv["improve_first"].map(
        lambda v: " ".join(v) if isinstance(v, list) else v)
    paths = {"responses": tmp_path / "responses.csv", "units": tmp_path / "units.csv",
             "populations": tmp_path / "pop.csv"}
    csv.to_csv(paths["responses"], index=False)
    units.to_csv(paths["units"], index=False)
    pops.to_csv(paths["populations"], index=False)
    return q, frame, units, pops, paths


def _args(paths, out, *extra):
    return ["indices", "--responses", str(paths["responses"]), "--definition", DEFINITION,
            "--units", str(paths["units"]), "--populations", str(paths["populations"]),
            "--out", str(out), "--quiet", *extra]


def test_csv_reading_types(files):
    q, frame, *_, paths = files
    df = read_responses_csv(paths["responses"], q)
    row = df.iloc[0]
    assert isinstance(row["late"], bool)
    assert isinstance(df["improve_first"].dropna().iloc[0], list)
    assert set(df["trips"].dropna().map(type)) <= {int}
    assert set(df["staff_polite"].dropna()) <= {1, 2, 3, 4, 5, "na"}


def test_writes_tables_equal_to_the_api(files, tmp_path):
    q, frame, units, pops, paths = files
    out = tmp_path / "out"
    assert main(_args(paths, out)) == 0
    for name in ("indices", "indicators", "expectations", "rankings", "drivers", "units"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.json").exists()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["options"]["min_n"] == 30 and not meta["options"]["cluster"]
    api = compute_sipas(frame, q, units, pops, options=SipasOptions(drivers=True))
    got = pd.read_csv(out / "indices.csv")
    assert_allclose(got["value"], api.indices["value"], rtol=1e-12)
    ind = pd.read_csv(out / "indicators.csv")
    assert_allclose(ind["value"], api.indicators["value"], rtol=1e-12)


def test_previous_cluster_and_min_n(files, tmp_path):
    *_, paths = files
    first, second = tmp_path / "w1", tmp_path / "w2"
    assert main(_args(paths, first)) == 0
    assert main(_args(paths, second, "--previous", str(first), "--cluster",
                      "--min-n", "5")) == 0
    r = pd.read_csv(second / "rankings.csv")
    ranked = r[r["status"] == "ranked"]
    assert (ranked["rank_change"] == 0).all()          # same data, same ranks
    meta = json.loads((second / "meta.json").read_text())
    assert meta["options"]["cluster"] and meta["options"]["min_n"] == 5


def test_errors_are_reported(files, tmp_path, capsys):
    *_, paths = files
    bad = tmp_path / "bad.csv"
    df = pd.read_csv(paths["populations"], dtype=str)
    df.loc[0, "dossiers"] = "lots"
    df.to_csv(bad, index=False)
    args = _args(paths, tmp_path / "o")
    args[args.index("--populations") + 1] = str(bad)
    assert main(args) == 2
    assert "'dossiers'" in capsys.readouterr().err
    missing = _args(paths, tmp_path / "o")
    missing[missing.index("--responses") + 1] = str(tmp_path / "nope.csv")
    assert main(missing) == 2
    assert "not found" in capsys.readouterr().err


def test_module_entry_point(files, tmp_path):
    *_, paths = files
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "analysis", *_args(paths, out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "indices.csv").exists()
