"""Desk accounts: add, list, disable, re-password, and sign in.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile);
the clear text is never stored, logged or put in an error. A sign-in with an unknown name
verifies against a dummy hash, so it takes as long as a wrong password.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from evidence.domain.errors import AccountError, UnknownAccountError
from evidence.domain.vocab import ROLES
from evidence.store import users as store
from evidence.store.users import Account

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # bounds the work one sign-in costs
MAX_NAME = 200  # verdicts.reviewer and users.name are String(200)


@dataclass(frozen=True)
class AccountInfo:
    """An account as shown and as the desk's session needs it (never the hash)."""

    id: int
    name: str
    role: str
    disabled: bool
    generation: int
    created_at: datetime
    password_changed_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountInfo:
        return cls(
            account.id,
            account.name,
            account.role,
            account.disabled,
            account.generation,
            account.created_at,
            account.password_changed_at,
        )

    def to_json(self) -> dict[str, Any]:
        """The account for ``users list --json``."""
        return {
            "name": self.name,
            "role": self.role,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "password_changed_at": self.password_changed_at.isoformat(),
        }


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password: unknown names verify against this")


def clean_account_name(raw: str) -> str | None:
    """An account name: 1 to 200 printable characters, single spaces, trimmed; else None."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME or name != raw:
        return None
    if any(unicodedata.category(c).startswith("C") for c in name):
        return None
    return name


def check_password(password: str) -> None:
    """Refuse a password that is too short or too long (one line, never the password)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")


def add_account(session: Session, name: str, role: str, password: str) -> AccountInfo:
    """A new enabled account; the name must be free and valid, the password long enough."""
    check_new_account(session, name, role)
    check_password(password)
    return AccountInfo.of(store.add_user(session, name, role, _hasher().hash(password)))


def check_new_account(session: Session, name: str, role: str) -> None:
    """Refuse a name that is not valid or taken, or an unknown role (before asking for a
    password)."""
    if clean_account_name(name) is None:
        raise AccountError(
            f"not a valid account name: {name[:40]!r} (1 to {MAX_NAME} printable characters, "
            "no leading, trailing or repeated spaces)"
        )
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if store.user_by_name(session, name) is not None:
        raise AccountError(f"an account called {name!r} exists already")


def list_accounts(session: Session) -> list[AccountInfo]:
    """Every account, by name."""
    return [AccountInfo.of(a) for a in store.all_users(session)]


def account_named(session: Session, name: str) -> AccountInfo:
    """The account called ``name``; :class:`UnknownAccountError` when there is none."""
    return AccountInfo.of(_named(session, name))


def _named(session: Session, name: str) -> Account:
    account = store.user_by_name(session, name)
    if account is None:
        raise UnknownAccountError.of("account", name[:MAX_NAME], store.user_names(session))
    return account


def set_disabled(session: Session, name: str, *, disabled: bool = True) -> AccountInfo:
    """Disable (or enable) ``name``; its open desk sessions end at their next request."""
    account = _named(session, name)
    store.set_disabled(session, account.id, disabled)
    return AccountInfo.of(_named(session, name))


def change_password(session: Session, name: str, password: str) -> AccountInfo:
    """A new password for ``name``; its open desk sessions end at their next request."""
    account = _named(session, name)
    check_password(password)
    store.set_password(session, account.id, _hasher().hash(password))
    return AccountInfo.of(_named(session, name))


def authenticate(session: Session, name: str, password: str) -> AccountInfo | None:
    """The enabled account ``name`` if ``password`` is its password, else None.

    Unknown names, disabled accounts and wrong passwords all cost one Argon2 verification.
    """
    account = _lookup(session, name)
    if len(password) > MAX_PASSWORD:
        return None
    stored = account.password_hash if account is not None else _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled:
        return None
    if _hasher().check_needs_rehash(stored):
        store.rehash(session, account.id, _hasher().hash(password))
    return AccountInfo.of(account)


def session_account(session: Session, account_id: int, generation: int) -> AccountInfo | None:
    """The account a desk session names, while it is enabled and its generation current."""
    account = store.user_by_id(session, account_id)
    if account is None or account.disabled or account.generation != generation:
        return None
    return AccountInfo.of(account)


def enabled_account(session: Session, name: str) -> AccountInfo | None:
    """The enabled account called ``name`` (a trusted proxy's header), else None."""
    account = _lookup(session, name)
    if account is None or account.disabled:
        return None
    return AccountInfo.of(account)


def _lookup(session: Session, name: str) -> Account | None:
    """The account called ``name``; a name no account can have (too long, control
    characters such as NUL, which PostgreSQL refuses) is not looked up."""
    return store.user_by_name(session, name) if clean_account_name(name) == name else None


def team_mode(session: Session) -> bool:
    """True when the database has at least one enabled account: the desk then asks for a
    name and password, and its one-time token links stop working."""
    return store.has_enabled_user(session)
