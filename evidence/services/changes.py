"""What changed for each claim between two refreshes: studies added, dropped, updated,
newly retracted or flagged, and revised.

A claim's study set in a refresh is the union of the PMIDs its queries' search runs
retrieved in that refresh (failed runs excluded). The comparison is between the latest
refresh that ran the claim and the one before it that ran it too. Flagged and revised
studies come from ``record_changes`` recorded since the previous refresh finished (by a
re-check, a refresh applying Retraction Watch notices, or ``retractions update``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, pmid_order
from evidence.domain.notices import REINSTATED, STATUS_FLAGS
from evidence.domain.views import ClaimChanges
from evidence.store.history import RecordChangeInfo, claim_history


def claim_changes(session: Session, claim_set_id: int) -> list[ClaimChanges]:
    """For every active claim of the claim set, the changes between its last two refreshes.

    A fixed number of queries, whatever the number of claims and studies.
    """
    history = claim_history(session, claim_set_id)
    found = []
    for claim_id, key in history.claims:
        changes = compare(key, history.found.get(claim_id, {}), history.finished, history.stored_at)
        previous = changes.previous_refresh
        since = history.finished.get(previous) if previous is not None else None
        found.append(with_record_changes(changes, history.record_changes.get(claim_id, []), since))
    return found


def with_record_changes(
    changes: ClaimChanges,
    records: Sequence[RecordChangeInfo],
    since: datetime | None,
    until: datetime | None = None,
) -> ClaimChanges:
    """``changes`` with the studies flagged and revised after ``since`` (None: ever) and up
    to ``until`` (None: now)."""
    recent = [
        r
        for r in records
        if (since is None or r.detected_at > as_utc(since))
        and (until is None or r.detected_at <= as_utc(until))
    ]
    flagged: dict[str, None] = {}
    revised: dict[str, list[str]] = {}
    for record in recent:
        if record.field == "flags":
            added = [
                f
                for f in record.after or ()
                if f in STATUS_FLAGS and f != REINSTATED and f not in (record.before or ())
            ]
            for flag in added:
                flagged[f"{record.pmid}: {flag} ({record.source})"] = None
        if record.source != "Retraction Watch":
            fields = revised.setdefault(record.pmid, [])
            if record.field not in fields:
                fields.append(record.field.replace("_", " "))
    return replace(
        changes,
        flagged=tuple(flagged),
        revised=tuple(
            f"{pmid}: {', '.join(fields)}"
            for pmid, fields in sorted(revised.items(), key=lambda item: pmid_order(item[0]))
        ),
    )


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
