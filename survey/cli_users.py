"""User commands: ``flask --app wsgi users add | list | disable | reset-password``.

Messages are in English, like the other commands; a refused command exits non-zero and
writes nothing.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from .extensions import db
from .models import User
from .models_accounts import ROLES
from .services import accounts

users = AppGroup("users", help="Manage the accounts of the management pages.")


def _fail(error: accounts.AccountError):
    db.session.rollback()
    with force_locale("en"):
        raise click.ClickException(str(error))


def reset_link(token: str) -> str:
    """Return the full address of the reset page for ``token`` (under BASE_URL)."""
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/quan-ly/dat-lai-mat-khau/{token}"


@users.command("add")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--unit", "units", multiple=True, metavar="CODE",
              help="A unit of the scope (repeat for several); officials and desk operators need one.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input "
              "instead of generating one.")
def add_command(email: str, role: str, units: tuple[str, ...], name: str, password_stdin: bool) -> None:
    """Create a user and print the password (generated unless --password-stdin)."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user, password = accounts.create_user(email, role, units, name=name, password=password)
    except accounts.AccountError as error:
        _fail(error)
    scope = ", ".join(u.code for u in user.units) or "all units"
    click.echo(f"Created {user.email} ({user.role}; {scope}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users.command("list")
def list_command() -> None:
    """List the users: email, role, status, scope."""
    rows = list(db.session.scalars(select(User).order_by(User.email)))
    if not rows:
        click.echo("No users yet: create one with 'flask --app wsgi users add EMAIL --role administrator'.")
    for user in rows:
        scope = " ".join(u.code for u in user.units) or "(all units)"
        status = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role}\t{status}\t{scope}\t{user.name}")


@users.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Disable a user; its sessions end at once."""
    try:
        user = accounts.user_or_error(email)
    except accounts.AccountError as error:
        _fail(error)
    if accounts.disable_user(user):
        click.echo(f"Disabled {user.email}; its sessions are ended.")
    else:
        click.echo(f"{user.email} was already disabled.")


@users.command("reset-password")
@click.argument("email")
def reset_password_command(email: str) -> None:
    """Print a one-time link (valid 24 hours) where the user sets a new password."""
    try:
        user = accounts.user_or_error(email)
    except accounts.AccountError as error:
        _fail(error)
    if not user.active:
        raise click.ClickException(f"{user.email} is disabled; a reset link would not work.")
    token = accounts.issue_reset_token(user)
    click.echo(f"Password-reset link for {user.email} (works once, for "
               f"{accounts.RESET_HOURS} hours):")
    click.echo(reset_link(token))


def init_app(app: Flask) -> None:
    """Register the ``users`` group on ``app``."""
    app.cli.add_command(users)
