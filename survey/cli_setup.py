"""Setting up a province from the command line.

``flask --app wsgi units|fields|points import FILE``, ``waves create|import|open|close``,
``populations import --wave CODE FILE`` and ``... export -o FILE`` (CSV or XLSX by the
file's extension).  Every import prints its preview (every problem, or the changes) and
asks before writing, unless ``--yes``; ``--dry-run`` only previews.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale, gettext as _

from .services.setup_files import limits
from .services.setup_messages import table_label
from .services.setup_tables import TABLES, describe, export_table
from .services.setup_tree import active_roots
from .services.setup_waves import SetupError, first_point, import_wave_rows, set_wave_status


def _options(command):
    command = click.option("--lang", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
                           help="Language of the preview.")(command)
    command = click.option("--dry-run", is_flag=True, help="Only show the preview.")(command)
    return click.option("--yes", "-y", is_flag=True, help="Write without asking.")(command)


def _read(path: Path) -> bytes:
    max_bytes, _rows = limits()
    with open(path, "rb") as fh:
        # Read one byte more than allowed, so the importer can say the file is too large.
        return fh.read(max_bytes + 1)


def run_import(table: str, call, *, yes: bool, dry_run: bool, lang: str) -> None:
    """Preview with ``call(apply=False)``, confirm, then ``call(apply=True)``."""
    with force_locale(lang):
        plan = call(apply=False)
        click.echo(f"{table_label(table)}:")
        for line in describe(plan):
            click.echo(f"  {line}")
        if not plan.ok:
            raise click.ClickException(_nothing_written(lang))
        if not plan.has_changes:
            click.echo(_no_change(lang))
            return
        if dry_run:
            click.echo(_nothing_written(lang) + " (--dry-run)")
            return
        if not yes and not click.confirm(_confirm(lang), default=False):
            click.echo(_nothing_written(lang))
            return
        plan = call(apply=True)
        if not plan.ok:
            for line in describe(plan):
                click.echo(f"  {line}")
            raise click.ClickException(_nothing_written(lang))
        click.echo(_written(lang))


def _nothing_written(lang):
    return _("Nothing was written.")


def _no_change(lang):
    return _("Nothing changes: the database already matches the file.")


def _confirm(lang):
    return _("Write these changes?")


def _written(lang):
    return _("Written.")


def _table_group(table: str, help_text: str) -> AppGroup:
    group = AppGroup(table, help=help_text)

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @_options
    def import_command(file: Path, yes: bool, dry_run: bool, lang: str) -> None:
        """Import FILE (CSV or XLSX): preview, confirm, write."""
        data = _read(file)
        run_import(table, lambda apply: TABLES[table].importer(data, file.name, apply=apply),
                   yes=yes, dry_run=dry_run, lang=lang)

    return group


units_group = _table_group("units", "The unit tree (code, name, name_en, kind, parent_code).")
fields_group = _table_group("fields", "Service fields (code, name, name_en).")
points_group = _table_group("points", "Service points (code, name, unit_code).")
waves_group = _table_group("waves", "Survey waves (code, name, name_en, questionnaire, start, end, units).")
populations_group = AppGroup("populations", help="A wave's dossiers per unit and service field.")


def _output_option(command):
    return click.option("-o", "--output", required=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="File to write: .csv or .xlsx.")(command)


def _export(table: str, output: Path, *args) -> None:
    if output.suffix.lower() not in (".csv", ".xlsx"):
        raise click.ClickException("the output file must end in .csv or .xlsx")
    partial = output.with_name(output.name + ".part" + output.suffix)
    try:
        count = export_table(table, partial, *args)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)
    click.echo(f"Exported {count} rows to {output}")


@units_group.command("export")
@_output_option
@click.option("--root", help="Code of the tree's root, when the database holds several trees.")
def units_export(output: Path, root: str | None) -> None:
    """Write the active units to a CSV/XLSX file that ``units import`` reads back."""
    roots = active_roots()
    if root is None and len(roots) > 1:
        raise click.ClickException(f"several unit trees; choose one with --root ({', '.join(roots)})")
    if root is not None and root not in roots:
        raise click.ClickException(f"no active root unit {root!r} (roots: {', '.join(roots) or '–'})")
    _export("units", output, root)


for _group, _table in ((fields_group, "fields"), (points_group, "points"), (waves_group, "waves")):
    def _make(table):
        @_output_option
        def command(output: Path) -> None:
            _export(table, output)
        command.__doc__ = f"Write the {table} to a CSV/XLSX file that ``{table} import`` reads back."
        return command
    _group.command("export")(_make(_table))


@waves_group.command("create")
@click.option("--code", required=True, help="Code of the wave (used in survey links).")
@click.option("--name", required=True, help="Name in Vietnamese.")
@click.option("--name-en", default="", help="Name in English.")
@click.option("--questionnaire", required=True, help="Questionnaire id or id@version (e.g. sipas).")
@click.option("--start", default="", help="First day (YYYY-MM-DD).")
@click.option("--end", default="", help="Last day (YYYY-MM-DD).")
@click.option("--unit", "units", multiple=True, required=True, help="Root unit of the scope (repeatable).")
@_options
def waves_create(code, name, name_en, questionnaire, start, end, units, yes, dry_run, lang) -> None:
    """Create a survey wave (as a draft; open it with ``waves open``)."""
    row = {"code": code, "name": name, "name_en": name_en, "questionnaire": questionnaire,
           "start": start, "end": end, "units": " ".join(units)}
    run_import("waves", lambda apply: import_wave_rows([(1, row)], apply=apply, create_only=True),
               yes=yes, dry_run=dry_run, lang=lang)


def _status_command(status: str):
    def command(code: str, lang: str) -> None:
        with force_locale(lang):
            try:
                old = set_wave_status(code, status)
            except SetupError as error:
                raise click.ClickException(error.message) from error
        click.echo(f"Wave {code}: {old} → {status}")
        if status == "open":
            point = first_point(code)
            if point is not None:
                port = os.environ.get("PORT", "5000")
                click.echo(f"Survey link: http://127.0.0.1:{port}/s/{code}/{point} "
                           f"(one per service point: /s/{code}/<point code>)")
    return command


for _status, _name in (("open", "open"), ("closed", "close")):
    _cmd = click.option("--lang", default="vi", type=click.Choice(["vi", "en"]))(_status_command(_status))
    _cmd = click.argument("code")(_cmd)
    _cmd.__doc__ = f"{_name.capitalize()} the survey wave CODE."
    waves_group.command(_name)(_cmd)


@populations_group.command("import")
@click.option("--wave", "wave_code", required=True, help="Code of the wave.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_options
def populations_import(wave_code: str, file: Path, yes: bool, dry_run: bool, lang: str) -> None:
    """Import a wave's dossiers per unit and field (unit_code, field_code, dossiers)."""
    data = _read(file)
    run_import("populations",
               lambda apply: TABLES["populations"].importer(wave_code, data, file.name, apply=apply),
               yes=yes, dry_run=dry_run, lang=lang)


@populations_group.command("export")
@click.option("--wave", "wave_code", required=True, help="Code of the wave.")
@_output_option
def populations_export(wave_code: str, output: Path) -> None:
    """Write a wave's populations to a CSV/XLSX file that ``populations import`` reads back."""
    _export("populations", output, wave_code)


def init_app(app: Flask) -> None:
    """Register the set-up commands on ``app``."""
    for group in (units_group, fields_group, points_group, waves_group, populations_group):
        app.cli.add_command(group)
