"""What earlier refreshes found: per claim and refresh, the PMIDs its searches retrieved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc
from evidence.store.bulk import chunks
from evidence.store.models import (
    Article,
    Claim,
    ClaimArticle,
    Query,
    RecordChange,
    RefreshRun,
    SearchRun,
    SearchRunPmid,
)


@dataclass(frozen=True)
class ClaimHistory:
    """The raw material of "what changed": found sets, refresh end times, record times."""

    claims: list[tuple[int, str]]  # active claims (row id, key), in file order
    found: dict[int, dict[int, set[str]]]  # claim id -> refresh id -> PMIDs retrieved
    finished: dict[int, datetime | None]  # refresh id -> when it finished
    stored_at: dict[str, datetime]  # pmid -> when the record was last stored
    record_changes: dict[int, list[RecordChangeInfo]] = field(default_factory=dict)  # by claim


@dataclass(frozen=True)
class RecordChangeInfo:
    """A change of a record linked to a claim (field, before, after, who said so, when)."""

    pmid: str
    field: str
    before: Any
    after: Any
    source: str
    detected_at: datetime


def claim_history(session: Session, claim_set_id: int) -> ClaimHistory:
    """Everything needed to compare each claim's refreshes, in four queries (the claims come
    with their studies' recorded changes)."""
    claims, changes = claims_and_changes(session, claim_set_id)
    found = _found(session, claim_set_id)
    runs = select(RefreshRun.id, RefreshRun.finished_at).where(
        RefreshRun.claim_set_id == claim_set_id
    )
    finished = {run_id: ended for run_id, ended in session.execute(runs)}
    pmids = {p for by in found.values() for s in by.values() for p in s}
    return ClaimHistory(
        claims=claims,
        found=found,
        finished=finished,
        stored_at=_stored_at(session, pmids),
        record_changes=changes,
    )


def claims_and_changes(
    session: Session, claim_set_id: int
) -> tuple[list[tuple[int, str]], dict[int, list[RecordChangeInfo]]]:
    """The active claims in file order, and claim id -> its active studies' recorded
    changes, oldest first (one statement: claims outer-joined to link-and-change pairs)."""
    changed_links = ClaimArticle.__table__.join(
        RecordChange.__table__, RecordChange.pmid == ClaimArticle.pmid
    )
    rows = session.execute(
        select(Claim.id, Claim.key, RecordChange)
        .select_from(Claim)
        .outerjoin(
            changed_links,
            (ClaimArticle.claim_id == Claim.id) & ClaimArticle.active.is_(True),
        )
        .where(Claim.claim_set_id == claim_set_id, Claim.active.is_(True))
        .order_by(Claim.position, Claim.id, RecordChange.detected_at, RecordChange.id)
    )
    claims: dict[int, str] = {}
    found: dict[int, list[RecordChangeInfo]] = defaultdict(list)
    for claim_id, key, change in rows:
        claims[claim_id] = key
        if change is None:
            continue
        found[claim_id].append(
            RecordChangeInfo(
                change.pmid,
                change.field,
                change.before,
                change.after,
                change.source,
                as_utc(change.detected_at),
            )
        )
    return list(claims.items()), found


def _stored_at(session: Session, pmids: set[str]) -> dict[str, datetime]:
    """When each record was last stored."""
    found: dict[str, datetime] = {}
    for batch in chunks(sorted(pmids)):
        rows = session.execute(
            select(Article.pmid, Article.updated_at).where(Article.pmid.in_(batch))
        )
        found.update({pmid: when for pmid, when in rows})
    return found


def _found(session: Session, claim_set_id: int) -> dict[int, dict[int, set[str]]]:
    """claim id -> refresh id -> PMIDs retrieved by the claim's successful runs."""
    rows = session.execute(
        select(Query.claim_id, SearchRun.refresh_run_id, SearchRunPmid.pmid)
        .join(SearchRun, SearchRun.query_id == Query.id)
        .join(SearchRunPmid, SearchRunPmid.search_run_id == SearchRun.id, isouter=True)
        .join(Claim, Claim.id == Query.claim_id)
        .where(Claim.claim_set_id == claim_set_id, SearchRun.status != "failed")
    )
    sets: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for claim_id, refresh_id, pmid in rows:
        found = sets[claim_id][refresh_id]
        if pmid is not None:
            found.add(pmid)
    return sets


@dataclass(frozen=True)
class RunRow:
    """One refresh run with the sums of its search runs."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None
    source_kind: str
    source_location: str
    source_snapshot: str | None
    claims: tuple[str, ...]  # the claim ids it was asked to run
    queries: int
    failed_queries: int
    requests: int
    retrieved: int
    new: int
    stored: int


def refresh_runs(session: Session, claim_set_id: int) -> list[RunRow]:
    """Every refresh run of the claim set, oldest first, with their searches summed (two
    statements)."""
    sums = {
        row.refresh_run_id: row
        for row in session.execute(
            select(
                SearchRun.refresh_run_id,
                func.count().label("queries"),
                func.sum(case((SearchRun.status == "failed", 1), else_=0)).label("failed"),
                func.coalesce(func.sum(SearchRun.requests), 0).label("requests"),
                func.coalesce(func.sum(SearchRun.retrieved), 0).label("retrieved"),
                func.coalesce(func.sum(SearchRun.new_pmids), 0).label("new"),
                func.coalesce(func.sum(SearchRun.stored), 0).label("stored"),
            )
            .join(RefreshRun, RefreshRun.id == SearchRun.refresh_run_id)
            .where(RefreshRun.claim_set_id == claim_set_id)
            .group_by(SearchRun.refresh_run_id)
        )
    }
    runs = session.scalars(
        select(RefreshRun).where(RefreshRun.claim_set_id == claim_set_id).order_by(RefreshRun.id)
    )
    return [_run_row(run, sums.get(run.id)) for run in runs]


def _run_row(run: RefreshRun, sums: Any) -> RunRow:
    return RunRow(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        error=run.error,
        source_kind=run.source_kind,
        source_location=run.source_location,
        source_snapshot=run.source_snapshot,
        claims=tuple((run.options or {}).get("claims", ())),
        queries=int(sums.queries) if sums else 0,
        failed_queries=int(sums.failed or 0) if sums else 0,
        requests=int(sums.requests) if sums else 0,
        retrieved=int(sums.retrieved) if sums else 0,
        new=int(sums.new) if sums else 0,
        stored=int(sums.stored) if sums else 0,
    )
