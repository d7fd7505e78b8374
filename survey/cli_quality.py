"""``flask --app wsgi quality flag WAVE``: apply every data-quality rule to a wave."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .extensions import db
from .models import Wave

quality = AppGroup("quality", help="Data-quality flags of responses.")


@quality.command("flag")
@click.argument("wave_code")
def flag_command(wave_code: str) -> None:
    """Flag WAVE's responses by every rule (idempotent: a second run adds nothing)."""
    from .services.quality import flag_wave

    wave = db.session.scalar(select(Wave).where(Wave.code == wave_code))
    if wave is None:
        raise click.BadParameter(f"no wave with the code {wave_code!r}", param_hint="WAVE")
    added = flag_wave(wave)
    total = sum(added.values())
    details = ", ".join(f"{flag}: {n}" for flag, n in added.items())
    click.echo(f"Wave {wave.code}: {total} flag(s) added ({details}).")


def init_app(app: Flask) -> None:
    """Register the ``quality`` commands on ``app``."""
    app.cli.add_command(quality)
