"""Command line of the questionnaire layer.

``python -m questionnaires import-xlsform FILE.xlsx -o OUT.yaml``
    Read an XLSForm; write our definition (exit 0), or list every problem with its sheet,
    row and column (exit 2).
``python -m questionnaires export-xlsform IN.yaml -o OUT.xlsx``
    Write a definition as an XLSForm (exit 0); a definition with problems exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .loader import DefinitionError, load_definition
from .xlsform import XLSFormError, definition_yaml, read_xlsform, write_xlsform
from .xlsform.xpath import XPathError

EXIT_REFUSED = 2


def _import(args) -> int:
    try:
        definition = read_xlsform(args.file)
    except XLSFormError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 - a workbook must never end in a traceback
        print(f"{Path(args.file).name}: cannot import this workbook "
              f"({type(exc).__name__}: {exc})", file=sys.stderr)
        return EXIT_REFUSED
    Path(args.output).write_text(definition_yaml(definition), encoding="utf-8")
    return 0


def _export(args) -> int:
    try:
        questionnaire = load_definition(args.file)
        write_xlsform(questionnaire, args.output)
    except DefinitionError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_REFUSED
    except XPathError as exc:
        print(f"{args.file}: a condition has no XLSForm form: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_REFUSED
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m questionnaires",
                                     description="Questionnaire definitions and XLSForm.")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import-xlsform", help="XLSForm workbook -> YAML definition")
    imp.add_argument("file")
    imp.add_argument("-o", "--output", required=True)
    imp.set_defaults(run=_import)
    exp = sub.add_parser("export-xlsform", help="YAML definition -> XLSForm workbook")
    exp.add_argument("file")
    exp.add_argument("-o", "--output", required=True)
    exp.set_defaults(run=_export)
    args = parser.parse_args(argv)
    if args.command == "import-xlsform" and not Path(args.file).is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return EXIT_REFUSED
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
