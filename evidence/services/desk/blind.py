"""Blind review beyond the card: which claims still hide other reviewers' verdicts.

The card hides the others' verdicts on a study until this reviewer has judged it. Home's
verdict counts and conclusion, and the report (every study's verdicts), sum those same
verdicts up: for a claim under blind review they stay hidden while a study carries rows the
card would hide (:func:`~evidence.domain.review.hides_others`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from evidence.domain.review import ReviewProtocol, visible_to
from evidence.domain.views import ArticleArg
from evidence.services.desk.index import ClaimIndex, claim_index
from evidence.store import desk as store
from evidence.store import reads


def blind_unseen(
    session: Session, slug: ArticleArg, *, reviewer: str, blind: bool = False
) -> dict[str, int]:
    """Claim key -> how many of its studies carry verdicts ``reviewer`` may not see yet,
    for the article's claims under blind review (``blind``: every claim); claims with none
    are left out."""
    ref = reads.resolve_claim_set(session, slug)
    found: dict[str, int] = {}
    for key in store.active_claim_keys(session, ref.id):
        claim = store.desk_claim(session, ref.id, key)
        if claim is None or not (blind or claim.review.blind):
            continue
        protocol = replace(claim.review, blind=True)
        if unseen := unseen_studies(claim_index(session, claim), reviewer, protocol):
            found[key] = unseen
    return found


def unseen_studies(index: ClaimIndex, reviewer: str, protocol: ReviewProtocol) -> int:
    """The claim's active studies carrying rows ``reviewer`` may not see yet
    (:func:`~evidence.domain.review.visible_to`, the rule the card follows)."""
    return sum(
        1
        for pmid, pair in index.pairs.items()
        if len(visible_to(pair.verdicts, reviewer, protocol)) < len(pair.verdicts)
        and index.position(pmid) >= 0
    )
