"""Questionnaire commands: ``flask --app wsgi questionnaire check | publish | export``.

``check FILE``     read a YAML definition or an XLSForm; exit 0 when it may be published,
                   2 with every problem (file, line, field or sheet, row, column) on stderr.
``publish FILE``   the same checks, then publish it as an immutable version (exit 0), or 2.
``export VERSION --format yaml|xlsx -o FILE``
                   write a published version (``sipas@2017.1``, or ``sipas`` for the latest).

Messages are in English, like the other commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .services import questionnaire_publish as qp

EXIT_REFUSED = 2
questionnaire = AppGroup("questionnaire", help="Check, publish and export questionnaire versions.")


def _refuse(problems: list[str]) -> None:
    for problem in problems:
        click.echo(problem, err=True)
    db.session.rollback()
    sys.exit(EXIT_REFUSED)


def _checked(file: str):
    path = Path(file)
    if not path.is_file():
        _refuse([f"{file}: no such file"])
    size = path.stat().st_size
    if size > qp.MAX_UPLOAD_BYTES:
        _refuse([f"{path.name}: the file is larger than {qp.MAX_UPLOAD_BYTES // 1_000_000} MB"])
    checked = qp.check_upload(path.read_bytes(), path.name)
    if not checked.ok:
        _refuse(checked.problems)
    q = checked.questionnaire
    problems = qp.publication_problems(q)
    if problems:
        _refuse(problems)
    return q


def _summary(q) -> str:
    old, changes = qp.changes(q)
    against = f"against {old.qid}@{old.version}" if old is not None else "(first version)"
    lines = [f"{q.id}@{q.version}: {len(q.elements)} elements, {len(q.questions)} questions; "
             f"{len(changes)} changes {against}"]
    lines += [f"  {c}" for c in changes]
    return "\n".join(lines)


@questionnaire.command("check")
@click.argument("file")
def check_command(file: str) -> None:
    """Check FILE (.yaml or .xlsx): exit 0 when it may be published, 2 with every problem."""
    q = _checked(file)
    click.echo(_summary(q))
    click.echo("OK: it may be published.")


@questionnaire.command("publish")
@click.argument("file")
def publish_command(file: str) -> None:
    """Publish FILE as a new immutable version (exit 2 with every problem)."""
    q = _checked(file)
    try:
        row, new = qp.publish(q)
    except qp.PublishError as error:
        _refuse(error.problems)
    click.echo(_summary(q))
    click.echo(f"Published {row.qid}@{row.version}." if new
               else f"{row.qid}@{row.version} was already published with this content; nothing changed.")


@questionnaire.command("export")
@click.argument("version")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
def export_command(version: str, fmt: str, output: str) -> None:
    """Write a published VERSION (id@version, or id for the latest) as YAML or XLSForm."""
    row = qp.find_version(version)
    if row is None or row.published_at is None:
        _refuse([f"{version}: no such published version (write it id@version, e.g. sipas@2017.1)"])
    try:
        qp.export_version(row, fmt, output)
    except OSError as error:
        _refuse([f"{output}: {error.strerror or error}"])
    except ValueError as error:  # a condition without an XLSForm form
        _refuse([f"{version}: {error}"])
    click.echo(f"Wrote {row.qid}@{row.version} to {output}.")


@questionnaire.command("list")
def list_command() -> None:
    """List the published versions."""
    for row in qp.versions():
        click.echo(f"{row.qid}@{row.version}  {row.published_at:%Y-%m-%d %H:%M}  {row.content_hash[:12]}  {row.title}")


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    app.cli.add_command(questionnaire)
