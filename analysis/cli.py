"""Command line of the analysis layer: ``python -m analysis indices ...``.

Reads an exported wave (CSV: multiple-choice answers joined by spaces, "na" for not
applicable), the definition, the unit tree and the populations, and writes every SIPAS
table as CSV and JSON into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["main", "read_responses_csv"]

PROGRESS_FROM = 200_000     # responses from which a progress bar is worth showing


def _convert(series: pd.Series, convert) -> pd.Series:
    """Apply ``convert`` to the distinct values only (a wave has few of them)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        table[i] = convert(u)
    table[-1] = None
    return pd.Series(table[codes], index=series.index, name=series.name, dtype=object)


def _typed(question):
    """A converter from CSV text to the stored type of ``question``'s answers (its type's)."""
    return lambda v: question.kind.parse_text(question, v)


def read_responses_csv(path, questionnaire) -> pd.DataFrame:
    """Read an exported responses CSV into the responses frame, typed per question.

    Raises
    ------
    ValueError
        A value that cannot be read as its question's type, naming the column.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for qid, question in questionnaire.questions.items():
        if qid in df.columns and question.kind.answerable and not question.kind.export(question).guard:
            df[qid] = _convert(df[qid], _typed(question))
    return df


def _defaults():
    """The default options (the command line shows and uses the same defaults)."""
    from .sipas import SipasOptions
    return SipasOptions()


def _read_table(path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise SystemExit(f"error: {what} file not found: {path}") from None
    except pd.errors.EmptyDataError:
        raise SystemExit(f"error: {what} file is empty: {path}") from None


def _indices(args) -> int:
    from questionnaires import DefinitionError, load_bundled, load_definition

    from .sipas import SipasInputError, SipasOptions, SipasResult, compute_sipas

    try:
        definition = (load_bundled(args.definition) if not Path(args.definition).exists()
                      else load_definition(args.definition))
    except (DefinitionError, FileNotFoundError, KeyError, ValueError) as exc:
        print(f"error: cannot load the definition {args.definition}: {exc}", file=sys.stderr)
        return 2
    try:
        responses = read_responses_csv(args.responses, definition)
    except FileNotFoundError:
        print(f"error: responses file not found: {args.responses}", file=sys.stderr)
        return 2
    except pd.errors.EmptyDataError:
        print(f"error: the responses file is empty: {args.responses}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {args.responses}: {exc}", file=sys.stderr)
        return 2
    units = _read_table(args.units, "units")
    populations = _read_table(args.populations, "populations")
    previous = None
    if args.previous:
        try:
            previous = SipasResult.load(args.previous)
        except FileNotFoundError as exc:
            print(f"error: --previous: {exc}", file=sys.stderr)
            return 2
    progress = (not args.quiet) and len(responses) >= PROGRESS_FROM
    try:
        rake_margins = _rake_margins(args.rake)
        options = SipasOptions(
            min_n=args.min_n, max_ci_width=args.max_ci_width,
            rel_width_from=args.rel_width_from, max_rel_ci_width=args.max_rel_ci_width,
            min_df=args.min_df, interval=args.interval, multiple=args.multiple,
            min_events=args.min_events, alpha=args.alpha, lonely_psu=args.lonely_psu,
            confidence=args.confidence, cluster=args.cluster, fpc=not args.no_fpc,
            min_cell_n=args.min_cell_n, missing_population=args.missing_population,
            rake_margins=rake_margins, trim=args.trim,
            rank_small_samples=args.rank_small_samples, rank_draws=args.rank_draws,
            rank_seed=args.rank_seed, drivers=not args.no_drivers, progress=progress)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = compute_sipas(responses, definition, units, populations, previous=previous,
                               options=options, wave=args.wave)
    except (SipasInputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    written = result.save(args.out)
    if not args.quiet:
        print(f"{len(responses):,} responses -> {len(result.indices):,} index rows, "
              f"{len(result.indicators):,} indicator rows; {len(written)} files in {args.out}")
        raking = result.weighting.get("choices", {}).get("raking")
        if raking:
            print("raked to: " + ", ".join(raking.get("margins") or ["nothing"]))
    return 0


def _rake_margins(path):
    """Read ``--rake``: a JSON file ``{column: {category: share or total}}``."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--rake: file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--rake: {path} is not JSON: {exc}") from None
    if not (isinstance(data, dict) and data
            and all(isinstance(v, dict) and v for v in data.values())):
        raise ValueError("--rake: the file must hold {column: {category: share}}")
    return data


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must be strictly between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands)."""
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="Survey analysis from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("indices", help="SIPAS indices, indicators, rankings and drivers")
    p.add_argument("--responses", required=True, help="responses CSV (exported wave)")
    p.add_argument("--definition", required=True,
                   help="questionnaire YAML file, or a bundled name such as 'sipas'")
    p.add_argument("--units", required=True, help="unit tree CSV: code, name, ..., parent_code")
    p.add_argument("--populations", required=True,
                   help="populations CSV: unit_code, service_field, dossiers")
    p.add_argument("--out", required=True, help="directory for the tables")
    p.add_argument("--previous", help="directory of the previous wave's tables (rank changes)")
    d = _defaults()
    g = p.add_argument_group("design and weights")
    g.add_argument("--cluster", action="store_true", help="service point as PSU")
    g.add_argument("--no-fpc", action="store_true",
                   help="no finite population correction (default: from the dossiers)")
    g.add_argument("--lonely-psu", default=d.lonely_psu,
                   choices=("adjust", "remove", "certainty", "average", "fail"),
                   help="single-PSU weighting cells, as R's survey.lonely.psu")
    g.add_argument("--min-cell-n", type=int, default=d.min_cell_n,
                   help="pool unit × field cells with fewer responses (default 1)")
    g.add_argument("--missing-population", choices=("error", "drop"),
                   default=d.missing_population,
                   help="responses of units without dossiers: fail or drop them")
    g.add_argument("--rake", metavar="JSON",
                   help="raking margins, a JSON file {column: {category: share}}; the "
                        "unit × field dossiers stay a margin, missing values get their "
                        "own category")
    g.add_argument("--trim", type=float, help="cap weights at this factor × the mean weight")
    g = p.add_argument_group("intervals and tests")
    g.add_argument("--interval", choices=("beta", "logit", "wilson", "wald"),
                   default=d.interval, help="interval of shares (default beta: Korn-Graubard)")
    g.add_argument("--confidence", type=_probability, default=d.confidence,
                   help="confidence level (default 0.95)")
    g.add_argument("--alpha", type=_probability, default=d.alpha,
                   help="level of the test of a unit against its parent (default 0.05)")
    g.add_argument("--multiple", choices=("holm", "bh", "none"), default=d.multiple,
                   help="adjustment of the tests against the parent (default holm)")
    g.add_argument("--min-events", type=float, default=d.min_events,
                   help="expected events and non-events a share needs to be tested (5)")
    g = p.add_argument_group("presentation standard (NCHS 2017)")
    g.add_argument("--min-n", type=int, default=d.min_n,
                   help="minimum effective sample size of a presented figure (default 30)")
    g.add_argument("--max-ci-width", type=float, default=d.max_ci_width,
                   help="maximum absolute CI width on the 0-1 scale (default 0.30)")
    g.add_argument("--rel-width-from", type=float, default=d.rel_width_from,
                   help="absolute width from which the relative width counts (0.05)")
    g.add_argument("--max-rel-ci-width", type=float, default=d.max_rel_ci_width,
                   help="maximum CI width relative to the share (default 1.30)")
    g.add_argument("--min-df", type=int, default=d.min_df,
                   help="fewer design df than this marks a figure for review (default 8)")
    g = p.add_argument_group("rankings")
    g.add_argument("--rank-small-samples", action="store_true",
                   help="rank figures that fail the presentation standard too")
    g.add_argument("--rank-draws", type=int, default=d.rank_draws,
                   help="simulation draws of the rank intervals (default 1000)")
    g.add_argument("--rank-seed", type=int, default=d.rank_seed, help="seed of those draws")
    p.add_argument("--wave", help="wave code recorded in meta.json")
    p.add_argument("--no-drivers", action="store_true", help="skip the key-drivers model")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=_indices)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)
