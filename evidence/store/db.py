"""Open a database: check its file, build the engine, check the schema's migration level.

A new, empty database is created at the newest migration; one at an older (or newer)
migration is refused: only ``evidence db upgrade`` (:func:`upgrade`) migrates an existing one.

Every failure to open, migrate or use the database leaves this module as a one-line
:class:`StoreError` naming the database (its password hidden), never as a SQLAlchemy or OS
exception: the CLI only catches :class:`EvidenceError`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from evidence.domain.errors import NoDatabaseError, SchemaVersionError, StoreError
from evidence.store import probe
from evidence.store.jsontext import json_text
from evidence.store.probe import missing_database_message

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CHECK_HINT = "check --db / EVIDENCE_DATABASE_URL"
# What SQLite says of a file that is not (or no longer) a SQLite database.
NOT_A_DATABASE = ("file is not a database", "database disk image is malformed")


SQLITE_PAGE_SIZE = 16384
"""A new SQLite database's page size (SQLite's default is 4096)."""


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite gets foreign keys switched on); connects to nothing.

    JSON values are written as ``json.dumps`` writes them, faster (:mod:`.jsontext`).
    """
    parsed = parse_url(url)
    try:
        engine = create_engine(parsed, json_serializer=json_text)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"no driver for {parsed.drivername}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def parse_url(url: str) -> URL:
    """``url`` as a SQLAlchemy URL, or StoreError (without the password)."""
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}; {CHECK_HINT}") from exc


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other databases, in-memory and URI databases."""
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return None
    if url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def check_sqlite_file(path: Path, *, create: bool, make_folder: bool) -> None:
    """Refuse, before anything is opened, a database that is not there (unless ``create``).

    ``create``: the file may be created, in an existing folder; ``make_folder``: the folder
    too (only for the default location). Nothing is created on a refusal.
    """
    try:
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file; {CHECK_HINT}")
        if path.exists():
            return
        if not create:
            raise NoDatabaseError(missing_database_message(path))
        folder = path.parent
        if folder.is_dir():
            return
        if folder.exists():
            raise StoreError(f"cannot create the database {path}: {folder} is not a folder")
        if not make_folder:
            raise StoreError(
                f"cannot create the database {path}: no folder {folder} "
                f"(create it first, or {CHECK_HINT})"
            )
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot open the database {path}: {exc.strerror or exc}") from exc


HEAD_REVISION = probe.HEAD_REVISION  # the newest migration (a test compares it with Alembic's)
MIGRATION_LOCK = 7_310_425_301  # PostgreSQL advisory lock key held while migrating
WRITE_OPTION = "evidence_write"  # a session's execution option: its transaction will write


def _sqlite_begin(connection: Any) -> None:
    """Emit BEGIN ourselves, so DDL is transactional too (a failed migration rolls back).

    A transaction that will write starts with ``BEGIN IMMEDIATE``: it takes the write lock
    at once, waiting for it up to ``busy_timeout``. A deferred transaction that reads and
    then writes fails at once with "database is locked" when another process committed in
    between (WAL's stale snapshot, which no busy timeout waits out).
    """
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see
    # SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Before WAL, which writes a new database's first page: pages of 16 kB hold a mirror
    # record's XML (~5 kB) without overflow pages (its import: ~10% less CPU, ~8% less disk).
    # An existing database keeps its page size.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine | None = None) -> Any:
    """An Alembic config pointing at the packaged migrations, bound to ``engine`` if given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision`` (the newest by default), under the migration lock.

    Returns the revision the schema was at when the lock was taken (None: empty database).
    """
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config(engine)
    try:
        command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise open_error(engine.url, exc) from exc
    except CommandError as exc:  # e.g. a revision this version does not know
        name = display_name(engine.url)
        raise StoreError(
            f"cannot migrate the database {name}: {describe(exc)} "
            "(written by a newer version of evidence?)"
        ) from exc
    found: str | None = config.attributes.get("from_revision")
    return found


def known_revisions() -> set[str]:
    """Every migration this version of evidence has (loads Alembic: call it off the fast path)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return {script.revision for script in scripts.walk_revisions()}


def schema_mismatch(url: URL, current: str) -> SchemaVersionError:
    """The one-line refusal of a database whose schema is not at this version's head."""
    name = display_name(url)
    if current in known_revisions():
        return SchemaVersionError(
            f"the database {name} is at migration {current}, older than this version's "
            f"{HEAD_REVISION}: run `evidence db upgrade` (nothing was changed)"
        )
    return SchemaVersionError(
        f"the database {name} is at migration {current}, newer than this version of "
        f"evidence knows (its newest is {HEAD_REVISION}): upgrade evidence (nothing was changed)"
    )


def open_error(url: URL, exc: SQLAlchemyError) -> StoreError:
    """A one-line error naming the database (password hidden), why, and what to check."""
    reason = describe(exc, url.password)
    path = sqlite_file(url)
    if path is None:
        name = display_name(url)
        says = "PostgreSQL" if url.get_backend_name() == "postgresql" else url.get_backend_name()
        return StoreError(f"cannot open the database {name} ({says} says: {reason}); {CHECK_HINT}")
    if reason in NOT_A_DATABASE:
        return StoreError(
            f"{path} is not an evidence database (SQLite says: {reason}); {CHECK_HINT}"
        )
    problem = _file_problem(path)
    return StoreError(f"cannot open the database {path} (SQLite says: {reason}){problem}")


def display_name(url: URL) -> str:
    """How messages name a database: a SQLite file by its path, others by URL, no password."""
    path = sqlite_file(url)
    return str(path) if path is not None else url.render_as_string(hide_password=True)


def _file_problem(path: Path) -> str:
    """Why SQLite may be refusing ``path``, as the OS says it: the file or its folder.

    SQLite only says "unable to open database file"; opening the file for writing and a
    temporary file beside it (as its journal needs) gives the OS's reason, changing nothing.
    """
    try:
        if path.exists():
            with path.open("r+b"):
                pass
    except OSError as exc:
        return f"; the file refuses writes: {exc.strerror or exc}"
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        return f"; the folder {path.parent} refuses new files: {exc.strerror or exc}"
    return ""


def describe(exc: BaseException, *secrets: str | None) -> str:
    """The cause of ``exc`` on one line: the driver's message, without SQL or secrets."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    else:
        text = str(exc).split("\n(Background on this error", 1)[0]
    text = " ".join(text.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text or exc.__class__.__name__


def stored_revision(connection: Connection) -> str | None:
    """The schema's revision as stored in ``alembic_version`` (None: no schema yet)."""
    try:
        with connection.begin_nested() if connection.in_transaction() else connection.begin():
            row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError:
        return None
    return str(row[0]) if row else None


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(engine: Engine) -> list[str]:
    """The tables present (for checks and tests)."""
    return sorted(inspect(engine).get_table_names())


def _check_schema(engine: Engine, current: str | None) -> None:
    """Create a new database's schema; refuse one at another migration than head."""
    if current is None:
        upgrade(engine)  # Alembic only then: it is slow to load
    elif current != HEAD_REVISION:
        raise schema_mismatch(engine.url, current)


class Database:
    """An engine plus a session factory, its schema checked on open.

    ``create=False`` opens only a SQLite file that exists (read-only commands never leave a
    new database behind); ``create=True`` may create the file in an existing folder, and
    ``make_folder=True`` the folder too. In-memory and server databases are not checked.
    ``migrate=True``: a new, empty database gets the schema at head; one at any other
    migration is refused (:class:`SchemaVersionError`), never upgraded silently.
    ``migrate=False`` opens whatever is there (``evidence db upgrade``, ``info``, ``backup``).
    """

    def __init__(
        self, url: str, *, create: bool = True, make_folder: bool = False, migrate: bool = True
    ) -> None:
        self.url = url
        parsed = parse_url(url)
        path = sqlite_file(parsed)
        if path is not None:
            check_sqlite_file(path, create=create, make_folder=make_folder)
        self.engine = create_db_engine(url)
        try:
            with self.engine.connect() as connection:  # SQLite's PRAGMAs, the server's login
                current = stored_revision(connection)
            if migrate:
                _check_schema(self.engine, current)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise open_error(parsed, exc) from exc
        except StoreError:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error.

        ``write=True`` for a transaction that writes (SQLite takes the write lock when it
        begins, see :func:`_sqlite_begin`); keep such transactions short, never across a
        network call: other processes (reviewers) wait for them.
        """
        session = self._sessions()
        try:
            if write:
                session.connection(execution_options={WRITE_OPTION: True})
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            _rollback(session)
            reason = describe(exc, self.engine.url.password)
            name = display_name(self.engine.url)
            raise StoreError(
                f"database error in {name}: {exc.__class__.__name__}: {reason}"
            ) from exc
        except BaseException:
            _rollback(session)
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _rollback(session: Session) -> None:
    """Roll back, keeping the first error (a lost connection fails the rollback too)."""
    with suppress(SQLAlchemyError):
        session.rollback()
