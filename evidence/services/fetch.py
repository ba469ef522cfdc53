"""Fetch the records a search found that are not stored yet, and account for every one.

Invariant: every requested PMID ends up stored or listed as unresolved, with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from evidence.domain.pmids import PmidBuilder, compact_pmids, distinct_pmids
from evidence.domain.records import Article
from evidence.services.records import store_records
from evidence.sources.base import Source
from evidence.store import writes
from evidence.store.bulk import chunks
from evidence.store.db import Database

log = logging.getLogger("evidence.fetch")

PAGE = 5_000  # PMIDs asked about per statement batch when looking for stored ones


@dataclass
class FetchOutcome:
    """What fetching a set of PMIDs did."""

    requested: Sequence[str] = ()  # compact (an array of ints) when every PMID is digits
    stored: int = 0
    unresolved: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    retries: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        """True when requested == stored ∪ unresolved (checked by tests)."""
        return self.stored + len(self.unresolved) == len(self.requested)


StoreBatch = Callable[[Session, Sequence[Article]], int]  # stores a batch; how many stored


def fetch_and_store(
    db: Database,
    source: Source,
    pmids: Sequence[str],
    *,
    again: bool = False,
    store: StoreBatch = store_records,
    on_batch: Callable[[], None] | None = None,
) -> FetchOutcome:
    """Fetch and store the PMIDs of ``pmids`` that are not in the database yet.

    ``again``: fetch them all, stored or not (a re-check), each batch handed to ``store``.
    ``on_batch`` is called after each batch is stored (the refresh's heartbeat; it may
    raise to stop between batches).
    """
    requested = pmids_to_fetch(db, pmids) if not again else distinct_pmids(compact_pmids(pmids))
    outcome = FetchOutcome(requested=requested)
    missing = _fetch(db, source, outcome, outcome.requested, store, on_batch)
    if missing:
        log.info("refetching %d record(s) the source did not return, one by one", len(missing))
        for pmid in missing:
            if _fetch(db, source, outcome, [pmid], store, on_batch):
                outcome.unresolved.setdefault(pmid, "efetch returned no record (asked twice)")
    return outcome


def pmids_to_fetch(db: Database, pmids: Sequence[str]) -> Sequence[str]:
    """The PMIDs of ``pmids`` not stored yet, each once, in their order; asked a page at a
    time, so only the missing ones are held (not a set of every stored one), compactly
    (:class:`~evidence.domain.pmids.PmidArray`)."""
    missing = PmidBuilder()
    with db.session() as session:
        for page in chunks(pmids, PAGE):
            have = writes.stored_pmids(session, page)
            missing.extend(p for p in page if p not in have)
    return distinct_pmids(missing.build())


def _fetch(
    db: Database,
    source: Source,
    outcome: FetchOutcome,
    pmids: Sequence[str],
    store: StoreBatch = store_records,
    on_batch: Callable[[], None] | None = None,
) -> list[str]:
    """Fetch ``pmids`` in batches, store each batch whole; return those not returned."""
    missing: list[str] = []
    if not pmids:
        return missing
    for batch in source.fetch(pmids):
        outcome.requests += batch.requests
        outcome.retries.extend(batch.retries)
        wanted = set(batch.requested)
        keep = [a for a in batch.articles if a.pmid in wanted]
        with db.session(write=True) as session:
            outcome.stored += store(session, keep)
        if on_batch is not None:
            on_batch()
        returned = {a.pmid for a in keep}
        for pmid in batch.deleted & wanted - returned:
            outcome.unresolved[pmid] = "deleted citation (NCBI withdrew the record)"
        missing.extend(p for p in batch.requested if p not in returned and p not in batch.deleted)
    return missing
