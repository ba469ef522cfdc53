"""The refresh pipeline: claims -> esearch -> efetch of what is new -> store -> link.

Each query's records are committed as they arrive, so a crash loses at most one batch;
a record is either stored whole or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence import __version__, grading
from evidence.domain.claims import ClaimsFile, ClaimSpec, QuerySpec
from evidence.domain.errors import ParseError, PubMedError, UnknownClaimError
from evidence.services.annotate import annotate_links
from evidence.services.changes import ClaimChanges, claim_changes
from evidence.services.fetch import FetchOutcome, fetch_and_store
from evidence.sources.eutils.client import EutilsClient, SearchResult
from evidence.sources.eutils.slicing import describe_shortfall
from evidence.store import writes
from evidence.store.db import Database
from evidence.store.models import Query, RefreshRun, SearchRun

log = logging.getLogger("evidence.services.refresh")


@dataclass
class QuerySummary:
    """What one query's search and fetch did."""

    claim: str
    label: str
    term: str
    status: str = "ok"
    count: int | None = None
    retrieved: int = 0
    new: int = 0
    stored: int = 0
    unresolved: dict[str, str] = field(default_factory=dict)
    message: str | None = None


@dataclass
class RefreshSummary:
    """What a refresh did, per query; ``status`` is ok, incomplete or failed."""

    refresh_id: int
    article: str
    status: str = "ok"
    queries: list[QuerySummary] = field(default_factory=list)
    changes: list[ClaimChanges] = field(default_factory=list)  # vs the claim's previous refresh

    @property
    def totals(self) -> dict[str, int]:
        """Sums over all queries."""
        return {
            "queries": len(self.queries),
            "retrieved": sum(q.retrieved for q in self.queries),
            "new": sum(q.new for q in self.queries),
            "stored": sum(q.stored for q in self.queries),
            "unresolved": sum(len(q.unresolved) for q in self.queries),
        }


Progress = Callable[[QuerySummary], None]


def refresh(
    db: Database,
    client: EutilsClient,
    claims_file: ClaimsFile,
    *,
    claim_ids: Sequence[str] = (),
    progress: Progress | None = None,
) -> RefreshSummary:
    """Run every query of the selected claims, fetch and store new records, link studies."""
    specs = _selected(claims_file, claim_ids)
    with db.session() as session:
        claim_set = writes.sync_claims(session, claims_file)
        run = RefreshRun(
            claim_set_id=claim_set.id,
            started_at=writes.utcnow(),
            status="running",
            tool_version=__version__,
            claims_file=str(claims_file.path),
            claims_sha256=claims_file.sha256,
            eutils_url=client.settings.base_url,
            options={"claims": [c.id for c in specs], "tool": client.settings.tool},
        )
        session.add(run)
        session.flush()
        summary = RefreshSummary(refresh_id=run.id, article=claims_file.slug)
    try:
        for spec in specs:
            _refresh_claim(db, client, summary, spec, progress)
    except BaseException as exc:
        _finish(db, summary, "failed", error=str(exc) or exc.__class__.__name__)
        raise
    with db.session() as session:
        regraded = writes.regrade_stale(session)
        refreshed = {c.id for c in specs}
        claim_set_id = session.scalars(
            select(RefreshRun.claim_set_id).where(RefreshRun.id == summary.refresh_id)
        ).one()
        summary.changes = [c for c in claim_changes(session, claim_set_id) if c.claim in refreshed]
    if regraded:
        log.info("graded %d stored record(s) with rules %s", regraded, grading.RULES_VERSION)
    statuses = {q.status for q in summary.queries}
    status = (
        "failed" if "failed" in statuses else "incomplete" if "incomplete" in statuses else "ok"
    )
    _finish(db, summary, status)
    return summary


def _selected(claims_file: ClaimsFile, claim_ids: Sequence[str]) -> list[ClaimSpec]:
    if not claim_ids:
        return list(claims_file.claims)
    known = {c.id for c in claims_file.claims}
    for claim_id in claim_ids:
        if claim_id not in known:
            raise UnknownClaimError(
                f"unknown claim {claim_id!r} (known: {', '.join(sorted(known))})"
            )
    return [c for c in claims_file.claims if c.id in set(claim_ids)]


