"""The desk's home: every article with each claim's conclusion and review progress."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evidence.services.desk.blind import blind_unseen
from evidence.services.desk.pages import ArticleProgress, ClaimProgress
from evidence.services.views import summarized
from evidence.store import reads


def home(session: Session, *, reviewer: str, blind: bool = False) -> list[ArticleProgress]:
    """Every stored article with each claim's conclusion and progress, as ``reviewer`` may
    see them (blind review: see :func:`~evidence.services.desk.blind.blind_unseen`)."""
    found = []
    for slug in reads.stored_slugs(session):
        ref = reads.resolve_claim_set(session, slug)
        data = summarized(reads.read_report(session, ref, with_pmids=False))
        unseen = blind_unseen(session, slug, reviewer=reviewer, blind=blind)
        claims = []
        for claim in data.claims:
            standing = [s for s in claim.studies if s.standing]
            claims.append(
                ClaimProgress(
                    key=claim.key,
                    statement=claim.statement,
                    summary=claim.summarized,
                    linked=len(claim.studies),
                    judged=sum(1 for s in standing if not s.changed_since_review),
                    changed=sum(1 for s in claim.studies if s.changed_since_review),
                    retracted=claim.retracted_count,
                    retracted_judged=sum(1 for s in standing if s.retracted),
                    blind_unseen=unseen.get(claim.key, 0),
                )
            )
        found.append(ArticleProgress(ref.article, tuple(claims), data.agreement))
    return found
