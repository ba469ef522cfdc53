"""The re-check step of a refresh: linked records revised since they were last known current.

After a refresh's searches, the source is asked which of the claim set's linked records
(active claim -> study links) were revised since the oldest of their ``checked_at`` days
(less one day: PubMed's dates are US Eastern, ours UTC), up to today; records fetched in
this very refresh are current and are not asked about. Only the revised ones are fetched
again (the fetch path's 500-id POSTs), compared with the stored copy field by field (title,
abstract, publication types, CommentsCorrections links, flags), re-graded and stored, each
change recorded with the refresh run. ``mode="all"`` re-fetches every linked record without
asking. Then the stored Retraction Watch notices are applied to the linked records
(:func:`evidence.services.retractions.apply_notices`). Retracted studies stay linked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from evidence import grading
from evidence.domain.audit import pmid_order, sorted_pmids, utcnow
from evidence.domain.errors import SourceError, SourceUnreachableError
from evidence.domain.notices import PUBMED, REINSTATED, STATUS_FLAGS
from evidence.domain.records import Article
from evidence.services.fetch import fetch_and_store
from evidence.services.records import store_records
from evidence.services.retractions import FlaggedStudy, apply_notices
from evidence.sources.base import RevisedRecords, Source
from evidence.sources.pubmed_xml.parser import parse_stored
from evidence.store import recheck as store
from evidence.store.db import Database

log = logging.getLogger("evidence.recheck")

CHANGED, ALL, NONE = "changed", "all", "none"
RECHECK_MODES = (CHANGED, ALL, NONE)
MARGIN = timedelta(days=1)  # PubMed dates its changes in US Eastern time, we in UTC


@dataclass
class RecheckSummary:
    """What the re-check of linked records did."""

    mode: str = CHANGED
    status: str = "ok"  # ok | failed | skipped
    since: str | None = None  # YYYY/MM/DD as sent
    until: str | None = None
    method: str | None = None  # uid-list | query-terms | stored-dates | all | none
    checked: int = 0  # linked records asked about
    revised: list[str] = field(default_factory=list)  # the source says revised: re-fetched
    changed: dict[str, list[str]] = field(default_factory=dict)  # pmid -> fields changed
    requests: int = 0  # esearch and efetch requests of the re-check
    unresolved: dict[str, str] = field(default_factory=dict)
    newly_flagged: list[FlaggedStudy] = field(default_factory=list)
    message: str | None = None


def recheck_linked(
    db: Database,
    source: Source,
    claim_set_id: int,
    refresh_id: int,
    *,
    terms: Sequence[str] = (),
    mode: str = CHANGED,
) -> RecheckSummary:
    """Re-check the claim set's linked records (see the module docstring)."""
    summary = RecheckSummary(mode=mode)
    if mode == NONE:
        summary.status = "skipped"
        return summary
    with db.session(write=True) as session:
        recheck_id = store.start_recheck(session, refresh_id, mode)
        started = store.refresh_started(session, refresh_id)
    now = utcnow()
    try:
        revised = _revised(db, source, claim_set_id, started, now.date(), terms, summary)
        _refetch(db, source, refresh_id, revised, summary)
    except SourceError as exc:
        summary.status, summary.message = "failed", str(exc)
        log.error("re-check of linked records failed: %s", exc)
        _finish(db, recheck_id, summary)
        if isinstance(exc, SourceUnreachableError):
            raise
        return summary
    with db.session(write=True) as session:
        store.mark_checked(session, claim_set_id, now)
        flagged = apply_notices(session, refresh_id)
    summary.newly_flagged += flagged
    _finish(db, recheck_id, summary)
    return summary


