"""Desk accounts: the ``users`` table's SQL. Hashing and the rules live in the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evidence.domain.audit import utcnow
from evidence.store.models import User


@dataclass(frozen=True)
class Account:
    """One account as the services see it (the hash only where a login needs it)."""

    id: int
    name: str
    role: str
    disabled: bool
    generation: int
    created_at: datetime
    password_changed_at: datetime
    password_hash: str


def _account(user: User) -> Account:
    return Account(
        user.id,
        user.name,
        user.role,
        user.disabled,
        user.generation,
        user.created_at,
        user.password_changed_at,
        user.password_hash,
    )


def add_user(session: Session, name: str, role: str, password_hash: str) -> Account:
    """Insert an account (the caller checked the name is free)."""
    now = utcnow()
    user = User(
        name=name,
        role=role,
        password_hash=password_hash,
        disabled=False,
        generation=1,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return _account(user)


def user_by_name(session: Session, name: str) -> Account | None:
    """The account called ``name``, or None."""
    user = session.scalar(select(User).where(User.name == name))
    return _account(user) if user is not None else None


def user_by_id(session: Session, user_id: int) -> Account | None:
    """The account ``user_id``, or None."""
    user = session.get(User, user_id)
    return _account(user) if user is not None else None


def all_users(session: Session) -> list[Account]:
    """Every account, by name."""
    return [_account(u) for u in session.scalars(select(User).order_by(User.name))]


def user_names(session: Session) -> list[str]:
    """Every account's name, sorted."""
    return list(session.scalars(select(User.name).order_by(User.name)))


def has_enabled_user(session: Session) -> bool:
    """True when at least one account is enabled (the desk then runs in team mode)."""
    found = session.scalar(select(User.id).where(User.disabled.is_(False)).limit(1))
    return found is not None


def set_password(session: Session, user_id: int, password_hash: str) -> None:
    """Store a new hash and end the account's sessions."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            password_hash=password_hash,
            password_changed_at=utcnow(),
            generation=User.generation + 1,
        )
    )


def rehash(session: Session, user_id: int, password_hash: str) -> None:
    """Replace the hash by one with today's parameters (same password: sessions stay)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def set_disabled(session: Session, user_id: int, disabled: bool) -> None:
    """Disable (or enable) an account, ending its sessions."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(disabled=disabled, generation=User.generation + 1)
    )
