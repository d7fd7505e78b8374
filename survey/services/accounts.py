"""Accounts: create users, change their role and scope, disable them, set passwords,
issue and redeem one-time password-reset links, and make the demo's accounts.

Every change is audited (``survey.services.audit``) in the same transaction, and every
change that alters what a user may do (password, role, scope, disabling) revokes the
user's sessions, so a browser signed in before the change has to sign in again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..extensions import db
from ..models import PasswordResetToken, Unit, User, UserSession, utcnow
from ..models_accounts import ALL_UNITS_ROLES, ROLES
from . import audit

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
RESET_HOURS = 24
# Deliberately simple: the address is a sign-in name; no mail is sent to it.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")

ROLE_LABELS = {
    "administrator": _l("Administrator"),
    "methodologist": _l("Methodologist"),
    "official": _l("Official"),
    "desk_operator": _l("Desk operator"),
}

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account change; ``str()`` is a sentence in the current language."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def normalize_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased; AccountError when it is not an address."""
    email = (email or "").strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise AccountError(_l("“%(email)s” is not an email address.", email=email[:80]))
    return email


def check_role(role: str) -> str:
    """Return ``role`` when it is one of ``ROLES``; AccountError otherwise."""
    if role not in ROLES:
        raise AccountError(_l("There is no role “%(role)s”; the roles are %(roles)s.",
                              role=str(role)[:40], roles=", ".join(ROLES)))
    return role


def check_password(password: str) -> str:
    """Return ``password`` when it is long enough; AccountError otherwise."""
    if not isinstance(password, str) or not (MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH):
        raise AccountError(_l("A password has %(min)s to %(max)s characters.",
                              min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH))
    return password


