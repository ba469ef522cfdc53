"""Claims against what is stored: which claims' wording changed since it was judged, and
the review protocol of a claim set or claim (``claims set-review``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from evidence.domain.claims import ClaimsFile
from evidence.domain.errors import ConfigError, NotAllowedError, UnknownClaimError
from evidence.domain.review import ReviewProtocol
from evidence.domain.views import ArticleArg
from evidence.domain.vocab import MAX_REVIEWERS, role_can
from evidence.store import reads, review, writes


def wording_changes(session: Session, claims_file: ClaimsFile) -> dict[str, int]:
    """Claim id -> its stored statement version, for claims whose statement differs from it.

    The next refresh stores the new wording as a new version; verdicts given for the stored
    one are then kept, marked, and their studies go back into the review queue.
    """
    stored = writes.stored_statements(session, claims_file.slug)
    return {
        claim.id: stored[claim.id][0]
        for claim in claims_file.claims
        if claim.id in stored and stored[claim.id][1] != writes.statement_sha256(claim.statement)
    }


@dataclass(frozen=True)
class ReviewSetting:
    """Where ``claims set-review`` stored a protocol, and the protocol that now applies."""

    article: str
    claim: str | None  # None: the whole claim set
    protocol: ReviewProtocol


def set_review(
    session: Session,
    target: str,
    *,
    reviewers: int | None,
    blind: bool | None,
    slug: ArticleArg = None,
    role: str | None = None,
) -> ReviewSetting:
    """Store the review protocol of ``target``: the article's slug (every claim without a
    setting of its own) or one of its claim ids. An editor's action.

    A claims file's ``[review]`` overrides what it states at the next refresh; what it
    leaves out stays as set here.
    """
    if not role_can(role, "manage-claims"):
        raise NotAllowedError(f"a {role} may not change the review protocol: ask an editor")
    if reviewers is None and blind is None:
        raise ConfigError("nothing to set: give --reviewers N and/or --blind/--no-blind")
    if reviewers is not None and not 1 <= reviewers <= MAX_REVIEWERS:
        raise ConfigError(f"--reviewers must be from 1 to {MAX_REVIEWERS}, not {reviewers}")
    ref = reads.resolve_claim_set(session, slug)
    keys = reads.claim_keys(session, ref.slug)
    if target != ref.slug and target not in keys:
        raise UnknownClaimError.of("claim or article", target, [ref.slug, *keys])
    claim = None if target == ref.slug else target
    protocol = review.set_protocol(session, ref.id, claim, reviewers=reviewers, blind=blind)
    return ReviewSetting(ref.slug, claim, protocol)
