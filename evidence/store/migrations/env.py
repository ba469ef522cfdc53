"""Alembic environment: run against the engine the application hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from evidence.domain.errors import StoreError
from evidence.store.db import MIGRATION_LOCK, WRITE_OPTION, display_name
from evidence.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Online migrations only: an engine is always available."""
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine given and no sqlalchemy.url configured")
        engine = create_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables (copy, drop, rename): with foreign keys
            # enforced, dropping a parent table that has child rows fails. The pragma
            # only takes effect outside a transaction, so set it before beginning one.
            _pragma(connection, "foreign_keys=OFF")
        # One migrating process at a time: SQLite takes the write lock when the transaction
        # begins (others wait, busy_timeout); PostgreSQL a transaction advisory lock. Alembic
        # reads the schema's revision after that, so a process that waited finds the work
        # done and does nothing.
        connection = connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if not sqlite:
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            # What the schema was when the lock was taken, for `evidence db upgrade` to report.
            config.attributes["from_revision"] = context.get_context().get_current_revision()
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    name = display_name(connection.engine.url)
                    raise StoreError(
                        f"the database {name} has rows whose parent row is missing "
                        f"(table, rowid, parent table): {broken[:5]}"
                    )
        if sqlite:
            _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, setting: str) -> None:
    """Run a PRAGMA on the raw connection, outside any transaction (where it takes effect)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {setting}")
    finally:
        cursor.close()


run_migrations()
