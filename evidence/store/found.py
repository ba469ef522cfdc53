"""What a claim's searches found in a refresh, read from the stored search runs a page at a
time: the claim's links made from it, and what changed since the refresh before.

A refresh holds none of these sets whole: each is a query over ``search_run_pmids``,
paged by PMID (keyset), so memory is bounded by the page, not by the search.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, exists, select, update
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from evidence.domain.audit import utcnow
from evidence.domain.vocab import RUN_FAILED
from evidence.store import bulk
from evidence.store.models import (
    Article,
    ClaimArticle,
    Query,
    RefreshRun,
    SearchRun,
    SearchRunPmid,
)
from evidence.store.writes import LINK_CLAIM_COLUMNS

PAGE = 5_000


def link_found(
    session: Session, claim_id: int, refresh_id: int, search_run_ids: Sequence[int]
) -> None:
    """Make the stored PMIDs these search runs found the claim's active studies; others
    become inactive (what :func:`evidence.store.writes.link_claim` does with a set of
    PMIDs, a page at a time)."""
    session.execute(
        update(ClaimArticle).where(ClaimArticle.claim_id == claim_id).values(active=False)
    )
    now = utcnow()
    found = aliased(SearchRunPmid)
    stored = (
        select(found.pmid)
        .join(Article, Article.pmid == found.pmid)
        .where(found.search_run_id.in_(list(search_run_ids)))
    )
    table = cast(Table, ClaimArticle.__table__)
    for page in pages(session, stored, found.pmid):
        rows = [(claim_id, p, refresh_id, refresh_id, now, now, True) for p in page]
        bulk.insert_tuples(
            session,
            table,
            LINK_CLAIM_COLUMNS,
            rows,
            conflict=["claim_id", "pmid"],
            update=["last_run_id", "last_seen_at", "active"],
        )


def claim_refreshes(session: Session, claim_ids: Sequence[int]) -> dict[int, list[int]]:
    """Claim id -> the refreshes (ids, ascending) in which a search of the claim did not fail."""
    rows = session.execute(
        select(Query.claim_id, SearchRun.refresh_run_id)
        .join(SearchRun, SearchRun.query_id == Query.id)
        .where(Query.claim_id.in_(list(claim_ids)), SearchRun.status != RUN_FAILED)
        .distinct()
    )
    found: dict[int, list[int]] = {}
    for claim_id, refresh_id in rows:
        found.setdefault(claim_id, []).append(refresh_id)
    return {claim_id: sorted(ids) for claim_id, ids in found.items()}


def found_only(
    session: Session, claim_id: int, refresh_id: int, other: int | None
) -> Iterator[list[str]]:
    """Pages of the PMIDs the claim's searches found in ``refresh_id`` and not in ``other``
    (None: all of them), in the database's PMID order."""
    found = aliased(SearchRunPmid)
    stmt = select(found.pmid).where(found.search_run_id.in_(_runs(claim_id, refresh_id)))
    if other is not None:
        there = aliased(SearchRunPmid)
        stmt = stmt.where(
            ~exists().where(
                there.pmid == found.pmid, there.search_run_id.in_(_runs(claim_id, other))
            )
        )
    return pages(session, stmt, found.pmid)


def found_updated(
    session: Session, claim_id: int, refresh_id: int, other: int, since: datetime
) -> Iterator[list[str]]:
    """Pages of the PMIDs the claim's searches found in both refreshes whose record was
    stored after ``since``."""
    found, there = aliased(SearchRunPmid), aliased(SearchRunPmid)
    stmt = (
        select(found.pmid)
        .join(Article, Article.pmid == found.pmid)
        .where(
            found.search_run_id.in_(_runs(claim_id, refresh_id)),
            exists().where(
                there.pmid == found.pmid, there.search_run_id.in_(_runs(claim_id, other))
            ),
            Article.updated_at > since,
        )
    )
    return pages(session, stmt, found.pmid)


def refresh_finished(session: Session, refresh_id: int) -> datetime | None:
    """When the refresh run finished (as stored), or None."""
    return session.scalar(select(RefreshRun.finished_at).where(RefreshRun.id == refresh_id))


def _runs(claim_id: int, refresh_id: int) -> Select[int]:
    """The claim's search runs in the refresh that did not fail."""
    return (
        select(SearchRun.id)
        .join(Query, Query.id == SearchRun.query_id)
        .where(
            Query.claim_id == claim_id,
            SearchRun.refresh_run_id == refresh_id,
            SearchRun.status != RUN_FAILED,
        )
    )


def pages(
    session: Session, stmt: Select[str], column: QueryableAttribute[str]
) -> Iterator[list[str]]:
    """The distinct values of ``stmt``'s one column, in ``column``'s order, ``PAGE`` at a
    time (keyset: each page a statement of its own, restarting after the last value seen)."""
    ordered = stmt.distinct().order_by(column).limit(PAGE)
    last: str | None = None
    while True:
        page = list(session.scalars(ordered if last is None else ordered.where(column > last)))
        if page:
            yield page
        if len(page) < PAGE:
            return
        last = page[-1]
