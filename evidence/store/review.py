"""The review protocol as stored: per claim set, and per claim (NULL inherits the set's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.domain.review import ReviewProtocol
from evidence.store.models import Claim, ClaimSet

DEFAULT = ReviewProtocol()


def effective(claim_set: ClaimSet, claim: Claim | None = None) -> ReviewProtocol:
    """The protocol that applies: the claim's own setting, else the set's, else the default."""
    reviewers = claim.review_reviewers if claim is not None else None
    blind = claim.review_blind if claim is not None else None
    return ReviewProtocol(
        reviewers=reviewers or claim_set.review_reviewers or DEFAULT.reviewers,
        blind=_first(blind, claim_set.review_blind, DEFAULT.blind),
    )


def protocols(session: Session, claim_set_id: int) -> dict[int, ReviewProtocol]:
    """Claim row id -> its effective protocol, for every claim of the set (one statement)."""
    rows = session.execute(
        select(Claim, ClaimSet)
        .join(ClaimSet, ClaimSet.id == Claim.claim_set_id)
        .where(ClaimSet.id == claim_set_id)
    )
    return {claim.id: effective(claim_set, claim) for claim, claim_set in rows}


def set_protocol(
    session: Session,
    claim_set_id: int,
    claim_key: str | None,
    *,
    reviewers: int | None,
    blind: bool | None,
) -> ReviewProtocol:
    """Store ``reviewers``/``blind`` (None: unchanged) on the claim set, or on its claim
    ``claim_key``; the protocol that then applies there."""
    claim_set = session.get_one(ClaimSet, claim_set_id)
    row: ClaimSet | Claim = claim_set
    claim = None
    if claim_key is not None:
        claim = session.scalars(
            select(Claim).where(Claim.claim_set_id == claim_set_id, Claim.key == claim_key)
        ).one()
        row = claim
    if reviewers is not None:
        row.review_reviewers = reviewers
    if blind is not None:
        row.review_blind = blind
    session.flush()
    return effective(claim_set, claim)


def _first(*values: bool | None) -> bool:
    return next(v for v in values if v is not None)
