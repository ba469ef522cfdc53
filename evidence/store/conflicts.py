"""What the conflict queue reads: only the pairs whose reviewers gave different verdicts.

A conflict needs two reviewers' current verdicts that differ, so its pair holds at least
two distinct verdict values among the reviewers' rows. SQL narrows the claim set to those
pairs (a superset of the conflicts: withdrawn, superseded and resolved pairs stay in it);
the domain's ``in_conflict`` decides, over each pair's full rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Subquery, distinct, func, select
from sqlalchemy.orm import Session

from evidence.domain.review import ReviewProtocol
from evidence.domain.views import StudyInfo
from evidence.domain.vocab import KIND_RESOLUTION
from evidence.store.models import Claim, Verdict
from evidence.store.reads import ClaimSetRef, _studies_by_claim, active_claims


@dataclass(frozen=True)
class DisputedClaim:
    """An active claim, its review protocol, and its studies with differing verdicts."""

    key: str
    review: ReviewProtocol
    studies: tuple[StudyInfo, ...]  # study order, without authors and abstracts


def disputed_claims(
    session: Session, ref: ClaimSetRef, claim_key: str | None = None
) -> list[DisputedClaim]:
    """Every active claim of the set, in order, each with its active studies whose
    reviewers' rows hold two or more verdicts (only ``claim_key``'s studies when given;
    5 statements)."""
    pairs = _differing_pairs(ref.id)
    studies = _studies_by_claim(
        session, ref.id, details=False, claim_key=claim_key, pairs=pairs, titles=True
    )
    return [
        DisputedClaim(claim.key, protocol, tuple(studies[claim.id]))
        for claim, protocol in active_claims(session, ref.id)
    ]


def _differing_pairs(claim_set_id: int) -> Subquery:
    """(claim_id, pmid) of the set's pairs whose reviewers' rows hold two verdicts or more."""
    return (
        select(Verdict.claim_id, Verdict.pmid)
        .join(Claim, Claim.id == Verdict.claim_id)
        .where(Claim.claim_set_id == claim_set_id, Verdict.kind != KIND_RESOLUTION)
        .group_by(Verdict.claim_id, Verdict.pmid)
        .having(func.count(distinct(Verdict.verdict)) > 1)
        .subquery()
    )
