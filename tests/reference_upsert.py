"""The Core dict path (``insert ... on conflict`` executed with parameter dicts), the former
``evidence/store/upsert.py``: kept in the tests only, as the engine of the frozen oracle
``tests/store_reference.py`` and of the tests that compare :mod:`evidence.store.bulk`'s rows
with it. The store writes through ``bulk`` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from evidence.store.bulk import chunks

__all__ = ["chunks", "insert_rows", "upsert"]


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert ``rows``; on a conflict on ``keys`` update ``update`` (or do nothing)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    stmt = insert(table)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: stmt.excluded[name] for name in update},
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    for batch in chunks(rows):
        session.execute(stmt, batch)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain batched inserts (executemany), no ORM objects."""
    for batch in chunks(rows):
        session.execute(table.insert(), batch)
