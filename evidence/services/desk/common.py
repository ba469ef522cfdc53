"""What every desk operation starts with: the claim asked for, and the study checked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evidence.domain.errors import UnknownClaimError, UnknownStudyError
from evidence.domain.views import ArticleArg
from evidence.services.desk.pages import ClaimRef
from evidence.store import desk as store
from evidence.store import reads


def find_claim(session: Session, slug: ArticleArg, key: str) -> tuple[ClaimRef, store.DeskClaim]:
    """The active claim ``key`` of the article, or :class:`UnknownClaimError`."""
    ref = reads.resolve_claim_set(session, slug)
    claim = store.desk_claim(session, ref.id, key)
    if claim is None:
        known = store.active_claim_keys(session, ref.id)
        raise UnknownClaimError.of("claim", key, known, f" for article {ref.slug!r}")
    return ClaimRef(ref.article, claim.key, claim.statement, claim.section), claim


def check_linked(session: Session, claim: store.DeskClaim, pmid: str) -> None:
    """Refuse anything but a PMID linked to the claim (:class:`UnknownStudyError`)."""
    if not (pmid.isascii() and pmid.isdigit() and len(pmid) <= 20):
        raise UnknownStudyError(f"not a PMID: {pmid[:40]!r}")
    if not store.is_linked(session, claim.id, pmid):
        raise UnknownStudyError(f"PMID {pmid} is not linked to claim {claim.key!r}")
