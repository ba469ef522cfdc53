"""The refresh pipeline: claims -> search -> fetch of what is new -> store -> link -> annotate
-> re-check of linked records revised since (:mod:`evidence.services.recheck`).

Typed against :class:`~evidence.sources.base.Source` only: E-utilities today, a local
mirror next. Each query's records are committed as they arrive, so a crash loses at most
one batch; a record is either stored whole or not at all.

One refresh at a time per database (:mod:`evidence.store.lock`). Every step is its own
short transaction and idempotent (records upserted, a search run written with its PMIDs,
a claim's links written with their annotations), so a run killed at any moment leaves
only whole steps behind; the next refresh marks it interrupted
(:mod:`evidence.services.recover`) and, re-running every query, finishes the work. A
deadline stops the run between requests (``incomplete``); Ctrl-C or SIGTERM marks it
``interrupted``; either way what was done stays committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from evidence import __version__
from evidence.domain.audit import pmid_set_sha256, utcnow
from evidence.domain.claims import ClaimsFile, ClaimSpec, QuerySpec
from evidence.domain.deadline import Deadline
from evidence.domain.errors import (
    DeadlineExceededError,
    SourceError,
    SourceUnreachableError,
    Terminated,
    UnknownClaimError,
)
from evidence.domain.pmids import compact_pmids
from evidence.domain.views import ClaimChanges, ClaimSummary
from evidence.domain.vocab import (
    RUN_FAILED,
    RUN_INCOMPLETE,
    RUN_INTERRUPTED,
    RUN_NO_RESULTS,
    RUN_OK,
)
from evidence.services import attention
from evidence.services.annotate import annotate_links
from evidence.services.attention import ConclusionChange
from evidence.services.changes import claim_changes
from evidence.services.fetch import FetchOutcome, fetch_and_store
from evidence.services.recheck import CHANGED, RecheckSummary, recheck_linked
from evidence.services.records import regrade_stale
from evidence.services.recover import recover_dead_runs
from evidence.services.retractions import FlaggedStudy
from evidence.sources.base import SearchQuery, SearchResult, Source, describe_shortfall
from evidence.store import found, runs, writes
from evidence.store.db import Database
from evidence.store.lock import Holder, refresh_lock

log = logging.getLogger("evidence.refresh")


@dataclass
class QuerySummary:
    """What one query's search and fetch did."""

    claim: str
    label: str
    term: str
    status: str = RUN_OK
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
    status: str = RUN_OK
    queries: list[QuerySummary] = field(default_factory=list)
    changes: list[ClaimChanges] = field(default_factory=list)  # vs the claim's previous refresh
    reworded: dict[str, int] = field(default_factory=dict)  # claim -> new statement version
    recheck: RecheckSummary | None = None  # the re-check of linked records
    newly_flagged: list[FlaggedStudy] = field(default_factory=list)  # retracted/flagged now
    conclusions: list[ConclusionChange] = field(default_factory=list)  # changed by this run
    message: str | None = None  # why the run stopped early (deadline), what was not done

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


@dataclass(frozen=True)
class _Run:
    """One refresh in progress: the ids it resolved once, at the start."""

    db: Database
    source: Source
    summary: RefreshSummary
    claim_set_id: int
    claim_ids: dict[str, int]
    query_ids: dict[tuple[str, str], int]
    deadline: Deadline | None = None
    before: dict[str, ClaimSummary] = field(default_factory=dict)  # conclusions at the start

    def beat(self) -> None:
        """Refresh the run's heartbeat; stop here if the deadline has run out."""
        with self.db.session(write=True) as session:
            runs.beat(session, self.summary.refresh_id)
        if self.deadline is not None:
            self.deadline.check("the next request")


def refresh(
    db: Database,
    source: Source,
    claims_file: ClaimsFile,
    *,
    claim_ids: Sequence[str] = (),
    progress: Progress | None = None,
    recheck: str = CHANGED,
    deadline: Deadline | None = None,
    wait: float | None = 0.0,
) -> RefreshSummary:
    """Run every query of the selected claims, fetch and store new records, link studies,
    then re-check the linked records (``recheck``: changed, all or none).

    Holds the database's refresh lock throughout: ``wait`` 0 raises RefreshLockedError at
    once when another refresh holds it, None waits as long as it takes, else that many
    seconds. When ``deadline`` runs out the run stops between requests, ``incomplete``,
    its summary's ``message`` saying what was not done. On KeyboardInterrupt (Ctrl-C, and
    SIGTERM as :class:`Terminated`) the run is marked ``interrupted`` and it is re-raised,
    with a note naming the run.
    """
    specs = _selected(claims_file, claim_ids)
    with refresh_lock(db, wait=wait, on_wait=_say_waiting) as holder:
        recover_dead_runs(db, holder)
        run = _start(db, source, claims_file, specs, holder, deadline)
        try:
            for spec in specs:
                _refresh_claim(run, spec, progress)
            _recheck(run, claims_file, recheck)
            _conclude(run, specs)
        except DeadlineExceededError as exc:
            run.summary.message = _not_done(run, specs, str(exc))
            _finish(run, RUN_INCOMPLETE, error=run.summary.message)
            return run.summary
        except KeyboardInterrupt as exc:
            message = _not_done(run, specs, f"interrupted by {_signal_name(exc)}")
            _finish(run, RUN_INTERRUPTED, error=message)
            exc.add_note(f"refresh {run.summary.refresh_id} {message}")
            raise
        except BaseException as exc:
            _finish(run, RUN_FAILED, error=str(exc) or exc.__class__.__name__)
            raise
        rechecked = run.summary.recheck
        failed = {RUN_INCOMPLETE} if rechecked and rechecked.status == RUN_FAILED else set()
        _finish(run, _overall({q.status for q in run.summary.queries} | failed))
    return run.summary


