"""One refresh at a time per database: a lock that dies with the process holding it.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection for the whole refresh. The server drops it when that session ends, however
  the process ended; the holder is named through the session's ``application_name``.
- SQLite file: an exclusive ``flock`` on ``<database>.refresh.lock`` beside the database,
  which the kernel releases when the process dies; the holder's host, pid and start time
  are written into it. The file is never deleted (deleting a lock file races with the
  next locker).
- In-memory SQLite: only this process can see the database; nothing to lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from evidence.domain.audit import utcnow
from evidence.domain.errors import RefreshLockedError, StoreError
from evidence.store.db import Database, describe, display_name, sqlite_file

LOCK_SUFFIX = ".refresh.lock"
# One advisory lock key for "the refresh of this database" (advisory locks are per database).
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"evidence refresh").digest()[:8], "big", signed=True)
APP_NAME_PREFIX = "evidence refresh"
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Holder:
    """Who holds (or asks for) the lock."""

    host: str
    pid: int
    started_at: datetime

    @classmethod
    def me(cls) -> Holder:
        """This process, now."""
        return cls(this_host(), os.getpid(), utcnow().replace(microsecond=0))

    def describe(self) -> str:
        """``pid 123 on host, started 2026-12-01 09:00:00 UTC``."""
        started = self.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"pid {self.pid} on {self.host}, started {started}"


def this_host() -> str:
    """This machine's name, as refresh runs and locks record it."""
    return socket.gethostname() or "localhost"


def process_alive(pid: int) -> bool:
    """True if a process ``pid`` exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc (not Linux): kill(0) said it exists
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


class _Lock(Protocol):
    def try_acquire(self, me: Holder) -> Holder | None:
        """Take the lock (None), or say who holds it."""
        ...

    def release(self) -> None:
        """Let go (also when never taken)."""
        ...


@contextmanager
def refresh_lock(
    db: Database,
    *,
    wait: float | None = 0.0,
    on_wait: Callable[[Holder], None] | None = None,
) -> Iterator[Holder]:
    """Hold the database's refresh lock for the ``with`` block; yields this holder.

    ``wait``: 0 fails at once with RefreshLockedError naming the holder; None waits as long
    as it takes; a number of seconds waits that long at most. ``on_wait`` is told once who
    is being waited for.
    """
    lock = _lock_for(db)
    me = Holder.me()
    try:
        _acquire(lock, me, wait, on_wait)
        yield me
    finally:
        lock.release()


def _acquire(
    lock: _Lock, me: Holder, wait: float | None, on_wait: Callable[[Holder], None] | None
) -> None:
    give_up = None if wait is None else time.monotonic() + wait
    told = False
    while (holder := lock.try_acquire(me)) is not None:
        if give_up is not None and time.monotonic() >= give_up:
            waited = f" (still running after waiting {wait:g} s)" if wait else ""
            raise RefreshLockedError(
                f"another refresh is running on this database: {holder.describe()}{waited};"
                " try again later, or use --wait"
            )
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        pause = POLL_SECONDS if give_up is None else min(POLL_SECONDS, give_up - time.monotonic())
        time.sleep(max(pause, 0.0))


def _lock_for(db: Database) -> _Lock:
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        return _AdvisoryLock(db.engine)
    path = sqlite_file(url)
    if path is not None:
        return _FileLock(path.with_name(path.name + LOCK_SUFFIX))
    return _NoLock()


class _NoLock:
    def try_acquire(self, me: Holder) -> Holder | None:
        return None

    def release(self) -> None:
        return None


class _FileLock:
    """``flock`` on a file beside the database; its content names the holder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self, me: Holder) -> Holder | None:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the refresh lock {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            return holder
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {self.path}: {exc.strerror}") from exc
        data = json.dumps(
            {"host": me.host, "pid": me.pid, "started_at": me.started_at.isoformat()}
        ).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data + b"\n", 0)
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is not None:
            with suppress(OSError):
                os.ftruncate(self._fd, 0)  # no stale holder for the next reader
            os.close(self._fd)  # releases the flock
            self._fd = None


def _read_holder(fd: int) -> Holder:
    """The holder written in the lock file (retried briefly: it may be writing it now)."""
    for _ in range(5):
        try:
            data = json.loads(os.pread(fd, 4096, 0) or b"null")
            return Holder(
                str(data["host"]), int(data["pid"]), datetime.fromisoformat(data["started_at"])
            )
        except (OSError, ValueError, TypeError, KeyError):
            time.sleep(0.02)
    return Holder("an unknown host", 0, utcnow())


class _AdvisoryLock:
    """A session-level advisory lock on a connection of its own (never back in the pool)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._held = False

    def try_acquire(self, me: Holder) -> Holder | None:
        try:
            conn = self._connection(me)
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar():
                self._held = True
                return None
            return _advisory_holder(conn)
        except SQLAlchemyError as exc:
            self.release()
            name = display_name(self.engine.url)
            raise StoreError(
                f"cannot take the refresh lock on {name}: {describe(exc, self.engine.url.password)}"
            ) from exc

    def _connection(self, me: Holder) -> Connection:
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
            name = f"{APP_NAME_PREFIX}|{me.pid}|{int(me.started_at.timestamp())}|{me.host}"
            conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name})
        return self._conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with suppress(SQLAlchemyError):
            if self._held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        self._held = False
        with suppress(SQLAlchemyError):
            conn.invalidate()  # closed for good: no pooled connection keeps our session state
            conn.close()


def _advisory_holder(conn: Connection) -> Holder:
    """Who holds the advisory lock: from its session's application_name, else the backend."""
    row = conn.execute(
        text(
            "SELECT a.application_name, a.pid, a.backend_start, host(a.client_addr)"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid::bigint = :hi AND l.objid::bigint = :lo"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"hi": (ADVISORY_KEY >> 32) & 0xFFFFFFFF, "lo": ADVISORY_KEY & 0xFFFFFFFF},
    ).first()
    if row is None:  # released in between
        return Holder("an unknown host", 0, utcnow())
    app_name, backend_pid, backend_start, client = row
    parts = (app_name or "").split("|", 3)
    if len(parts) == 4 and parts[0] == APP_NAME_PREFIX:
        with suppress(ValueError):
            return Holder(parts[3], int(parts[1]), datetime.fromtimestamp(int(parts[2]), UTC))
    return Holder(f"{client or 'the server'} (PostgreSQL backend)", backend_pid, backend_start)