def generate_password() -> str:
    """Return a random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash`` (False for a broken hash)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether the hash was made with older parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def digest(token: str) -> str:
    """Return the SHA-256 hex digest under which a session id or reset token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def resolve_units(codes) -> list[Unit]:
    """Return the units of ``codes`` (duplicates ignored); AccountError naming unknown codes."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not wanted:
        return []
    found = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(wanted)))}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise AccountError(_l("There is no unit with the code %(codes)s.",
                              codes=", ".join(f"“{c[:64]}”" for c in missing)))
    return [found[c] for c in wanted]


def _check_scope(role: str, units: list[Unit]) -> None:
    if role in ALL_UNITS_ROLES and units:
        raise AccountError(_l("Administrators and methodologists see every unit: give them no units."))
    if role not in ALL_UNITS_ROLES and not units:
        raise AccountError(_l("Officials and desk operators need at least one unit in their scope."))


def find_user(email: str) -> User | None:
    """Return the user with ``email`` (any case), or None."""
    try:
        email = normalize_email(email)
    except AccountError:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def user_or_error(email: str) -> User:
    """Return the user with ``email``; AccountError when there is none."""
    user = find_user(email)
    if user is None:
        raise AccountError(_l("There is no user with the email “%(email)s”.", email=str(email)[:80]))
    return user


def revoke_sessions(user: User) -> None:
    """End every session of ``user`` (in the current transaction)."""
    db.session.execute(update(UserSession)
                       .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def create_user(email: str, role: str, unit_codes=(), *, name: str = "",
                password: str | None = None, actor: User | None = None) -> tuple[User, str]:
    """Create a user; return it with its password (generated unless given).

    Nothing is written when the email, role, units or password are refused.
    """
    email = normalize_email(email)
    role = check_role(role)
    units = resolve_units(unit_codes)
    _check_scope(role, units)
    password = check_password(password) if password is not None else generate_password()
    if find_user(email) is not None:
        raise AccountError(_l("A user with the email “%(email)s” already exists.", email=email))
    user = User(email=email, name=(name or "").strip()[:255], role=role,
                password_hash=hash_password(password), units=units, active=True)
    db.session.add(user)
    db.session.flush()
    audit.record(audit.USER_CREATED, actor=actor, details={
        "email": email, "role": role, "units": [u.code for u in units]})
    db.session.commit()
    return user, password


def update_user(user: User, *, role: str | None = None, unit_codes=None, name: str | None = None,
                actor: User | None = None) -> dict:
    """Change the role, scope or name of ``user``; return the changes (field: [old, new]).

    A change of role or scope signs the user out everywhere.
    """
    new_role = check_role(role) if role is not None else user.role
    units = resolve_units(unit_codes) if unit_codes is not None else list(user.units)
    _check_scope(new_role, units)
    changes = {}
    if new_role != user.role:
        changes["role"] = [user.role, new_role]
    old_codes, new_codes = sorted(u.code for u in user.units), sorted(u.code for u in units)
    if old_codes != new_codes:
        changes["units"] = [old_codes, new_codes]
    if name is not None and name.strip()[:255] != user.name:
        changes["name"] = [user.name, name.strip()[:255]]
    if not changes:
        return changes
    user.role, user.units = new_role, units
    if "name" in changes:
        user.name = changes["name"][1]
    if "role" in changes or "units" in changes:
        revoke_sessions(user)
    audit.record(audit.USER_CHANGED, actor=actor, details={"email": user.email, **changes})
    db.session.commit()
    return changes


def disable_user(user: User, *, actor: User | None = None) -> bool:
    """Disable ``user`` and end its sessions; return False when it already was disabled."""
    if not user.active:
        return False
    user.active = False
    revoke_sessions(user)
    audit.record(audit.USER_DISABLED, actor=actor, details={"email": user.email})
    db.session.commit()
    return True


def set_password(user: User, password: str, *, actor: User | None = None, how: str = "reset") -> None:
    """Give ``user`` a new password, lift any lockout and end every session."""
    user.password_hash = hash_password(check_password(password))
    user.failed_sign_ins = 0
    user.locked_until = None
    revoke_sessions(user)
    audit.record(audit.PASSWORD_CHANGED, actor=actor, details={"email": user.email, "how": how})
    db.session.commit()


def issue_reset_token(user: User, *, actor: User | None = None) -> str:
    """Return a new one-time reset token of ``user``, valid ``RESET_HOURS`` hours.

    Earlier unused tokens of the user stop working: only the latest link is valid.
    """
    now = utcnow()
    db.session.execute(update(PasswordResetToken)
                       .where(PasswordResetToken.user_id == user.id,
                              PasswordResetToken.used_at.is_(None))
                       .values(used_at=now))
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(token_hash=digest(token), user_id=user.id, created_at=now,
                                      expires_at=now + dt.timedelta(hours=RESET_HOURS)))
    audit.record(audit.PASSWORD_RESET_ISSUED, actor=actor, details={"email": user.email})
    db.session.commit()
    return token


def valid_reset_token(token: str) -> PasswordResetToken | None:
    """Return the unused, unexpired reset token ``token`` of an active user, or None."""
    if not token or len(token) > 128:
        return None
    row = db.session.scalar(select(PasswordResetToken)
                            .where(PasswordResetToken.token_hash == digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def redeem_reset_token(token: str, password: str) -> User | None:
    """Set the password of the token's user and use the token up; None for a bad token."""
    check_password(password)
    # Marking the token used is one conditional UPDATE: of two concurrent uses, one wins.
    row = valid_reset_token(token)
    if row is None:
        return None
    used = db.session.execute(update(PasswordResetToken)
                              .where(PasswordResetToken.id == row.id,
                                     PasswordResetToken.used_at.is_(None))
                              .values(used_at=utcnow()))
    if used.rowcount != 1:
        db.session.rollback()
        return None
    user = row.user
    set_password(user, password, actor=user, how="reset link")
    return user


@dataclass(frozen=True)
class DemoAccount:
    """An account the demo made, with its password in clear (printed once)."""

    email: str
    role: str
    unit_code: str | None
    password: str


def create_demo_accounts(root_unit: Unit) -> list[DemoAccount]:
    """Create (or renew) the demo's administrator and one official per level of the tree.

    The officials are scoped to ``root_unit``, its first department and its first commune
    or ward (by code).  Passwords are generated anew on each call.
    """
    domain = f"{root_unit.code.lower()}.demo.example"
    kids = sorted(root_unit.children, key=lambda u: u.code)
    department = next((u for u in kids if u.kind == "department"), None)
    commune = next((u for u in kids if u.kind in ("commune", "ward")), None)
    wanted = [("admin", "administrator", None), ("tinh", "official", root_unit),
              ("so", "official", department), ("xa", "official", commune)]
    made = []
    for local, role, unit in wanted:
        if role == "official" and unit is None:
            continue
        email = f"{local}@{domain}"
        codes = [unit.code] if unit is not None else []
        password = generate_password()
        user = find_user(email)
        if user is None:
            create_user(email, role, codes, name=f"Demo {local}", password=password)
        else:
            user.active = True
            update_user(user, role=role, unit_codes=codes)
            set_password(user, password, how="demo")
        made.append(DemoAccount(email=email, role=role, unit_code=unit.code if unit else None,
                                password=password))
    return made
