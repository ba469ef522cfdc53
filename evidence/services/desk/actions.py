"""Recording and withdrawing verdicts from the desk (through :mod:`evidence.services.review`,
as the CLI does), and the study to open next."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from evidence.domain.views import ArticleArg
from evidence.services import review
from evidence.services.desk.common import check_linked, find_claim
from evidence.services.desk.filters import CHANGED, MINE, TODO, UNJUDGED, QueueFilter
from evidence.services.desk.pages import Judged
from evidence.services.desk.queue import next_in_queue
from evidence.store import desk as store


def judge(
    session: Session,
    slug: ArticleArg,
    claim_key: str,
    pmid: str,
    verdict: str,
    *,
    reviewer: str,
    note: str | None,
    flt: QueueFilter,
    blind: bool = False,
) -> Judged:
    """Record ``reviewer``'s verdict (the CLI's ``review set``) and find the next study to
    judge: the first after this one in the queue still to do, wrapping round."""
    store.begin_write(session)  # a refresh may be writing: wait for it, never fail
    ref, claim = find_claim(session, slug, claim_key)
    check_linked(session, claim, pmid)
    row = review.record_verdict(
        session, claim_key, pmid, verdict, reviewer=reviewer, note=note, slug=ref.article.slug
    )
    session.flush()
    blind = blind or claim.review.blind
    todo = flt if flt.state in (TODO, UNJUDGED, MINE, CHANGED) else replace(flt, state=TODO)
    nxt = next_in_queue(session, claim, pmid, todo, reviewer, 1, wrap=True, blind=blind)
    return Judged(row, nxt)


def undo(session: Session, slug: ArticleArg, claim_key: str, pmid: str, *, reviewer: str) -> Judged:
    """Withdraw ``reviewer``'s current verdict on the pair (an appended ``withdrawn`` row)."""
    store.begin_write(session)
    ref, claim = find_claim(session, slug, claim_key)
    check_linked(session, claim, pmid)
    row = review.withdraw_verdict(
        session, claim_key, pmid, reviewer=reviewer, slug=ref.article.slug
    )
    return Judged(row, pmid)
