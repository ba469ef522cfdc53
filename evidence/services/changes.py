"""What changed for each claim between two refreshes: studies added, dropped, updated,
newly retracted or flagged, and revised.

A claim's study set in a refresh is the union of the PMIDs its queries' search runs
retrieved in that refresh (failed runs excluded). The comparison is between the latest
refresh that ran the claim and the one before it that ran it too. Flagged and revised
studies come from ``record_changes`` recorded since the previous refresh finished (by a
re-check, a refresh applying Retraction Watch notices, or ``retractions update``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, pmid_order
from evidence.domain.notices import REINSTATED, STATUS_FLAGS
from evidence.domain.pmids import in_pmid_order
from evidence.domain.views import ClaimChanges
from evidence.store import found
from evidence.store.history import RecordChangeInfo, claim_history, claims_and_changes


def claim_changes(session: Session, claim_set_id: int) -> list[ClaimChanges]:
    """For every active claim of the claim set, the changes between its last two refreshes.

    The sets compared stay in the database: added, dropped and updated are read a page at
    a time (a few statements per claim, one more per page of 5,000 PMIDs), so memory is
    bounded by what changed, not by what the claim's searches found.
    """
    claims, record_changes = claims_and_changes(session, claim_set_id)
    refreshes = found.claim_refreshes(session, [claim_id for claim_id, _ in claims])
    result = []
    for claim_id, key in claims:
        changes = stored_changes(session, claim_id, key, refreshes.get(claim_id, []))
        previous = changes.previous_refresh
        since = found.refresh_finished(session, previous) if previous is not None else None
        result.append(with_record_changes(changes, record_changes.get(claim_id, []), since))
    return result


def claim_changes_at_once(session: Session, claim_set_id: int) -> list[ClaimChanges]:
    """What :func:`claim_changes` says, in a fixed number of statements whatever the number
    of claims: for the readers (report, queue, status), which hold every study anyway. The
    found sets are compared in memory, so memory grows with the searches; a refresh uses
    :func:`claim_changes`, which keeps them in the database."""
    history = claim_history(session, claim_set_id)
    result = []
    for claim_id, key in history.claims:
        changes = compare(key, history.found.get(claim_id, {}), history.finished, history.stored_at)
        previous = changes.previous_refresh
        since = history.finished.get(previous) if previous is not None else None
        result.append(with_record_changes(changes, history.record_changes.get(claim_id, []), since))
    return result


def compare(
    claim_key: str,
    by_refresh: dict[int, set[str]],
    finished: dict[int, datetime | None],
    stored_at: dict[str, datetime],
) -> ClaimChanges:
    """The claim's changes between its last two refreshes in ``by_refresh`` (in memory)."""
    refreshes = sorted(by_refresh)
    if not refreshes:
        return ClaimChanges(claim_key, None, None, (), (), ())
    latest = refreshes[-1]
    now = by_refresh[latest]
    if len(refreshes) == 1:
        return ClaimChanges(claim_key, None, latest, _joined([list(now)]), (), ())
    previous = refreshes[-2]
    before = by_refresh[previous]
    ended = finished.get(previous)
    updated = [p for p in now & before if ended and p in stored_at and stored_at[p] > ended]
    return ClaimChanges(
        claim=claim_key,
        previous_refresh=previous,
        latest_refresh=latest,
        added=_joined([list(now - before)]),
        dropped=_joined([list(before - now)]),
        updated=_joined([updated]),
    )


def stored_changes(
    session: Session, claim_id: int, key: str, refreshes: Sequence[int]
) -> ClaimChanges:
    """The claim's changes between the last two of ``refreshes`` (those that ran it),
    compared in the database."""
    if not refreshes:
        return ClaimChanges(key, None, None, (), (), ())
    latest = refreshes[-1]
    if len(refreshes) == 1:
        added = found.found_only(session, claim_id, latest, None)
        return ClaimChanges(key, None, latest, _joined(added), (), ())
    previous = refreshes[-2]
    ended = found.refresh_finished(session, previous)
    updated = found.found_updated(session, claim_id, latest, previous, ended) if ended else ()
    return ClaimChanges(
        claim=key,
        previous_refresh=previous,
        latest_refresh=latest,
        added=_joined(found.found_only(session, claim_id, latest, previous)),
        dropped=_joined(found.found_only(session, claim_id, previous, latest)),
        updated=_joined(updated),
    )


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


def _joined(pages: Iterable[list[str]]) -> Sequence[str]:
    """The PMIDs of ``pages``, in PMID order, held compactly (8 bytes each)."""
    return in_pmid_order(p for page in pages for p in page)
