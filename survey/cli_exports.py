"""``flask --app wsgi export --wave CODE --format csv|xlsx|sav|dta [--lang vi|en] -o FILE``."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pandas as pd
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from analysis.exports import ExportError

from .extensions import db
from .models import Unit, Wave
from .services import audit, reports
from .services.exports import FORMATS, export_wave


def codebook_path(output: Path) -> Path:
    """Where the codebook of a CSV export goes: beside it, ``<name>.codebook.csv``."""
    return output.with_name(f"{output.stem}.codebook.csv")


@click.command("export")
@click.option("--wave", "wave_code", required=True, help="Code of the wave to export.")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS), help="File format.")
@click.option("--lang", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of labels and codebook.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (CSV also writes <name>.codebook.csv beside it).")
@click.option("--unit", "unit_codes", multiple=True,
              help="Only responses of this unit and the units below it (repeatable).")
@click.option("--max-rows", type=click.IntRange(min=1), default=None,
              help="Largest wave to load for SAV/DTA (default: EXPORT_MAX_ROWS_IN_MEMORY).")
@click.option("--units-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the unit tree CSV that `python -m analysis indices --units` reads.")
@click.option("--populations-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the dossiers CSV that `python -m analysis indices --populations` reads.")
@with_appcontext
def export_command(wave_code, fmt, lang, output, unit_codes, max_rows, units_file,
                   populations_file) -> None:
    """Export a wave's responses (anonymous, with weights, strata, fpc and Vietnamese labels)."""
    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise click.ClickException(f"no wave with code {wave_code!r}")
    unit_ids = None
    if unit_codes:
        units = db.session.scalars(select(Unit).where(Unit.code.in_(unit_codes))).all()
        unknown = sorted(set(unit_codes) - {u.code for u in units})
        if unknown:
            raise click.ClickException(f"unknown unit code(s): {', '.join(unknown)}")
        unit_ids = set().union(*(u.descendant_ids() for u in units))
    # Write beside the target and rename at the end: a failed export leaves no half file.
    partial = output.with_name(output.name + ".part")
    codebook = codebook_path(output) if fmt == "csv" else None
    try:
        rows = export_wave(wave, fmt, partial, lang=lang, unit_ids=unit_ids, codebook=codebook,
                           max_rows=max_rows)
    except ExportError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)
    # From the command line the actor is the server's operator (no user).
    audit.record(audit.EXPORT_DOWNLOADED, wave=wave, details={
        "format": fmt, "lang": lang, "units": sorted(unit_codes), "rows": rows, "via": "cli"})
    db.session.commit()
    click.echo(f"Exported {rows} responses of wave {wave.code} to {output}"
               + (f" (codebook: {codebook})" if codebook else ""))
    if units_file or populations_file:
        _design_files(wave, unit_codes, units_file, populations_file)


def _design_files(wave, unit_codes, units_file, populations_file) -> None:
    """Write the units and populations files of the exported units (one root each)."""
    roots = list(unit_codes) or [None]
    tables = [reports.design_tables(wave, code) for code in roots]
    for path, i in ((units_file, 0), (populations_file, 1)):
        if path is None:
            continue
        frame = pd.concat([t[i] for t in tables], ignore_index=True).drop_duplicates()
        frame.to_csv(path, index=False)
        click.echo(f"Wrote {len(frame)} rows to {path}")


def init_app(app: Flask) -> None:
    """Register the ``export`` command on ``app``."""
    app.cli.add_command(export_command)
