"""Checking, publishing and exporting questionnaire versions, and choosing a wave's version.

The same functions serve the methodologists' pages and the ``flask --app wsgi
questionnaire check|publish|export`` commands:

* :func:`check_upload` reads an uploaded YAML definition or XLSForm workbook (bounded in
  size, parsed with the safe loaders) and returns the questionnaire or every problem with
  its place (file, line and field; or sheet, row and column);
* :func:`publication_problems` adds the rules that need the database: a published
  (id, version) is immutable, and a reused question id keeps its type and choice codes;
* :func:`publish` stores the version (immutable from then on) and writes the audit line;
* :func:`set_wave_version` lets a draft wave without responses use another version.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from sqlalchemy import select

from questionnaires import DefinitionError, Questionnaire, load_definition
from questionnaires.diff import Change, diff, reuse_conflicts
from questionnaires.messages import N_, plain

from ..extensions import db
from ..models import QuestionnaireVersion, Response, Wave
from . import audit
from .questionnaire_messages import localize, localize_all
from .questionnaire_versions import load_version, register_version

MAX_UPLOAD_BYTES = 2_000_000
YAML_EXTENSIONS = (".yaml", ".yml")
XLSX_EXTENSIONS = (".xlsx",)
PUBLISHED = "questionnaire.published"
WAVE_VERSION_SET = "wave.questionnaire_set"


class PublishError(ValueError):
    """A version that may not be published; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class WaveVersionError(ValueError):
    """A wave whose version may not change; ``reason`` is a key of the pages' messages."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Checked:
    """The outcome of reading one file: the questionnaire, or every problem found.

    ``problems`` are in the language of the moment they were found (the page's).
    """

    filename: str
    questionnaire: Questionnaire | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.problems


def _read_xlsx(data: bytes, name: str) -> Questionnaire:
    from questionnaires.xlsform import XLSFormError, definition_yaml, read_xlsform

    if not data.startswith(b"PK"):
        raise XLSFormError([plain("%(file)s: %(message)s", file=name,
                                  message=N_("this is not an Excel workbook (.xlsx)"))])
    with tempfile.TemporaryDirectory(prefix="sipas-q-") as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as fh:
            fh.write(data)
        definition = read_xlsform(path)
    return load_definition(f"{name}.yaml", text=definition_yaml(definition))


def check_upload(data: bytes, filename: str) -> Checked:
    """Read a YAML definition or an XLSForm workbook; never raises on bad input.

    The problems are given in the current locale (English outside an app context).
    """
    from questionnaires.xlsform import XLSFormError

    name = os.path.basename(filename or "").strip() or "upload"
    name = name[:120]
    out = Checked(name)
    if len(data) > MAX_UPLOAD_BYTES:
        out.problems.append(localize(too_large(name)))
        return out
    lower = name.lower()
    try:
        if lower.endswith(YAML_EXTENSIONS):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                out.problems.append(localize(plain("%(file)s: %(message)s", file=name, message=N_(
                    "the file is not UTF-8 text (bad byte at position %(position)s)",
                    position=exc.start))))
                return out
            out.questionnaire = load_definition(name, text=text)
        elif lower.endswith(XLSX_EXTENSIONS):
            out.questionnaire = _read_xlsx(data, name)
        else:
            out.problems.append(localize(plain("%(file)s: %(message)s", file=name, message=N_(
                "upload a YAML definition (.yaml) or an XLSForm workbook (.xlsx)"))))
    except DefinitionError as exc:
        out.problems += localize_all(exc.problems)
    except XLSFormError as exc:
        out.problems += localize_all(exc.problems)
    except Exception as exc:  # noqa: BLE001 - a damaged upload must never end in a 500
        out.problems.append(localize(plain("%(file)s: %(message)s", file=name, message=N_(
            "cannot read this file (%(error)s)", error=type(exc).__name__))))
    return out


def too_large(name: str):
    """The problem of a file over :data:`MAX_UPLOAD_BYTES` (a translatable message)."""
    return plain("%(file)s: %(message)s", file=name, message=N_(
        "the file is larger than %(limit)s MB", limit=MAX_UPLOAD_BYTES // 1_000_000))


def versions(qid: str | None = None) -> list[QuestionnaireVersion]:
    """Published versions (of ``qid``, or all), oldest first within each questionnaire."""
    query = select(QuestionnaireVersion).where(QuestionnaireVersion.published_at.is_not(None))
    if qid is not None:
        query = query.where(QuestionnaireVersion.qid == qid)
    return list(db.session.scalars(query.order_by(QuestionnaireVersion.qid,
                                                  QuestionnaireVersion.published_at,
                                                  QuestionnaireVersion.id)))


def find_version(label: str) -> QuestionnaireVersion | None:
    """The version written ``id@version`` (or ``id``: the latest published), or None."""
    qid, _, version = (label or "").strip().partition("@")
    if not version:
        rows = versions(qid)
        return rows[-1] if rows else None
    return db.session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.qid == qid, QuestionnaireVersion.version == version))


def replaced(q: Questionnaire) -> QuestionnaireVersion | None:
    """The latest published version of the same questionnaire other than ``q`` itself."""
    rows = [r for r in versions(q.id) if r.version != q.version]
    return rows[-1] if rows else None


def changes(q: Questionnaire) -> tuple[QuestionnaireVersion | None, list[Change]]:
    """The version ``q`` replaces and the changes from it."""
    old = replaced(q)
    return old, diff(load_version(old) if old is not None else None, q)


def publication_problems(q: Questionnaire) -> list[str]:
    """The database rules: an existing (id, version) is immutable; reused ids keep meaning.

    The problems are given in the current locale.
    """
    problems = []
    existing = find_version(f"{q.id}@{q.version}")
    if existing is not None and existing.content_hash != q.content_hash:
        problems.append(localize(N_(
            "questionnaire '%(id)s' version '%(version)s' is already published with other "
            "content; published versions never change: give this one a new version",
            id=q.id, version=q.version)))
    published = [load_version(r) for r in versions(q.id) if r.version != q.version]
    problems += [localize(c.message) for c in reuse_conflicts(published, q)]
    return problems


def publish(q: Questionnaire, *, actor=None) -> tuple[QuestionnaireVersion, bool]:
    """Publish ``q`` (commits); return its row and whether it is new.

    Publishing the very same content again returns the existing version unchanged.

    Raises
    ------
    PublishError
        With every rule the version breaks.
    """
    problems = publication_problems(q)
    if problems:
        raise PublishError(problems)
    existing = find_version(f"{q.id}@{q.version}")
    if existing is not None and existing.published_at is not None:
        return existing, False
    row = register_version(q, publish=True, commit=False)
    audit.record(PUBLISHED, actor=actor, details={
        "questionnaire": q.id, "version": q.version, "content_hash": q.content_hash,
        "questions": len(q.questions)})
    db.session.commit()
    return row, True


def has_responses(wave: Wave) -> bool:
    """Whether any response was stored in ``wave``."""
    return db.session.scalar(select(Response.id).where(Response.wave_id == wave.id).limit(1)) is not None


def set_wave_version(wave: Wave, row: QuestionnaireVersion, *, actor=None) -> None:
    """Let the draft ``wave`` use version ``row`` (commits).

    Raises
    ------
    WaveVersionError
        ``not_published``, ``has_responses`` (a wave with answers keeps its version) or
        ``not_draft`` (only a draft wave changes its questionnaire).
    """
    if row.published_at is None:
        raise WaveVersionError("not_published")
    if wave.questionnaire_version_id == row.id:
        return
    if has_responses(wave):
        raise WaveVersionError("has_responses")
    if wave.status != "draft":
        raise WaveVersionError("not_draft")
    old = wave.questionnaire_version
    wave.questionnaire_version_id = row.id
    audit.record(WAVE_VERSION_SET, actor=actor, wave=wave, details={
        "from": f"{old.qid}@{old.version}" if old is not None else None,
        "to": f"{row.qid}@{row.version}"})
    db.session.commit()


def export_version(row: QuestionnaireVersion, fmt: str, path: str) -> None:
    """Write version ``row`` as YAML (``fmt="yaml"``) or as an XLSForm (``"xlsx"``)."""
    q = load_version(row)
    if fmt == "xlsx":
        from questionnaires.xlsform import write_xlsform

        write_xlsform(q, path)
    elif fmt == "yaml":
        from questionnaires.xlsform import definition_yaml

        with open(path, "w", encoding="utf-8") as fh:
            fh.write(definition_yaml(row.definition))
    else:
        raise ValueError(f"unknown format {fmt!r} (yaml or xlsx)")
