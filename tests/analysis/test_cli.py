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
    row = df[df["result_received"] == True].iloc[0]  # noqa: E712
    assert isinstance(row["late"], bool) and isinstance(row["result_received"], bool)
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
    # same data, same ranks; a figure suppressed in the first run (n_eff < 30, e.g. the
    # feedback element) but presented under --min-n 5 has no previous rank
    both = ranked[ranked["previous_rank"].notna()]
    assert len(both) > 0.8 * len(ranked)
    assert (both["rank_change"] == 0).all()
    assert ranked.loc[ranked["previous_rank"].isna(), "rank_change"].isna().all()
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


def test_every_option_reaches_the_computation(files, tmp_path, capsys):
    q, frame, units, pops, paths = files
    rake = tmp_path / "rake.json"
    rake.write_text(json.dumps({"sex": {"male": 0.5, "female": 0.48, "other": 0.02}}))
    out = tmp_path / "out"
    args = _args(paths, out, "--no-fpc", "--lonely-psu", "remove", "--min-cell-n", "2",
                 "--missing-population", "drop", "--rake", str(rake), "--trim", "6",
                 "--interval", "logit", "--confidence", "0.9", "--alpha", "0.1",
                 "--multiple", "bh", "--min-events", "3", "--min-n", "20",
                 "--max-ci-width", "0.4", "--rel-width-from", "0.1",
                 "--max-rel-ci-width", "1.5", "--min-df", "5", "--rank-small-samples",
                 "--rank-draws", "50", "--rank-seed", "3", "--no-drivers")
    args.remove("--quiet")
    assert main(args) == 0
    assert "raked to: unit × service field (dossiers), sex" in capsys.readouterr().out
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    opts = meta["options"]
    assert opts["fpc"] is False and opts["lonely_psu"] == "remove"
    assert opts["min_cell_n"] == 2 and opts["missing_population"] == "drop"
    assert opts["rake_margins"]["sex"]["male"] == 0.5 and opts["trim"] == 6.0
    assert opts["interval"] == "logit" and opts["confidence"] == 0.9
    assert opts["alpha"] == 0.1 and opts["multiple"] == "bh" and opts["min_events"] == 3
    assert (opts["min_n"], opts["max_ci_width"], opts["rel_width_from"],
            opts["max_rel_ci_width"], opts["min_df"]) == (20, 0.4, 0.1, 1.5, 5)
    assert opts["rank_small_samples"] and opts["rank_draws"] == 50 and opts["rank_seed"] == 3
    assert meta["design"]["calibration"] == ["unit × service field (dossiers)", "sex"]
    weighting = json.loads((out / "weighting.json").read_text(encoding="utf-8"))
    assert weighting["choices"]["raking"]["variables"] == ["sex"]
    for name in ("weighting", "alpha", "response_counts"):
        assert (out / f"diagnostics_{name}.csv").exists()
    counts = pd.read_csv(out / "diagnostics_response_counts.csv")
    assert counts["responses"].sum() == len(frame)


@pytest.mark.parametrize("content,message", [
    (None, "file not found"), ("{not json", "is not JSON"), ("[1, 2]", "column: {category"),
])
def test_bad_rake_file(files, tmp_path, capsys, content, message):
    *_, paths = files
    rake = tmp_path / "rake.json"
    if content is not None:
        rake.write_text(content)
    assert main(_args(paths, tmp_path / "out", "--rake", str(rake))) == 2
    assert message in capsys.readouterr().err


def test_bad_option_values(files, tmp_path, capsys):
    *_, paths = files
    assert main(_args(paths, tmp_path / "o", "--trim", "0.5")) == 2
    assert "trim" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(_args(paths, tmp_path / "o", "--confidence", "95"))
