"""Report commands: ``flask --app wsgi report`` (one unit) and ``report-bulk`` (many units)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Unit, Wave
from .services import audit, reports

LANGS = click.Choice(["vi", "en"])


def _wave(code: str | None) -> Wave:
    if code is None:
        wave = reports.latest_wave()
        if wave is None:
            raise click.ClickException("There is no survey wave yet.")
        return wave
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        raise click.ClickException(f"Unknown wave {code!r}.")
    return wave


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise click.ClickException(f"Unknown unit {code!r}.")
    return unit


@click.command("report")
@click.option("--unit", "unit_code", help="Unit code (default: the wave's top unit).")
@click.option("--wave", "wave_code", help="Wave code (default: the latest wave).")
@click.option("--compare", "compare_code", help="Wave code to compare with (previous wave).")
@click.option("--lang", default="vi", show_default=True, type=LANGS, help="Report language.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="PDF file to write.")
@with_appcontext
def report_command(unit_code, wave_code, compare_code, lang, output) -> None:
    """Write the satisfaction report of one unit as PDF."""
    wave = _wave(wave_code)
    compare = _wave(compare_code) if compare_code else None
    unit = _unit(unit_code) if unit_code else reports.top_unit(wave)
    if unit is None:
        raise click.ClickException("There are no units.")
    try:
        pdf = reports.unit_report_pdf(unit, wave, compare=compare, lang=lang)
    except reports.ReportError as error:
        raise click.ClickException(str(error)) from error
    Path(output).write_bytes(pdf)
    audit.record(audit.REPORT_DOWNLOADED, unit=unit, wave=wave,
                 details={"format": "pdf", "lang": lang, "via": "cli"})
    db.session.commit()
    click.echo(f"Report of {unit.code} for wave {wave.code} written to {output} ({len(pdf):,} bytes).")


@click.command("report-bulk")
@click.option("--wave", "wave_code", help="Wave code (default: the latest wave).")
@click.option("--level", "kind", help="Every unit of this kind in the wave's scope (e.g. commune).")
@click.option("--parent", "parent_code", help="Every unit directly under this unit.")
@click.option("--compare", "compare_code", help="Wave code to compare with (previous wave).")
@click.option("--lang", default="vi", show_default=True, type=LANGS, help="Report language.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, writable=True),
              help="Directory for the PDF files (created if missing).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes rendering PDFs in parallel (default: one per CPU; 1: one after "
                   "another in this process).")
@with_appcontext
def report_bulk_command(wave_code, kind, parent_code, compare_code, lang, output, workers) -> None:
    """Write one PDF report per unit of a level or under a parent."""
    if (kind is None) == (parent_code is None):
        raise click.UsageError("Give exactly one of --level and --parent.")
    wave = _wave(wave_code)
    compare = _wave(compare_code) if compare_code else None
    query = select(Unit).order_by(Unit.code)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    else:
        query = query.where(Unit.parent_id == _unit(parent_code).id)
    units = list(db.session.scalars(query))
    if wave.units:
        scope = wave.scope_unit_ids()
        units = [u for u in units if u.id in scope]
    if not units:
        raise click.ClickException("No unit matches in the wave's scope.")
    from tqdm import tqdm

    with tqdm(total=len(units), desc="Reports", unit="unit") as bar:
        try:
            written = reports.bulk_reports(wave, units, output, compare=compare, lang=lang,
                                           progress=lambda _unit: bar.update(), workers=workers)
        except reports.ReportError as error:
            raise click.ClickException(str(error)) from error
    audit.record(audit.REPORT_DOWNLOADED, wave=wave, details={
        "format": "pdf", "lang": lang, "via": "cli", "units": [u.code for u in units]})
    db.session.commit()
    click.echo(f"{len(written)} reports for wave {wave.code} written to {output}.")


def init_app(app: Flask) -> None:
    """Register the report commands on ``app``."""
    app.cli.add_command(report_command)
    app.cli.add_command(report_bulk_command)
