"""Dialect upserts (SQLite and PostgreSQL) and batched Core inserts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")
BATCH_ROWS = 500


def chunks(items: Iterable[T], size: int = BATCH_ROWS) -> Iterator[list[T]]:
    """Split ``items`` into lists of at most ``size``."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


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
    # One statement, executed with many parameter sets: compiled once and cached, and
    # batched by SQLAlchemy's "insertmanyvalues" on both SQLite and PostgreSQL.
    for batch in chunks(rows):
        session.execute(stmt, batch)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain batched inserts (executemany), no ORM objects."""
    for batch in chunks(rows):
        session.execute(table.insert(), batch)