def _revised(
    db: Database,
    source: Source,
    claim_set_id: int,
    started: datetime,
    today: date,
    terms: Sequence[str],
    summary: RecheckSummary,
) -> list[str]:
    """The linked PMIDs to fetch again: all of them, or those the source says were revised.

    The linked records are counted in the database; only the PMIDs handed to the source
    are read, a page at a time, into one list."""
    if summary.mode == ALL:
        with db.session() as session:
            linked = _listed(store.linked_pmids(session, claim_set_id))
        summary.method, summary.checked = ALL, len(linked)
        return linked
    with db.session() as session:
        due = store.due_records(session, claim_set_id, started)
    summary.checked = due.count
    if due.oldest is None:
        summary.method = NONE
        return []
    since = due.oldest.date() - MARGIN
    summary.since, summary.until = since.strftime("%Y/%m/%d"), today.strftime("%Y/%m/%d")
    with db.session() as session:
        asked = _listed(store.linked_pmids(session, claim_set_id, started))
    answer: RevisedRecords = source.modified_since(asked, since, today, terms=terms)
    summary.method, summary.requests = answer.method, answer.requests
    return sorted(answer.pmids, key=pmid_order)


def _listed(pages: Iterable[list[str]]) -> list[str]:
    """The PMIDs of ``pages`` in PMID order."""
    return sorted_pmids(p for page in pages for p in page)


def _refetch(
    db: Database, source: Source, refresh_id: int, pmids: list[str], summary: RecheckSummary
) -> None:
    summary.revised = pmids
    if not pmids:
        return

    def store_compared(session: Session, articles: Sequence[Article]) -> int:
        changes = compare_stored(session, articles)
        for change in changes:
            summary.changed.setdefault(change.pmid, []).append(change.field)
            if change.field == "flags":
                summary.newly_flagged += _flagged(change)
        changed = {c.pmid for c in changes}
        store_records(session, [a for a in articles if a.pmid in changed])
        store.add_changes(session, refresh_id, changes, utcnow())
        return len(articles)

    outcome = fetch_and_store(db, source, pmids, again=True, store=store_compared)
    summary.requests += outcome.requests
    summary.unresolved = dict(outcome.unresolved)
    if outcome.unresolved:
        log.warning(
            "re-check: %d linked record(s) could not be fetched again; kept as stored",
            len(outcome.unresolved),
        )


def compare_stored(session: Session, articles: Sequence[Article]) -> list[store.ChangeRow]:
    """What differs between ``articles`` and their stored copies (none for identical XML)."""
    stored = store.stored_records(session, [a.pmid for a in articles])
    changes: list[store.ChangeRow] = []
    for article in articles:
        old = stored.get(article.pmid)
        sha = hashlib.sha256(article.raw_xml).hexdigest()
        if old is None or old.record_sha256 == sha:
            continue
        before = parse_stored(old.raw_xml)
        fields = record_fields(before[0]) if before else {}
        fields["flags"] = sorted(old.flags)
        after = record_fields(article)
        found = [
            store.ChangeRow(article.pmid, name, fields.get(name), value, PUBMED)
            for name, value in after.items()
            if fields.get(name) != value
        ]
        changes += found or [
            store.ChangeRow(article.pmid, "record", old.record_sha256, sha, PUBMED)
        ]
    return changes


def record_fields(article: Article) -> dict[str, object]:
    """The fields a re-check compares, as JSON-ready values."""
    return {
        "title": article.title,
        "abstract": article.abstract,
        "publication_types": list(article.publication_type_names),
        "comments_corrections": [
            f"{c.ref_type} {c.pmid}" if c.pmid else c.ref_type for c in article.comments_corrections
        ],
        "flags": sorted(str(f) for f in grading.flags(article)),
    }


def _flagged(change: store.ChangeRow) -> list[FlaggedStudy]:
    before = set(change.before or ())
    return [
        FlaggedStudy(change.pmid, flag, PUBMED)
        for flag in change.after or ()
        if flag in STATUS_FLAGS and flag != REINSTATED and flag not in before
    ]


def _finish(db: Database, recheck_id: int, summary: RecheckSummary) -> None:
    with db.session(write=True) as session:
        store.finish_recheck(
            session,
            recheck_id,
            {
                "status": summary.status,
                "since": summary.since,
                "until": summary.until,
                "method": summary.method,
                "checked": summary.checked,
                "revised": len(summary.revised),
                "refetched": len(summary.revised) - len(summary.unresolved),
                "changed": len(summary.changed),
                "requests": summary.requests,
                "message": summary.message,
            },
        )
