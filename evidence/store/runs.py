"""Refresh runs and search runs: what was searched, when, and what the source answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from evidence.domain.audit import utcnow
from evidence.domain.vocab import RUN_INTERRUPTED, RUN_RUNNING
from evidence.store import bulk
from evidence.store.models import RefreshRun, SearchRun, SearchRunPmid

BATCH_ROWS = bulk.BATCH_ROWS  # search-run PMID rows written at a time


@dataclass(frozen=True)
class NewRefreshRun:
    """What a refresh run records when it starts."""

    claim_set_id: int
    tool_version: str
    claims_file: str
    claims_sha256: str
    source_kind: str
    source_location: str
    source_snapshot: str | None
    options: Mapping[str, Any]
    host: str | None = None
    pid: int | None = None


@dataclass(frozen=True)
class SearchRecord:
    """One search of one query, as the audit trail keeps it."""

    query_id: int
    term: str
    started_at: datetime
    status: str
    params: Mapping[str, str] = field(default_factory=dict)
    count: int | None = None
    retrieved: int = 0
    new_pmids: int = 0
    stored: int = 0
    query_translation: str | None = None
    warnings: Sequence[str] = ()
    errors: Sequence[str] = ()
    requests: int = 0
    retries: Sequence[str] = ()
    unresolved: Mapping[str, str] = field(default_factory=dict)
    pmid_set_sha256: str | None = None
    slices: Sequence[Mapping[str, int]] = ()
    message: str | None = None
    pmids: Sequence[str] = ()  # in rank order


def start_refresh(session: Session, new: NewRefreshRun) -> int:
    """Insert a ``running`` refresh run; its id."""
    now = utcnow()
    run = RefreshRun(
        claim_set_id=new.claim_set_id,
        started_at=now,
        status=RUN_RUNNING,
        tool_version=new.tool_version,
        claims_file=new.claims_file,
        claims_sha256=new.claims_sha256,
        source_kind=new.source_kind,
        source_location=new.source_location,
        source_snapshot=new.source_snapshot,
        options=dict(new.options),
        host=new.host,
        pid=new.pid,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run.id


def add_search(session: Session, refresh_id: int, record: SearchRecord) -> int:
    """Insert a search run and the PMIDs it retrieved (with their rank); its id."""
    run = SearchRun(
        refresh_run_id=refresh_id,
        query_id=record.query_id,
        term=record.term,
        params=dict(record.params),
        started_at=record.started_at,
        finished_at=utcnow(),
        status=record.status,
        count=record.count,
        retrieved=record.retrieved,
        new_pmids=record.new_pmids,
        stored=record.stored,
        query_translation=record.query_translation,
        warnings=list(record.warnings),
        errors=list(record.errors),
        requests=record.requests,
        retries=list(record.retries),
        unresolved=dict(record.unresolved),
        pmid_set_sha256=record.pmid_set_sha256,
        slices=[dict(s) for s in record.slices],
        message=record.message,
    )
    session.add(run)
    session.flush()
    add_search_pmids(session, run.id, record.pmids)
    return run.id


def add_search_pmids(session: Session, search_run_id: int, pmids: Sequence[str]) -> None:
    """Record which PMIDs a search run retrieved, with their rank (a page of rows at a time:
    memory is bounded by the page, not by the search)."""
    table = cast(Table, SearchRunPmid.__table__)
    for start in range(0, len(pmids), BATCH_ROWS):
        page = pmids[start : start + BATCH_ROWS]
        rows = [(search_run_id, p, start + i) for i, p in enumerate(page)]
        bulk.insert_tuples(session, table, ("search_run_id", "pmid", "position"), rows)


def finish_refresh(session: Session, refresh_id: int, status: str, error: str | None) -> None:
    """Set a refresh run's final status, error and end time."""
    run = session.get(RefreshRun, refresh_id)
    if run is not None:
        run.status, run.error, run.finished_at = status, error, utcnow()


def beat(session: Session, refresh_id: int) -> None:
    """Refresh a running refresh run's heartbeat (one small UPDATE)."""
    session.execute(
        update(RefreshRun).where(RefreshRun.id == refresh_id).values(heartbeat_at=utcnow())
    )


@dataclass(frozen=True)
class RunningRun:
    """A refresh run still marked ``running``: who ran it and its last sign of life."""

    id: int
    host: str | None
    pid: int | None
    started_at: datetime
    heartbeat_at: datetime | None

    @property
    def last_seen(self) -> datetime:
        """The heartbeat, or the start for runs recorded before heartbeats existed (UTC)."""
        seen = self.heartbeat_at or self.started_at
        return seen if seen.tzinfo is not None else seen.replace(tzinfo=UTC)


def running_runs(session: Session) -> list[RunningRun]:
    """Every refresh run whose status is still ``running``, oldest first."""
    rows = session.execute(
        select(
            RefreshRun.id,
            RefreshRun.host,
            RefreshRun.pid,
            RefreshRun.started_at,
            RefreshRun.heartbeat_at,
        )
        .where(RefreshRun.status == RUN_RUNNING)
        .order_by(RefreshRun.id)
    )
    return [RunningRun(*row) for row in rows]


def mark_interrupted(session: Session, refresh_id: int, message: str) -> bool:
    """Mark a ``running`` refresh run interrupted with ``message``; False if it was not running."""
    result = session.execute(
        update(RefreshRun)
        .where(RefreshRun.id == refresh_id, RefreshRun.status == RUN_RUNNING)
        .values(status=RUN_INTERRUPTED, error=message, finished_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))
