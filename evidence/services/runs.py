"""The run log and the difference between two refreshes: what cron users read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, pmid_order
from evidence.domain.errors import UnknownIdError
from evidence.domain.views import ArticleArg, ClaimChanges
from evidence.services.changes import with_record_changes
from evidence.sources.base import SourceIdentity
from evidence.store import reads
from evidence.store.history import ClaimHistory, RunRow, claim_history, refresh_runs


@dataclass(frozen=True)
class RunInfo:
    """One refresh run as ``evidence runs`` shows it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    status: str
    error: str | None
    source: str
    claims: tuple[str, ...]
    queries: int
    failed_queries: int
    requests: int
    retrieved: int
    new: int
    stored: int


@dataclass(frozen=True)
class ClaimDiff:
    """One claim between two refreshes: studies added, dropped and changed."""

    claim: str
    in_a: bool  # whether refresh A ran this claim's searches
    in_b: bool
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # found by both; the record was stored again in between
    flagged: tuple[str, ...] = ()  # "PMID: retracted (Retraction Watch)", newly, in between
    revised: tuple[str, ...] = ()  # "PMID: title, publication types", revised in between

    @property
    def any(self) -> bool:
        """True when something differs."""
        return bool(self.added or self.dropped or self.changed or self.flagged or self.revised)


@dataclass(frozen=True)
class RunDiff:
    """``evidence diff``: refresh ``run_a`` against refresh ``run_b``, claim by claim."""

    article: str
    run_a: int
    run_b: int
    claims: tuple[ClaimDiff, ...]


def history(session: Session, slug: ArticleArg = None) -> list[RunInfo]:
    """Every refresh run of the article, oldest first."""
    ref = reads.resolve_claim_set(session, slug)
    return [_info(row) for row in refresh_runs(session, ref.id)]


def diff(
    session: Session, run_a: int | None = None, run_b: int | None = None, slug: ArticleArg = None
) -> RunDiff:
    """What changed per claim from refresh ``run_a`` to ``run_b`` (default: the last two)."""
    ref = reads.resolve_claim_set(session, slug)
    ids = [row.id for row in refresh_runs(session, ref.id)]
    first, second = _pick(ids, run_a, run_b)
    found = claim_history(session, ref.id)
    claims = []
    for claim_id, key in found.claims:
        by_run = found.found.get(claim_id, {})
        before, after = by_run.get(first), by_run.get(second)
        base = _claim_diff(key, before, after, found, first, second)
        records = with_record_changes(
            ClaimChanges(key, first, second, (), (), ()),
            found.record_changes.get(claim_id, []),
            found.finished.get(first),
            found.finished.get(second),
        )
        claims.append(replace(base, flagged=records.flagged, revised=records.revised))
    return RunDiff(ref.slug, first, second, tuple(claims))


def _pick(ids: list[int], run_a: int | None, run_b: int | None) -> tuple[int, int]:
    for given in (run_a, run_b):
        if given is not None and given not in ids:
            raise UnknownIdError.of("refresh run", str(given), [str(i) for i in ids])
    if run_a is None:
        if len(ids) < 2:
            raise UnknownIdError(
                f"diff needs two refresh runs; {len(ids)} stored (run `evidence refresh` again)"
            )
        return ids[-2], ids[-1]
    return run_a, run_b if run_b is not None else ids[-1]


def _claim_diff(
    key: str,
    before: set[str] | None,
    after: set[str] | None,
    found: ClaimHistory,
    first: int,
    second: int,
) -> ClaimDiff:
    if before is None or after is None:
        return ClaimDiff(key, before is not None, after is not None)
    start, end = found.finished.get(first), found.finished.get(second)
    changed = {
        p
        for p in before & after
        if start is not None
        and p in found.stored_at
        and found.stored_at[p] > start
        and (end is None or found.stored_at[p] <= end)
    }
    return ClaimDiff(
        key,
        True,
        True,
        added=_sorted(after - before),
        dropped=_sorted(before - after),
        changed=_sorted(changed),
    )


def _sorted(pmids: set[str]) -> tuple[str, ...]:
    return tuple(sorted(pmids, key=pmid_order))


def _info(row: RunRow) -> RunInfo:
    started = as_utc(row.started_at)
    finished = as_utc(row.finished_at) if row.finished_at else None
    return RunInfo(
        id=row.id,
        started_at=started,
        finished_at=finished,
        seconds=round((finished - started).total_seconds(), 1) if finished else None,
        status=row.status,
        error=row.error,
        source=SourceIdentity(row.source_kind, row.source_location, row.source_snapshot).describe(),
        claims=row.claims,
        queries=row.queries,
        failed_queries=row.failed_queries,
        requests=row.requests,
        retrieved=row.retrieved,
        new=row.new,
        stored=row.stored,
    )
