"""A quick look at a SQLite ledger with the standard library only (no SQLAlchemy, no ORM).

Read-only commands ask it first: a database that is missing, or migrated but holding no
claim set, gets its one-line error without loading SQLAlchemy (about 0.4 CPU-s of imports).
Anything else, or any doubt, answers ``OPENABLE``: the full path decides.
"""

from __future__ import annotations

import sqlite3
from enum import Enum
from pathlib import Path

HEAD_REVISION = "0013"  # the newest migration (a test compares it with Alembic's head)
SQLITE_PREFIX = "sqlite:///"
NOTHING_STORED = "nothing stored yet: run `evidence refresh` first"


class LedgerState(Enum):
    """What a quick look at the database found."""

    MISSING = "missing"  # a SQLite file that does not exist
    EMPTY = "empty"  # a SQLite file at HEAD_REVISION with no claim set stored
    OPENABLE = "openable"  # anything else: open it the ordinary way


def missing_database_message(path: Path) -> str:
    """The refusal of a read-only command when no file is at ``path``."""
    return f"no database at {path} (run `evidence refresh` first, or set EVIDENCE_DATABASE_URL)"


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything else (other drivers,
    query strings, percent-escapes, in-memory databases)."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    database = url[len(SQLITE_PREFIX) :]
    if database in ("", ":memory:") or "?" in database or "%" in database:
        return None
    return Path(database)


def ledger_state(url: str) -> LedgerState:
    """MISSING, EMPTY or OPENABLE (see :class:`LedgerState`); opens the file read-only."""
    path = plain_sqlite_file(url)
    if path is None:
        return LedgerState.OPENABLE
    try:
        if not path.exists():
            return LedgerState.MISSING
        if not path.is_file():
            return LedgerState.OPENABLE
        return LedgerState.EMPTY if _migrated_and_empty(path) else LedgerState.OPENABLE
    except (OSError, sqlite3.Error):
        return LedgerState.OPENABLE


def _migrated_and_empty(path: Path) -> bool:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        if revision != [(HEAD_REVISION,)]:
            return False
        return connection.execute("SELECT 1 FROM claim_sets LIMIT 1").fetchone() is None
    finally:
        connection.close()
