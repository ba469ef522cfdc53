"""The database itself: upgrade its schema, describe it, back it up (``evidence db ...``).

These open the database without the schema check every other command makes (an old
schema is what they are for) and never migrate it silently: only :func:`upgrade` does.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from evidence.domain.errors import ConfigError
from evidence.services.context import Context


@dataclass(frozen=True)
class UpgradeResult:
    """Which migration the schema was at (None: an empty database) and is at now."""

    location: str
    before: str | None
    after: str


@dataclass(frozen=True)
class DatabaseInfo:
    """What ``evidence db info`` shows."""

    backend: str
    location: str
    revision: str | None
    head: str
    state: str  # "empty", "current", "behind" or "ahead"
    counts: dict[str, int]
    size_bytes: int | None  # SQLite only
    wal_bytes: int | None  # SQLite only: the write-ahead log not yet checkpointed


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: from where, to where, its size and how long it took."""

    source: str
    target: str
    revision: str | None
    size_bytes: int
    seconds: float


def upgrade(context: Context) -> UpgradeResult:
    """Migrate the database to this version's newest schema (creating it when empty)."""
    from evidence.store.admin import upgrade_to_head
    from evidence.store.db import display_name

    db = context.database(create=True, migrate=False)
    before, after = upgrade_to_head(db.engine)
    return UpgradeResult(display_name(db.engine.url), before, after)


def info(context: Context) -> DatabaseInfo:
    """Backend, location (password hidden), migration level, row counts, SQLite file size."""
    from evidence.store.admin import file_sizes, row_counts, schema_level
    from evidence.store.db import display_name

    db = context.database(create=False, migrate=False)
    level = schema_level(db.engine)
    sizes = file_sizes(db.engine)
    return DatabaseInfo(
        backend=db.engine.dialect.name,
        location=display_name(db.engine.url),
        revision=level.current,
        head=level.head,
        state=level.state,
        counts=row_counts(db.engine) if level.current is not None else {},
        size_bytes=sizes[0] if sizes else None,
        wal_bytes=sizes[1] if sizes else None,
    )


def backup(context: Context, target: Path, *, force: bool = False) -> BackupResult:
    """Copy a SQLite database to ``target`` while it stays in use; PostgreSQL: pg_dump's line.

    Refuses (ConfigError, exit 2) a PostgreSQL or in-memory database, an existing ``target``
    unless ``force``, and the database's own file.
    """
    from evidence.store.admin import backup_sqlite, schema_level
    from evidence.store.db import display_name, parse_url, sqlite_file

    url = parse_url(context.settings.database_url)
    if url.get_backend_name() == "postgresql":
        raise ConfigError(pg_dump_hint(context.settings.database_url, target))
    path = sqlite_file(url)
    if path is None:
        raise ConfigError(f"db backup copies a SQLite file; {display_name(url)} is not one")
    _check_target(path, target, force=force)
    db = context.database(create=False, migrate=False)
    revision = schema_level(db.engine).current
    started = time.monotonic()
    size = backup_sqlite(db.engine, target)
    return BackupResult(str(path), str(target), revision, size, time.monotonic() - started)


def pg_dump_hint(database_url: str, target: Path) -> str:
    """The one line saying how to back up a PostgreSQL database (no password in it)."""
    from evidence.store.admin import libpq_url

    url, had_password = libpq_url(database_url)
    command = shlex.join(["pg_dump", "--format=custom", f"--file={target}", url])
    password = " (the password from PGPASSWORD or ~/.pgpass)" if had_password else ""
    return f"db backup copies SQLite files; for PostgreSQL run: {command}{password}"


def _check_target(source: Path, target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise ConfigError(f"{target} is a folder; give the backup's file name")
    if target.exists() and target.resolve() == source.resolve():
        raise ConfigError(f"{target} is the database itself; give another file")
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; use --force to replace it")
    if not target.parent.is_dir():
        raise ConfigError(f"cannot write {target}: no folder {target.parent}")
