"""The Retraction Watch cross-check: load the dataset, apply its notices to linked studies.

``update_dataset`` streams the CSV (file or URL) into the store in batches, replacing the
previous load in one transaction, then applies the notices at once. ``apply_notices``
(also run by every refresh, for newly linked studies) matches notices to the linked
studies by PMID and by DOI (case-insensitive), writes the flags they give onto the records,
and records each change (source "Retraction Watch") in ``record_changes``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from evidence.domain.audit import utcnow
from evidence.domain.notices import (
    REINSTATED,
    RETRACTION_WATCH,
    STATUS_FLAGS,
    RetractionNotice,
    notice_flag_names,
    notice_flags,
)
from evidence.sources.retraction_watch import open_dataset, read_notices
from evidence.store import recheck as changes_store
from evidence.store import retractions as store
from evidence.store.db import Database

log = logging.getLogger("evidence.retractions")

BATCH = 1_000


@dataclass(frozen=True)
class FlaggedStudy:
    """A study that became retracted or flagged, by which source (and notice date)."""

    pmid: str
    flag: str
    source: str
    date: str | None = None
    nature: str | None = None


@dataclass
class LoadSummary:
    """What loading the dataset did."""

    source: str
    sha256: str = ""
    rows: int = 0
    notices: int = 0
    dataset_date: str | None = None
    newly_flagged: list[FlaggedStudy] = field(default_factory=list)


def update_dataset(db: Database, location: str, *, email: str | None = None) -> LoadSummary:
    """Load the dataset at ``location`` (replacing the previous load), apply it; the figures."""
    summary = LoadSummary(location)
    newest: str | None = None
    with open_dataset(location, email=email) as dataset, db.session() as session:
        load_id = store.begin_load(session, location)
        batch: list[RetractionNotice] = []
        for notice in read_notices(dataset.text):
            summary.rows += 1
            if notice is None:
                continue
            batch.append(notice)
            if notice.notice_date and (newest is None or notice.notice_date > newest):
                newest = notice.notice_date
            if len(batch) >= BATCH:
                store.add_notices(session, load_id, batch)
                summary.notices += len(batch)
                batch = []
        store.add_notices(session, load_id, batch)
        summary.notices += len(batch)
        summary.sha256, summary.dataset_date = dataset.sha256, newest
        figures = {
            "sha256": summary.sha256,
            "rows": summary.rows,
            "notices": summary.notices,
            "dataset_date": newest,
        }
        store.finish_load(session, load_id, figures)
    with db.session(write=True) as session:
        summary.newly_flagged = apply_notices(session, None)
    log.info(
        "Retraction Watch: %d rows, %d notices kept, newest %s",
        summary.rows,
        summary.notices,
        newest,
    )
    return summary


def apply_notices(session: Session, refresh_id: int | None) -> list[FlaggedStudy]:
    """Match the stored notices to every linked study; record and return what changed.

    ``refresh_id``: the refresh run applying them (None for ``retractions update``).
    """
    matched = store.matched_notices(session)
    updates: dict[str, list[dict[str, object]]] = {}
    rows: list[changes_store.ChangeRow] = []
    flagged: list[FlaggedStudy] = []
    for pmid, before in (row for page in store.linked_notice_flags(session) for row in page):
        now = notice_flags(matched.get(pmid, ()))
        if now == before:
            continue
        updates[pmid] = now
        old_names = notice_flag_names(before)
        rows.append(
            changes_store.ChangeRow(pmid, "flags", list(old_names), list(notice_flag_names(now)),
                                    RETRACTION_WATCH)
        )  # fmt: skip
        flagged += [
            FlaggedStudy(pmid, str(e["flag"]), RETRACTION_WATCH, e.get("date"), e.get("nature"))
            for e in now
            if e["flag"] in STATUS_FLAGS and e["flag"] != REINSTATED and e["flag"] not in old_names
        ]
    if updates:
        store.set_notice_flags(session, updates)
        changes_store.add_changes(session, refresh_id, rows, utcnow())
        log.info("Retraction Watch notices changed the flags of %d linked stud(ies)", len(updates))
    return flagged
