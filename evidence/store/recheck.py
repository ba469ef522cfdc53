"""Re-checks of linked records: which records to ask about, what changed, and the audit row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, select, update
from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, utcnow
from evidence.store import bulk
from evidence.store.bulk import chunks
from evidence.store.found import pages
from evidence.store.models import Article, Claim, ClaimArticle, Recheck, RecordChange, RefreshRun


@dataclass(frozen=True)
class StoredRecord:
    """A stored record as a re-check compares it: raw XML, hash and flags."""

    pmid: str
    raw_xml: bytes
    record_sha256: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ChangeRow:
    """One field of one record that changed."""

    pmid: str
    field: str
    before: Any
    after: Any
    source: str


@dataclass(frozen=True)
class DueRecords:
    """The claim set's linked records last known current before a moment: how many, and
    the oldest of those moments (None when there are none)."""

    count: int
    oldest: datetime | None


def _linked(claim_set_id: int) -> Select[str]:
    """The PMIDs of the claim set's active links (of active claims), each once."""
    return (
        select(ClaimArticle.pmid)
        .join(Claim, Claim.id == ClaimArticle.claim_id)
        .where(
            Claim.claim_set_id == claim_set_id,
            Claim.active.is_(True),
            ClaimArticle.active.is_(True),
        )
        .distinct()
    )


def _current() -> ColumnElement[datetime]:
    """When a record was last known current: its last check, else when it was stored."""
    return func.coalesce(Article.checked_at, Article.updated_at)


def linked_count(session: Session, claim_set_id: int) -> int:
    """How many records the claim set's active links point to."""
    return session.scalar(select(func.count()).select_from(_linked(claim_set_id).subquery())) or 0


def due_records(session: Session, claim_set_id: int, before: datetime) -> DueRecords:
    """The linked records last known current before ``before``: how many, the oldest time."""
    linked = _linked(claim_set_id).subquery()
    count, oldest = session.execute(
        select(func.count(), func.min(_current()))
        .join(linked, linked.c.pmid == Article.pmid)
        .where(_current() < before)
    ).one()
    return DueRecords(int(count or 0), as_utc(oldest) if oldest is not None else None)


def linked_pmids(
    session: Session, claim_set_id: int, before: datetime | None = None
) -> Iterator[list[str]]:
    """Pages of the claim set's linked PMIDs (those last known current before ``before``,
    when given), in the database's PMID order."""
    linked = _linked(claim_set_id).subquery()
    stmt = select(Article.pmid).join(linked, linked.c.pmid == Article.pmid)
    if before is not None:
        stmt = stmt.where(_current() < before)
    return pages(session, stmt, Article.pmid)


def refresh_started(session: Session, refresh_id: int) -> datetime:
    """When the refresh run started."""
    started = session.scalar(select(RefreshRun.started_at).where(RefreshRun.id == refresh_id))
    return as_utc(started) if started else utcnow()


def stored_records(session: Session, pmids: Iterable[str]) -> dict[str, StoredRecord]:
    """The stored records of ``pmids`` (raw XML, hash, flags)."""
    found: dict[str, StoredRecord] = {}
    for batch in chunks(pmids):
        rows = session.execute(
            select(Article.pmid, Article.raw_xml, Article.record_sha256, Article.flags).where(
                Article.pmid.in_(batch)
            )
        )
        for pmid, raw, sha, flags in rows:
            found[pmid] = StoredRecord(pmid, raw, sha, tuple(flags or ()))
    return found


def mark_checked(session: Session, claim_set_id: int, when: datetime) -> None:
    """The claim set's linked records are known current as of ``when`` (the next re-check
    starts there); one statement."""
    session.execute(
        update(Article)
        .where(Article.pmid.in_(_linked(claim_set_id)))
        .values(checked_at=when)
        .execution_options(synchronize_session=False)
    )


CHANGE_COLUMNS = ("refresh_run_id", "pmid", "field", "before", "after", "source", "detected_at")


def add_changes(
    session: Session, refresh_id: int | None, changes: Sequence[ChangeRow], when: datetime
) -> None:
    """Record what changed, in which refresh run (None: outside a refresh)."""
    rows = [(refresh_id, c.pmid, c.field, c.before, c.after, c.source, when) for c in changes]
    table = cast(Table, RecordChange.__table__)
    bulk.insert_tuples(session, table, CHANGE_COLUMNS, rows)


def start_recheck(session: Session, refresh_id: int, mode: str) -> int:
    """Insert a ``running`` re-check of the refresh run; its id."""
    row = Recheck(refresh_run_id=refresh_id, started_at=utcnow(), status="running", mode=mode)
    session.add(row)
    session.flush()
    return row.id


def finish_recheck(session: Session, recheck_id: int, values: Mapping[str, Any]) -> None:
    """Set the re-check's outcome (status, since, until, method, counts, message)."""
    row = session.get(Recheck, recheck_id)
    if row is not None:
        for name, value in values.items():
            setattr(row, name, value)
        row.finished_at = utcnow()


def last_recheck(session: Session, claim_set_id: int) -> datetime | None:
    """When the claim set's last successful re-check started, or None."""
    started = session.scalar(
        select(Recheck.started_at)
        .join(RefreshRun, RefreshRun.id == Recheck.refresh_run_id)
        .where(RefreshRun.claim_set_id == claim_set_id, Recheck.status == "ok")
        .order_by(Recheck.started_at.desc())
        .limit(1)
    )
    return as_utc(started) if started else None
