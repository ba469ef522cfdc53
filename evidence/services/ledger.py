"""A read-only command's first check, cheap: is there a ledger with something in it?

Answered by :mod:`evidence.store.probe` (the standard library's sqlite3), so ``status``
on a missing or empty database fails in its usual words without loading SQLAlchemy.
"""

from __future__ import annotations

from evidence.domain.errors import NoDatabaseError, NothingStoredError
from evidence.store import probe


def require_stored(database_url: str) -> None:
    """NoDatabaseError for a missing SQLite file, NothingStoredError for one migrated but
    holding no claim set; nothing for any other database (opening it decides)."""
    state = probe.ledger_state(database_url)
    path = probe.plain_sqlite_file(database_url)
    if state is probe.LedgerState.MISSING and path is not None:
        raise NoDatabaseError(probe.missing_database_message(path))
    if state is probe.LedgerState.EMPTY:
        raise NothingStoredError(probe.NOTHING_STORED)
