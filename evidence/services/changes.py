"""What changed for each claim between two refreshes: studies added, dropped, updated.

A claim's study set in a refresh is the union of the PMIDs its queries' search runs
retrieved in that refresh (failed runs excluded). The comparison is between the latest
refresh that ran the claim and the one before it that ran it too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.store.models import Article, Claim, Query, RefreshRun, SearchRun, SearchRunPmid
from evidence.store.upsert import chunks


@dataclass(frozen=True)
class ClaimChanges:
    """Studies of one claim that appeared, disappeared or were updated between two refreshes."""

    claim: str
    previous_refresh: int | None
    latest_refresh: int | None
    added: tuple[str, ...]
    dropped: tuple[str, ...]
    updated: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """True when anything was added, dropped or updated."""
        return bool(self.added or self.dropped or self.updated)


def claim_changes(session: Session, claim_set_id: int) -> list[ClaimChanges]:
    """For every active claim of the claim set, the changes between its last two refreshes.

    A fixed number of queries, whatever the number of claims and studies.
    """
    claims = list(
        session.scalars(
            select(Claim)
            .where(Claim.claim_set_id == claim_set_id, Claim.active.is_(True))
            .order_by(Claim.position)
        )
    )
    sets = _pmid_sets(session, claim_set_id)
    runs = select(RefreshRun.id, RefreshRun.finished_at).where(
        RefreshRun.claim_set_id == claim_set_id
    )
    finished = {run_id: ended for run_id, ended in session.execute(runs)}
    stored_at = _updated_at(session, {p for by in sets.values() for s in by.values() for p in s})
    return [_changes(claim, sets.get(claim.id, {}), finished, stored_at) for claim in claims]


def _updated_at(session: Session, pmids: set[str]) -> dict[str, datetime]:
    """When each record was last stored."""
    found: dict[str, datetime] = {}
    for batch in chunks(sorted(pmids)):
        rows = session.execute(
            select(Article.pmid, Article.updated_at).where(Article.pmid.in_(batch))
        )
        found.update({pmid: when for pmid, when in rows})
    return found


def _pmid_sets(session: Session, claim_set_id: int) -> dict[int, dict[int, set[str]]]:
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


def _changes(
    claim: Claim,
    by_refresh: dict[int, set[str]],
    finished: dict[int, datetime | None],
    stored_at: dict[str, datetime],
) -> ClaimChanges:
    refreshes = sorted(by_refresh)
    if not refreshes:
        return ClaimChanges(claim.key, None, None, (), (), ())
    latest = refreshes[-1]
    now = by_refresh[latest]
    if len(refreshes) == 1:
        return ClaimChanges(claim.key, None, latest, tuple(_sorted(now)), (), ())
    previous = refreshes[-2]
    before = by_refresh[previous]
    ended = finished.get(previous)
    updated = {p for p in now & before if ended and p in stored_at and stored_at[p] > ended}
    return ClaimChanges(
        claim=claim.key,
        previous_refresh=previous,
        latest_refresh=latest,
        added=tuple(_sorted(now - before)),
        dropped=tuple(_sorted(before - now)),
        updated=tuple(_sorted(updated)),
    )


def _sorted(pmids: set[str]) -> list[str]:
    return sorted(pmids, key=lambda p: (len(p), p))
