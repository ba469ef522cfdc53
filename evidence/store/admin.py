"""Database administration: the schema's migration level, the upgrade to head, row counts,
and SQLite's online backup (a consistent copy while other processes read and write)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Engine, func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from evidence.domain.errors import StoreError
from evidence.store.db import (
    HEAD_REVISION,
    display_name,
    known_revisions,
    open_error,
    parse_url,
    schema_mismatch,
    sqlite_file,
    stored_revision,
    upgrade,
)

# What `db info` counts: its name there -> the table.
MAIN_TABLES = {
    "claim_sets": "claim_sets",
    "claims": "claims",
    "articles": "articles",
    "links": "claim_articles",
    "verdicts": "verdicts",
    "refresh_runs": "refresh_runs",
    "mirror_records": "mirror_records",
}


@dataclass(frozen=True)
class SchemaLevel:
    """The schema's migration (None: an empty database) beside this version's newest."""

    current: str | None
    head: str
    state: str  # "empty", "current", "behind" or "ahead"


def schema_level(engine: Engine) -> SchemaLevel:
    """Where the schema stands; loads Alembic only when it is neither empty nor at head."""
    try:
        with engine.connect() as connection:
            current = stored_revision(connection)
    except SQLAlchemyError as exc:
        raise open_error(engine.url, exc) from exc
    if current is None:
        state = "empty"
    elif current == HEAD_REVISION:
        state = "current"
    else:
        state = "behind" if current in known_revisions() else "ahead"
    return SchemaLevel(current, HEAD_REVISION, state)


def upgrade_to_head(engine: Engine) -> tuple[str | None, str]:
    """Migrate to head under the migration lock: (revision before, revision after).

    A schema newer than this version's is refused, untouched. Several processes upgrading
    at once: one migrates, the others find the work done (before == after).
    """
    level = schema_level(engine)
    if level.state == "ahead" and level.current is not None:
        raise schema_mismatch(engine.url, level.current)
    before = upgrade(engine)
    after = schema_level(engine).current
    return before, after or HEAD_REVISION


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each of :data:`MAIN_TABLES` the database has (an old schema lacks some)."""
    try:
        present = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            return {
                name: connection.scalar(select(func.count()).select_from(table(table_name))) or 0
                for name, table_name in MAIN_TABLES.items()
                if table_name in present
            }
    except SQLAlchemyError as exc:
        raise open_error(engine.url, exc) from exc


def libpq_url(database_url: str) -> tuple[str, bool]:
    """The URL as libpq tools (pg_dump, psql) take it, without its password; had it one?"""
    url = parse_url(database_url)
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False), url.password is not None


def file_sizes(engine: Engine) -> tuple[int, int] | None:
    """A SQLite database's size in bytes and its write-ahead log's (0 when none); else None."""
    path = sqlite_file(engine.url)
    if path is None:
        return None
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the SQLite database to ``target`` with SQLite's online backup API; its size.

    The copy is one read transaction (a consistent snapshot: other connections keep
    reading and writing, an open write transaction is not in it), written to a temporary
    file beside ``target`` and renamed into place, so ``target`` is never half written.
    """
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(temporary)
        try:
            source.backup(copy)  # every page in one step: one snapshot
        finally:
            copy.close()
        for stale in _side_files(target):  # a replaced database's log would corrupt the copy
            stale.unlink(missing_ok=True)
        os.replace(temporary, target)
        return target.stat().st_size
    except (sqlite3.Error, OSError) as exc:
        name = display_name(engine.url)
        raise StoreError(f"cannot back up the database {name} to {target}: {exc}") from exc
    finally:
        raw.close()
        for leftover in (temporary, *_side_files(temporary)):
            leftover.unlink(missing_ok=True)


def _side_files(path: Path) -> tuple[Path, ...]:
    return tuple(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))
