"""Find refresh runs whose process died (kill -9, power cut) and mark them interrupted.

Called by a refresh once it holds the refresh lock. A run still marked ``running`` is dead
when it ran on this host and its process is gone (or is this very process: a reused pid),
or when its heartbeat is older than ``STALE_AFTER`` (another host, or a run recorded before
heartbeats existed). What a dead run committed is kept: every step of a refresh is its own
transaction, and the refresh that finds it re-runs every query, so it finishes the work.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from evidence.domain.audit import utcnow
from evidence.store import runs
from evidence.store.db import Database
from evidence.store.lock import Holder, process_alive

log = logging.getLogger("evidence.refresh")

# Longer than any legitimate silence between two heartbeats: one request may spend up to
# ~10 minutes failing, waiting and retrying before the client gives up.
STALE_AFTER = timedelta(minutes=15)


def recover_dead_runs(
    db: Database, me: Holder, *, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Mark the dead ``running`` refresh runs interrupted; their ids."""
    now = utcnow()
    with db.session() as session:
        running = runs.running_runs(session)
    marked: list[int] = []
    for run in running:
        why = _dead(run, me, now, stale_after)
        if why is None:
            log.warning(
                "refresh %d (pid %s on %s) is marked running and was alive %s ago; left as it is",
                run.id,
                run.pid,
                run.host,
                _ago(now, run.last_seen),
            )
            continue
        message = (
            f"interrupted: {why}; found by the refresh of pid {me.pid} on {me.host}."
            " What it stored is kept; that refresh re-ran every query"
        )
        with db.session(write=True) as session:
            if runs.mark_interrupted(session, run.id, message):
                marked.append(run.id)
                log.warning(
                    "refresh %d had stopped without finishing (%s): marked interrupted", run.id, why
                )
    return marked


def _dead(run: runs.RunningRun, me: Holder, now: datetime, stale_after: timedelta) -> str | None:
    """Why ``run`` is dead, or None when it may still be running."""
    same_host = run.host == me.host and run.pid is not None
    if same_host and (run.pid == os.getpid() or not process_alive(run.pid or 0)):
        return f"its process (pid {run.pid} on {run.host}) is gone"
    if now - run.last_seen > stale_after:
        where = f"pid {run.pid} on {run.host}" if run.host else "a version without heartbeats"
        return f"no heartbeat from {where} for {_ago(now, run.last_seen)}"
    return None


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
