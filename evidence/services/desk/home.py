"""The desk's home: every article with each claim's conclusion and review progress."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evidence.services.desk.pages import ArticleProgress, ClaimProgress
from evidence.services.views import as_seen_by, summarized
from evidence.store import reads


def home(
    session: Session, *, reviewer: str | None = None, blind: bool = False
) -> list[ArticleProgress]:
    """Every stored article with each claim's conclusion and progress; with ``reviewer``,
    as they may see it (blind claims, every claim with ``blind``: the others' verdicts on
    studies they have not judged are left out of the counts, conclusions and agreement)."""
    found = []
    for slug in reads.stored_slugs(session):
        ref = reads.resolve_claim_set(session, slug)
        data = reads.read_report(session, ref, with_pmids=False)
        if reviewer is not None:
            data = as_seen_by(data, reviewer, blind=blind)
        data = summarized(data)
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
                )
            )
        found.append(ArticleProgress(ref.article, tuple(claims), data.agreement))
    return found