def _refresh_claim(
    db: Database,
    client: EutilsClient,
    summary: RefreshSummary,
    spec: ClaimSpec,
    progress: Progress | None,
) -> None:
    found: set[str] = set()
    complete = True
    for query_spec in spec.queries:
        result = _run_query(db, client, summary.refresh_id, spec, query_spec)
        summary.queries.append(result.summary)
        if progress:
            progress(result.summary)
        found.update(result.pmids)
        complete = complete and result.summary.status != "failed"
    if not complete:
        log.warning("claim %s: a query failed; its study links were left as they were", spec.id)
        return
    with db.session() as session:
        claim = writes.claim_by_key(session, summary.article, spec.id)
        writes.link_claim(session, claim, summary.refresh_id, found)
        session.flush()
        annotate_links(session, claim, [q.term for q in spec.queries])


@dataclass
class _QueryResult:
    summary: QuerySummary
    pmids: tuple[str, ...] = ()


def _run_query(
    db: Database, client: EutilsClient, refresh_id: int, claim: ClaimSpec, spec: QuerySpec
) -> _QueryResult:
    summary = QuerySummary(claim=claim.id, label=spec.label, term=spec.full_term)
    started = writes.utcnow()
    try:
        result = client.esearch(
            spec.full_term, mindate=spec.mindate, maxdate=spec.maxdate, datetype=spec.datetype
        )
        outcome = fetch_and_store(db, client, result.pmids)
    except (PubMedError, ParseError) as exc:
        summary.status, summary.message = "failed", str(exc)
        _record_failure(db, refresh_id, claim.id, spec, summary, started)
        log.error("claim %s, query %r: %s", claim.id, spec.label, exc)
        return _QueryResult(summary)
    _fill_summary(summary, result, outcome)
    _record_search(db, refresh_id, claim.id, spec, summary, result, outcome, started)
    return _QueryResult(summary, result.pmids)


def _fill_summary(summary: QuerySummary, result: SearchResult, outcome: FetchOutcome) -> None:
    summary.count = result.count
    summary.retrieved = len(result.pmids)
    summary.new = len(outcome.requested)
    summary.stored = outcome.stored
    summary.unresolved = dict(outcome.unresolved)
    if not result.complete:
        summary.status = "incomplete"
        summary.message = (
            f"PubMed counts {result.count} but {len(result.pmids)} were retrieved;"
            f" short slices: {describe_shortfall(result.shortfall)}"
        )
    elif outcome.unresolved:
        summary.status = "incomplete"
        summary.message = f"{len(outcome.unresolved)} record(s) could not be fetched"


def _record_search(
    db: Database,
    refresh_id: int,
    claim_id: str,
    spec: QuerySpec,
    summary: QuerySummary,
    result: SearchResult,
    outcome: FetchOutcome,
    started: datetime,
) -> None:
    with db.session() as session:
        query = _query_row(session, refresh_id, claim_id, spec.label)
        run = SearchRun(
            refresh_run_id=refresh_id,
            query_id=query.id,
            term=result.term,
            params=dict(result.params),
            started_at=started,
            finished_at=writes.utcnow(),
            status=summary.status,
            count=result.count,
            retrieved=summary.retrieved,
            new_pmids=summary.new,
            stored=summary.stored,
            query_translation=result.query_translation,
            warnings=list(result.warnings),
            errors=list(result.errors),
            requests=result.requests + outcome.requests,
            retries=list(result.retries) + list(outcome.retries),
            unresolved=dict(outcome.unresolved),
            pmid_set_sha256=writes.pmid_set_sha256(result.pmids),
            slices=[s.to_json() for s in result.slices],
            message=summary.message,
        )
        session.add(run)
        session.flush()
        writes.add_search_pmids(session, run, result.pmids)


def _record_failure(
    db: Database,
    refresh_id: int,
    claim_id: str,
    spec: QuerySpec,
    summary: QuerySummary,
    started: datetime,
) -> None:
    with db.session() as session:
        query = _query_row(session, refresh_id, claim_id, spec.label)
        session.add(
            SearchRun(
                refresh_run_id=refresh_id,
                query_id=query.id,
                term=spec.full_term,
                params={},
                started_at=started,
                finished_at=writes.utcnow(),
                status="failed",
                message=summary.message,
            )
        )


def _query_row(session: Session, refresh_id: int, claim_key: str, label: str) -> Query:
    run = session.get(RefreshRun, refresh_id)
    assert run is not None
    return writes.query_by_label(session, run.claim_set_id, claim_key, label)


def _finish(db: Database, summary: RefreshSummary, status: str, error: str | None = None) -> None:
    summary.status = status
    with db.session() as session:
        run = session.get(RefreshRun, summary.refresh_id)
        if run is not None:
            run.status, run.error, run.finished_at = status, error, writes.utcnow()
