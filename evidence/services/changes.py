"""What changed for each claim between two refreshes: studies added, dropped, updated.

A claim's study set in a refresh is the union of the PMIDs its queries' search runs
retrieved in that refresh (failed runs excluded). The comparison is between the latest
refresh that ran the claim and the one before it that ran it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.audit import pmid_order
from evidence.domain.views import ClaimChanges
from evidence.store.history import claim_history


def claim_changes(session: Session, claim_set_id: int) -> list[ClaimChanges]:
    """For every active claim of the claim set, the changes between its last two refreshes.

    A fixed number of queries, whatever the number of claims and studies.
    """
    history = claim_history(session, claim_set_id)
    return [
        compare(key, history.found.get(claim_id, {}), history.finished, history.stored_at)
        for claim_id, key in history.claims
    ]


def compare(
    claim_key: str,
    by_refresh: dict[int, set[str]],
    finished: dict[int, datetime | None],
    stored_at: dict[str, datetime],
) -> ClaimChanges:
    """The claim's changes between its last two refreshes in ``by_refresh``."""
    refreshes = sorted(by_refresh)
    if not refreshes:
        return ClaimChanges(claim_key, None, None, (), (), ())
    latest = refreshes[-1]
    now = by_refresh[latest]
    if len(refreshes) == 1:
        return ClaimChanges(claim_key, None, latest, _sorted(now), (), ())
    previous = refreshes[-2]
    before = by_refresh[previous]
    ended = finished.get(previous)
    updated = {p for p in now & before if ended and p in stored_at and stored_at[p] > ended}
    return ClaimChanges(
        claim=claim_key,
        previous_refresh=previous,
        latest_refresh=latest,
        added=_sorted(now - before),
        dropped=_sorted(before - now),
        updated=_sorted(updated),
    )


def _sorted(pmids: set[str]) -> tuple[str, ...]:
    return tuple(sorted(pmids, key=pmid_order))
