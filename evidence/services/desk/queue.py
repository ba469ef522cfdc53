"""A claim's queue: its studies passing a filter, strongest first, a page at a time; and
the study before or after one in it.

Order, level and flags come from the claim's in-memory index
(:mod:`evidence.services.desk.index`), states from its verdict pairs by the domain's rules;
only a search over title and abstract (once per data generation, then remembered by the
index) and the page's own rows are read from SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Final

from sqlalchemy.orm import Session

from evidence.domain.views import ArticleArg, StudyInfo
from evidence.services.desk.common import check_linked, find_claim
from evidence.services.desk.filters import NOT_JUDGED_STATE, QueueFilter, count_states
from evidence.services.desk.index import ClaimIndex, claim_index
from evidence.services.desk.pages import QueuePage, QueueRow
from evidence.store import desk as store

PAGE_SIZE: Final = 50


def claim_queue(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    flt: QueueFilter,
    *,
    reviewer: str,
    page: int = 1,
    blind: bool = False,
) -> QueuePage:
    """One page of the claim's studies passing ``flt``, strongest first, with counts."""
    ref, claim = find_claim(session, slug, claim_key)
    blind = blind or claim.review.blind
    index = claim_index(session, claim)
    kept = passing(
        session, index, flt, reviewer=reviewer, blind=blind, needed=claim.review.reviewers
    )
    page = max(page, 1)
    offset = (page - 1) * PAGE_SIZE
    states = index.states(reviewer)
    rows = tuple(
        QueueRow(
            _with_verdicts(study, index, reviewer, blind),
            states.get(study.pmid, NOT_JUDGED_STATE).shown(blind),
        )
        for study in store.studies(session, claim.id, kept[offset : offset + PAGE_SIZE])
    )
    return QueuePage(
        claim=ref,
        filter=flt,
        rows=rows,
        matching=len(kept),
        page=page,
        pages=max(1, -(-len(kept) // PAGE_SIZE)),
        counts=count_states(index.linked, states.values()),
        blind=blind,
    )


def neighbour(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    pmid: str,
    flt: QueueFilter,
    *,
    reviewer: str,
    step: int,
    blind: bool = False,
) -> str | None:
    """The study after (``step`` 1) or before (-1) ``pmid`` in the queue ``flt``, or None."""
    _, claim = find_claim(session, slug, claim_key)
    check_linked(session, claim, pmid)
    blind = blind or claim.review.blind
    return next_in_queue(session, claim, pmid, flt, reviewer, step, wrap=False, blind=blind)


def next_in_queue(
    session: Session,
    claim: store.DeskClaim,
    pmid: str,
    flt: QueueFilter,
    reviewer: str,
    step: int,
    *,
    wrap: bool,
    blind: bool,
) -> str | None:
    """The first study after (``step`` 1) or before (-1) ``pmid`` passing ``flt``; with
    ``wrap``, going round the end of the queue."""
    index = claim_index(session, claim)
    accepts = queue_test(
        session, index, flt, reviewer=reviewer, blind=blind, needed=claim.review.reviewers
    )
    studies = index.studies
    at = index.position(pmid)
    if step > 0:
        start = at + 1 if at >= 0 else 0
        ahead, behind = studies[start:], studies[: max(at, 0)]
    else:
        end = at if at >= 0 else len(studies)
        ahead, behind = studies[:end][::-1], studies[end + 1 :][::-1]
    for study in (*ahead, *(behind if wrap else ())):
        if accepts(study):
            return study.pmid
    return None


def passing(
    session: Session,
    index: ClaimIndex,
    flt: QueueFilter,
    *,
    reviewer: str,
    blind: bool,
    needed: int = 1,
) -> list[str]:
    """The claim's studies passing ``flt``, in study order (``needed``: verdicts per study)."""
    accepts = queue_test(session, index, flt, reviewer=reviewer, blind=blind, needed=needed)
    return [study.pmid for study in index.studies if accepts(study)]


def queue_test(
    session: Session,
    index: ClaimIndex,
    flt: QueueFilter,
    *,
    reviewer: str,
    blind: bool,
    needed: int = 1,
) -> Callable[[store.LinkedStudy], bool]:
    """Whether a study of the claim passes ``flt`` for ``reviewer`` (a search runs in SQL
    once per data generation, when the filter has one)."""
    states = index.states(reviewer)
    unjudged_passes = NOT_JUDGED_STATE.passes(flt, blind=blind, needed=needed)
    hits = (
        index.search_hits(flt.search, partial(store.matching_pmids, session, index.claim_id))
        if flt.search
        else None
    )

    def accepts(study: store.LinkedStudy) -> bool:
        if flt.level is not None and study.level != flt.level:
            return False
        if flt.flag is not None and flt.flag not in study.flags:
            return False
        if hits is not None and study.pmid not in hits:
            return False
        state = states.get(study.pmid)
        if state is None:
            return unjudged_passes
        return state.passes(flt, blind=blind, needed=needed)

    return accepts


def _with_verdicts(study: StudyInfo, index: ClaimIndex, reviewer: str, blind: bool) -> StudyInfo:
    pair = index.pairs.get(study.pmid)
    rows = pair.verdicts if pair else ()
    if blind:
        rows = tuple(v for v in rows if v.reviewer == reviewer)
    return replace(study, verdicts=rows)
