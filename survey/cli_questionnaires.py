"""Questionnaire commands: ``flask --app wsgi questionnaire check | publish | export``.

``check FILE``     read a YAML definition or an XLSForm; exit 0 when it may be published,
                   2 with every problem (file, line, field or sheet, row, column) on stderr.
``publish FILE``   the same checks, then publish it as an immutable version (exit 0), or 2.
``export VERSION --format yaml|xlsx -o FILE``
                   write a published version (``sipas@2017.1``, or ``sipas`` for the latest).

``check`` and ``publish`` speak Vietnamese by default, English with ``--lang en`` (or the
environment variable ``SIPAS_LANG=en``): every problem, the changes and the verdict. The
other commands answer in English, like the rest of the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from .extensions import db
from .i18n import DEFAULT_LOCALE, LANGUAGES
from .methodology.texts import change_line
from .services import questionnaire_publish as qp
from .services.questionnaire_messages import localize

EXIT_REFUSED = 2
questionnaire = AppGroup("questionnaire", help="Check, publish and export questionnaire versions.")
lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LOCALE,
                           envvar="SIPAS_LANG", show_default=True,
                           help="Language of the problems and the changes (or SIPAS_LANG).")


def _refuse(problems: list[str]) -> None:
    for problem in problems:
        click.echo(problem, err=True)
    db.session.rollback()
    sys.exit(EXIT_REFUSED)


def _checked(file: str):
    path = Path(file)
    if not path.is_file():
        _refuse([_("%(file)s: no such file", file=file)])
    size = path.stat().st_size
    if size > qp.MAX_UPLOAD_BYTES:
        _refuse([localize(qp.too_large(path.name))])
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
    if old is not None:
        head = _("%(version)s: %(elements)s elements, %(questions)s questions; %(changes)s changes "
                 "against %(old)s", version=f"{q.id}@{q.version}", elements=len(q.elements),
                 questions=len(q.questions), changes=len(changes), old=f"{old.qid}@{old.version}")
    else:
        head = _("%(version)s: %(elements)s elements, %(questions)s questions; %(changes)s changes "
                 "(first version)", version=f"{q.id}@{q.version}", elements=len(q.elements),
                 questions=len(q.questions), changes=len(changes))
    return "\n".join([head] + [f"  {change_line(c)}" for c in changes])


@questionnaire.command("check")
@click.argument("file")
@lang_option
def check_command(file: str, lang: str) -> None:
    """Check FILE (.yaml or .xlsx): exit 0 when it may be published, 2 with every problem."""
    with force_locale(lang):
        q = _checked(file)
        click.echo(_summary(q))
        click.echo(_("OK: it may be published."))


@questionnaire.command("publish")
@click.argument("file")
@lang_option
def publish_command(file: str, lang: str) -> None:
    """Publish FILE as a new immutable version (exit 2 with every problem)."""
    with force_locale(lang):
        q = _checked(file)
        try:
            row, new = qp.publish(q)
        except qp.PublishError as error:
            _refuse(error.problems)
        click.echo(_summary(q))
        version = f"{row.qid}@{row.version}"
        click.echo(_("Published %(version)s.", version=version) if new else
                   _("%(version)s was already published with this content; nothing changed.",
                     version=version))


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
