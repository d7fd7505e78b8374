"""Uploaded set-up files kept on the server between the preview and the confirmation.

The browser gets only a random token; the file waits in a private temporary folder (or
``SETUP_UPLOAD_DIR``; a shared folder when several servers serve the pages) and is read
again when the administrator confirms, so what is written is exactly what was previewed.
The token must also be in the uploader's signed session, so nobody else can confirm it.
Files older than ``MAX_AGE`` seconds are removed.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from pathlib import Path

from flask import current_app, session

SESSION_KEY = "setup_uploads"
MAX_AGE = 3600
MAX_PENDING = 5
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder() -> Path:
    folder = Path(current_app.config.get("SETUP_UPLOAD_DIR")
                  or Path(tempfile.gettempdir()) / "sipas-setup-uploads")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _clean(folder: Path) -> None:
    limit = time.time() - MAX_AGE
    for path in folder.glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


def keep(data: bytes, meta: dict) -> str:
    """Store ``data`` with ``meta`` (table, file name, wave); return the token."""
    folder = _folder()
    _clean(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    session[SESSION_KEY] = ([t for t in session.get(SESSION_KEY, []) if isinstance(t, str)]
                            + [token])[-MAX_PENDING:]
    return token


def load(token: str) -> tuple[bytes, dict] | None:
    """Return the kept ``(data, meta)`` of ``token``, or None (unknown, expired, not yours)."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token) or token not in session.get(SESSION_KEY, []):
        return None
    folder = _folder()
    try:
        if (folder / f"{token}.bin").stat().st_mtime < time.time() - MAX_AGE:
            return None
        data = (folder / f"{token}.bin").read_bytes()
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data, meta


def forget(token: str) -> None:
    """Remove the files of ``token``."""
    if _TOKEN_RE.match(token or ""):
        for suffix in (".bin", ".json"):
            (_folder() / f"{token}{suffix}").unlink(missing_ok=True)
    session[SESSION_KEY] = [t for t in session.get(SESSION_KEY, []) if t != token]
