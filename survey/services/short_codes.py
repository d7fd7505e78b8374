"""Short one-time codes people type or scan: kiosk enrolment codes and invitation codes.

One alphabet without look-alikes (no 0/O, 1/I/L), one normal form, and one keyed digest:
codes are short enough to be tried offline from a plain hash, so only an HMAC-SHA256 under
the app's ``SECRET_KEY`` is stored (a purpose prefix keeps the two kinds apart).
"""

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"     # 31 symbols: log2(31) ≈ 4.95 bits each


def new_code(length: int) -> str:
    """Return a random code of ``length`` symbols of :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(code: str) -> str:
    """Return ``code`` as hashed: upper case, without spaces, tabs and dashes."""
    return "".join(ch for ch in str(code).upper() if ch not in " -\t")


def format_code(code: str) -> str:
    """Return ``code`` split in two halves for reading aloud or printing (``ABCDE-FGHJK``)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def keyed_hash(code: str, purpose: bytes = b"") -> str:
    """Return the stored digest of ``code``: HMAC-SHA256 of ``purpose`` + its normal form."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, purpose + normalize_code(code).encode(), hashlib.sha256).hexdigest()
