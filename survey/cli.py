"""Command-line commands: ``flask --app wsgi db-upgrade | init-db | demo``."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("db-upgrade")
@with_appcontext
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade_command(revision: str) -> None:
    """Create or upgrade the database schema with the migrations."""
    from .migrate import upgrade

    upgrade(current_app._get_current_object(), revision)
    click.echo(f"Database at revision {revision}.")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database schema (the same as ``db-upgrade``)."""
    from .migrate import upgrade

    upgrade(current_app._get_current_object())
    click.echo("Database initialised.")


@click.command("demo")
@with_appcontext
@click.option("--responses", default=3000, show_default=True, type=click.IntRange(min=0),
              help="Number of synthetic responses.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@click.option("--reset", is_flag=True, help="Drop every table first (all data, not only demo data).")
@click.option("--port", envvar="PORT", default=5000, show_default=True, type=click.IntRange(1, 65535),
              help="Port the site is served on, for the printed link (env PORT).")
def demo_command(responses: int, seed: int, reset: bool, port: int) -> None:
    """(Re)create the demo province with three waves and synthetic responses."""
    from .demo import build_demo

    summary = build_demo(current_app._get_current_object(), responses=responses, seed=seed, reset=reset)
    click.echo(
        f"Demo data ready: {summary.units} units, {summary.points} service points, "
        f"{summary.responses} responses in waves {', '.join(summary.waves)} "
        f"(wave {summary.wave_code} is open)."
    )
    click.echo(f"Survey link: http://127.0.0.1:{port}/s/{summary.wave_code}/{summary.point_code}")
    click.echo("Accounts of the management pages (/quan-ly/), passwords shown once:")
    for account in summary.accounts:
        scope = account.unit_code or "all units"
        click.echo(f"  {account.role:<14} {account.email:<28} {account.password}  ({scope})")


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    from . import cli_codes, cli_exports, cli_jobs, cli_quality, cli_questionnaires, cli_reports, cli_setup, cli_users

    for command in (db_upgrade_command, init_db_command, demo_command):
        app.cli.add_command(command)
    cli_exports.init_app(app)
    cli_codes.init_app(app)
    cli_reports.init_app(app)
    cli_users.init_app(app)
    cli_setup.init_app(app)
    cli_questionnaires.init_app(app)
    cli_quality.init_app(app)
    cli_jobs.init_app(app)
