"""A claim's queue: its studies passing a filter, strongest first, a page at a time; and
the study before or after one in it.

Order, level and flags come from the claim's in-memory index
(:mod:`evidence.services.desk.index`), states from its verdict pairs by the domain's rules;
only a search over title and abstract and the page's own rows are read from SQL.
"""

from __future__ import annotations

from dataclasses import replace
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
    needed = claim.review.reviewers
    kept = passing(session, index, flt, reviewer=reviewer, blind=blind, needed=needed)
    position = index.position(pmid)
    if step > 0:
        after = [p for p in kept if index.position(p) > position]
        before = [p for p in kept if index.position(p) < position] if wrap else []
        found = after + before
    else:
        before = [p for p in kept if index.position(p) < position][::-1]
        after = [p for p in kept if index.position(p) > position][::-1] if wrap else []
        found = before + after
    return found[0] if found else None


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
    states = index.states(reviewer)
    unjudged_passes = NOT_JUDGED_STATE.passes(flt, blind=blind, needed=needed)
    hits = store.matching_pmids(session, index.claim_id, flt.search) if flt.search else None
    kept = []
    for study in index.studies:
        if flt.level is not None and study.level != flt.level:
            continue
        if flt.flag is not None and flt.flag not in study.flags:
            continue
        if hits is not None and study.pmid not in hits:
            continue
        state = states.get(study.pmid)
        if unjudged_passes if state is None else state.passes(flt, blind=blind, needed=needed):
            kept.append(study.pmid)
    return kept


def _with_verdicts(study: StudyInfo, index: ClaimIndex, reviewer: str, blind: bool) -> StudyInfo:
    pair = index.pairs.get(study.pmid)
    rows = pair.verdicts if pair else ()
    if blind:
        rows = tuple(v for v in rows if v.reviewer == reviewer)
    return replace(study, verdicts=rows)
