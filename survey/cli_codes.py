"""``flask --app wsgi invitation-codes WAVE POINT [--field CODE] --count N --out FILE``.

Makes a batch of one-time invitation codes and writes them as the printable PDF sheet or as
CSV (by the file's extension).  The codes exist in clear only in that file.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import ServiceField, ServicePoint, Wave
from .services.code_sheets import sheet_csv, sheet_pdf
from .services.invitations import MAX_BATCH, issue_codes
from .services.links import SurveyLinkError


@click.command("invitation-codes")
@with_appcontext
@click.argument("wave_code")
@click.argument("point_code")
@click.option("--field", "field_code", default=None, help="Service field code (default: any).")
@click.option("--count", required=True, type=click.IntRange(1, MAX_BATCH), help="How many codes.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Output file: .pdf (printable sheet) or .csv (for the one-stop software).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the PDF sheet.")
def codes_command(wave_code: str, point_code: str, field_code: str | None, count: int,
                  out_path: str, lang: str) -> None:
    """Make one-time invitation codes for receipt slips (PDF sheet or CSV)."""
    fmt = out_path.rsplit(".", 1)[-1].lower()
    if fmt not in ("pdf", "csv"):
        raise click.BadParameter("the file must end in .pdf or .csv", param_hint="--out")
    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == point_code))
    field = None
    if field_code is not None:
        field = db.session.scalar(select(ServiceField).where(ServiceField.code == field_code))
        if field is None:
            raise click.ClickException(f"unknown service field {field_code!r}")
    if wave is None or point is None or not point.active:
        raise click.ClickException("unknown wave or service point")
    try:
        _batch, codes = issue_codes(wave, point, field, count)
    except SurveyLinkError as error:
        raise click.ClickException(f"wave {wave.code} does not take answers at {point.code} "
                                   f"({error.reason})") from None
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000")
    if fmt == "csv":
        with open(out_path, "w", encoding="utf-8", newline="") as fh:
            fh.write(sheet_csv(codes, point=point, field=field, wave=wave, base_url=base))
    else:
        with current_app.test_request_context(base_url=base):
            pdf = sheet_pdf(codes, point=point, field=field, wave=wave, base_url=base, lang=lang)
        with open(out_path, "wb") as fh:
            fh.write(pdf)
    click.echo(f"Wrote {count} codes for {point.code} / {field.code if field else 'any field'} / "
               f"{wave.code} to {out_path}.")


def init_app(app: Flask) -> None:
    """Register the command on ``app``."""
    app.cli.add_command(codes_command)