def _conclude(run: _Run, specs: list[ClaimSpec]) -> None:
    """Grade again what the grading rules changed; say what changed per claim."""
    with run.db.session(write=True) as session:
        regrade_stale(session)
        refreshed = {c.id for c in specs}
        changes = claim_changes(session, run.claim_set_id)
        run.summary.changes = [c for c in changes if c.claim in refreshed]
    with run.db.session() as session:
        after = attention.conclusions(session, run.summary.article)
    run.summary.conclusions = attention.changed(run.before, after)


def _say_waiting(holder: Holder) -> None:
    log.warning("another refresh is running on this database (%s): waiting", holder.describe())


def _signal_name(exc: KeyboardInterrupt) -> str:
    return "SIGTERM" if isinstance(exc, Terminated) else "SIGINT (Ctrl-C)"


def _not_done(run: _Run, specs: list[ClaimSpec], why: str) -> str:
    """``WHY: 3 of 9 queries done; not done: claim/label, ...``, for the run's message."""
    done = {(q.claim, q.label) for q in run.summary.queries}
    todo = [f"{c.id}/{q.label}" for c in specs for q in c.queries if (c.id, q.label) not in done]
    total = sum(len(c.queries) for c in specs)
    text = f"{why}: {total - len(todo)} of {total} queries done"
    if todo:
        shown = ", ".join(todo[:5]) + (f" and {len(todo) - 5} more" if len(todo) > 5 else "")
        text += f"; not done: {shown}; what was stored is kept (refresh again to finish)"
    return text


def _recheck(run: _Run, claims_file: ClaimsFile, mode: str) -> None:
    terms = [q.full_term for c in claims_file.claims for q in c.queries]
    summary = recheck_linked(
        run.db, run.source, run.claim_set_id, run.summary.refresh_id, terms=terms, mode=mode
    )
    run.summary.recheck = summary
    run.summary.newly_flagged = list(summary.newly_flagged)


def _overall(statuses: set[str]) -> str:
    if RUN_FAILED in statuses:
        return RUN_FAILED
    return RUN_INCOMPLETE if RUN_INCOMPLETE in statuses else RUN_OK


def _selected(claims_file: ClaimsFile, claim_ids: Sequence[str]) -> list[ClaimSpec]:
    if not claim_ids:
        return list(claims_file.claims)
    known = sorted(c.id for c in claims_file.claims)
    for claim_id in claim_ids:
        if claim_id not in known:
            raise UnknownClaimError.of("claim", claim_id, known)
    return [c for c in claims_file.claims if c.id in set(claim_ids)]


def _start(
    db: Database,
    source: Source,
    claims_file: ClaimsFile,
    specs: list[ClaimSpec],
    holder: Holder,
    deadline: Deadline | None,
) -> _Run:
    identity = source.identity()
    with db.session() as session:
        before = attention.conclusions(session, claims_file.slug)
    with db.session(write=True) as session:
        synced = writes.sync_claims(session, claims_file)
        claim_set_id = synced.id
        refresh_id = runs.start_refresh(
            session,
            runs.NewRefreshRun(
                claim_set_id=claim_set_id,
                tool_version=__version__,
                claims_file=str(claims_file.path),
                claims_sha256=claims_file.sha256,
                source_kind=identity.kind,
                source_location=identity.location,
                source_snapshot=identity.snapshot,
                options=_options(specs, identity.kind, deadline),
                host=holder.host,
                pid=holder.pid,
            ),
        )
        claim_ids, query_ids = writes.claim_and_query_ids(session, claim_set_id)
    summary = RefreshSummary(refresh_id, claims_file.slug, reworded=synced.reworded)
    for key, version in synced.reworded.items():
        log.warning(
            "claim %s: the statement changed (now version %d): verdicts given for the old"
            " wording are kept, marked as such, and their studies are back in the queue",
            key,
            version,
        )
    return _Run(db, source, summary, claim_set_id, claim_ids, query_ids, deadline, before)


