"""Command line of the analysis layer: ``python -m analysis indices ...``.

Reads an exported wave (CSV: multiple-choice answers joined by spaces, "na" for not
applicable), the definition, the unit tree and the populations, and writes every SIPAS
table as CSV and JSON into ``--out``.
"""

from __future__ import annotations

import argparse
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
    options = SipasOptions(min_n=args.min_n, max_ci_width=args.max_ci_width,
                           interval=args.interval, multiple=args.multiple,
                           lonely_psu=args.lonely_psu, confidence=args.confidence,
                           cluster=args.cluster, drivers=not args.no_drivers,
                           progress=progress)
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
    return 0


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
    p.add_argument("--cluster", action="store_true", help="service point as PSU")
    p.add_argument("--min-n", type=int, default=30,
                   help="minimum effective sample size of a presented figure (default 30)")
    p.add_argument("--max-ci-width", type=float, default=0.30,
                   help="maximum absolute CI width on the 0-1 scale (default 0.30, NCHS)")
    p.add_argument("--interval", choices=("beta", "logit", "wilson", "wald"), default="beta",
                   help="interval of shares (default beta: Korn-Graubard)")
    p.add_argument("--multiple", choices=("holm", "bh", "none"), default="holm",
                   help="adjustment of the tests against the parent (default holm)")
    p.add_argument("--lonely-psu", default="adjust",
                   choices=("adjust", "remove", "certainty", "average", "fail"),
                   help="single-PSU weighting cells, as R's survey.lonely.psu")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level")
    p.add_argument("--wave", help="wave code recorded in meta.json")
    p.add_argument("--no-drivers", action="store_true", help="skip the key-drivers model")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=_indices)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)
