"""What ``evidence audit verify`` reads: every stored search run with its stored PMID set.

Two statements whatever the number of runs: the runs (with their claim and query labels),
then every run's PMIDs in one ordered, streamed query, merged with the runs by run id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from evidence.store.models import Claim, ClaimSet, Query, SearchRun, SearchRunPmid

PMID_ROWS_PER_FETCH = 10_000


@dataclass(frozen=True)
class StoredSearchRun:
    """A search run as stored: its ids, labels, stored hash and count, and stored PMIDs."""

    refresh_id: int
    run_id: int
    article: str
    claim: str
    query_label: str
    status: str
    stored_sha256: str | None
    stored_retrieved: int
    pmids: tuple[str, ...]  # rank order


def stored_search_runs(session: Session, slug: str | None = None) -> Iterator[StoredSearchRun]:
    """Every search run (of claim set ``slug``, or of all), in run id order, with its PMIDs."""
    runs = _runs(slug)
    rows = session.execute(runs.order_by(SearchRun.id)).all()
    run_ids = runs.with_only_columns(SearchRun.id)
    pmid_rows = session.execute(
        select(SearchRunPmid.search_run_id, SearchRunPmid.pmid)
        .where(SearchRunPmid.search_run_id.in_(run_ids))
        .order_by(SearchRunPmid.search_run_id, SearchRunPmid.position)
        .execution_options(yield_per=PMID_ROWS_PER_FETCH)
    )
    grouped = groupby(pmid_rows, key=itemgetter(0))
    pending = next(grouped, None)
    for row in rows:
        pmids: tuple[str, ...] = ()
        while pending is not None and pending[0] < row.id:  # rows of no listed run: none
            pending = next(grouped, None)
        if pending is not None and pending[0] == row.id:
            pmids = tuple(pmid for _, pmid in pending[1])
            pending = next(grouped, None)
        yield StoredSearchRun(
            refresh_id=row.refresh_run_id,
            run_id=row.id,
            article=row.slug,
            claim=row.key,
            query_label=row.label,
            status=row.status,
            stored_sha256=row.pmid_set_sha256,
            stored_retrieved=row.retrieved,
            pmids=pmids,
        )


def _runs(slug: str | None) -> Select[int, int, str, str, str, str, str | None, int]:
    statement = (
        select(
            SearchRun.id,
            SearchRun.refresh_run_id,
            ClaimSet.slug,
            Claim.key,
            Query.label,
            SearchRun.status,
            SearchRun.pmid_set_sha256,
            SearchRun.retrieved,
        )
        .join(Query, Query.id == SearchRun.query_id)
        .join(Claim, Claim.id == Query.claim_id)
        .join(ClaimSet, ClaimSet.id == Claim.claim_set_id)
    )
    return statement if slug is None else statement.where(ClaimSet.slug == slug)