def _options(specs: list[ClaimSpec], kind: str, deadline: Deadline | None) -> dict[str, object]:
    options: dict[str, object] = {"claims": [c.id for c in specs], "source": kind}
    if deadline is not None:
        options["deadline_seconds"] = deadline.seconds
    return options


def _refresh_claim(run: _Run, spec: ClaimSpec, progress: Progress | None) -> None:
    searches: list[int] = []  # the claim's search runs: their stored PMIDs are its studies
    complete = True
    for query_spec in spec.queries:
        summary, search_run_id = _run_query(run, spec, query_spec)
        run.summary.queries.append(summary)
        if progress:
            progress(summary)
        searches.append(search_run_id)
        complete = complete and summary.status != RUN_FAILED
    if not complete:
        log.warning("claim %s: a query failed; its study links were left as they were", spec.id)
        return
    claim_id = run.claim_ids[spec.id]
    with run.db.session(write=True) as session:
        found.link_found(session, claim_id, run.summary.refresh_id, searches)
        annotate_links(session, claim_id, spec.statement, [q.term for q in spec.queries])


def _run_query(run: _Run, claim: ClaimSpec, spec: QuerySpec) -> tuple[QuerySummary, int]:
    """Search, fetch what is new, record the search run: its summary and search run id."""
    summary = QuerySummary(claim=claim.id, label=spec.label, term=spec.full_term)
    query_id = run.query_ids[(claim.id, spec.label)]
    if run.deadline is not None:
        run.deadline.check(f"query {spec.label!r} of claim {claim.id}")
    started = utcnow()
    search = SearchQuery(spec.full_term, spec.mindate, spec.maxdate, spec.datetype)
    try:
        result = compacted(run.source.search(search))
        outcome = fetch_and_store(run.db, run.source, result.pmids, on_batch=run.beat)
    except SourceError as exc:
        summary.status, summary.message = RUN_FAILED, str(exc)
        failed = runs.SearchRecord(query_id, spec.full_term, started, RUN_FAILED, message=str(exc))
        search_run_id = _record(run, failed)
        if isinstance(exc, SourceUnreachableError):
            raise  # not this query's problem: nothing else can run either
        log.error("claim %s, query %r: %s", claim.id, spec.label, exc)
        return summary, search_run_id
    _fill_summary(summary, result, outcome)
    return summary, _record(run, _search_record(query_id, summary, result, outcome, started))


def compacted(result: SearchResult) -> SearchResult:
    """``result`` with its PMIDs held as 8-byte integers (when all are digits), the
    source's tuple of strings let go before the fetch."""
    return replace(result, pmids=compact_pmids(result.pmids))


def _record(run: _Run, record: runs.SearchRecord) -> int:
    """Write a search run with its PMIDs (and the heartbeat) in one transaction; its id."""
    with run.db.session(write=True) as session:
        search_run_id = runs.add_search(session, run.summary.refresh_id, record)
        runs.beat(session, run.summary.refresh_id)
    return search_run_id


def _fill_summary(summary: QuerySummary, result: SearchResult, outcome: FetchOutcome) -> None:
    summary.count = result.count
    summary.retrieved = len(result.pmids)
    summary.new = len(outcome.requested)
    summary.stored = outcome.stored
    summary.unresolved = dict(outcome.unresolved)
    if not result.complete:
        summary.status = RUN_INCOMPLETE
        summary.message = (
            f"PubMed counts {result.count} but {len(result.pmids)} were retrieved;"
            f" short slices: {describe_shortfall(result.shortfall)}"
        )
    elif outcome.unresolved:
        summary.status = RUN_INCOMPLETE
        summary.message = f"{len(outcome.unresolved)} record(s) could not be fetched"
    elif result.count == 0:
        summary.status = RUN_NO_RESULTS


def _search_record(
    query_id: int,
    summary: QuerySummary,
    result: SearchResult,
    outcome: FetchOutcome,
    started: datetime,
) -> runs.SearchRecord:
    return runs.SearchRecord(
        query_id=query_id,
        term=result.term,
        started_at=started,
        status=summary.status,
        params=result.params,
        count=result.count,
        retrieved=summary.retrieved,
        new_pmids=summary.new,
        stored=summary.stored,
        query_translation=result.query_translation,
        warnings=result.warnings,
        errors=result.errors,
        requests=result.requests + outcome.requests,
        retries=(*result.retries, *outcome.retries),
        unresolved=outcome.unresolved,
        pmid_set_sha256=pmid_set_sha256(result.pmids),
        slices=[s.to_json() for s in result.slices],
        message=summary.message,
        pmids=result.pmids,
    )


def _finish(run: _Run, status: str, error: str | None = None) -> None:
    run.summary.status = status
    with run.db.session(write=True) as session:
        runs.finish_refresh(session, run.summary.refresh_id, status, error)
