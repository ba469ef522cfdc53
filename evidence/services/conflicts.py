"""The conflict queue, and editors' resolutions of it.

A study is in conflict when at least the claim's required number of reviewers have a
current verdict on it and they disagree, and no resolution decides it
(:func:`~evidence.domain.review.in_conflict`). An editor resolves it by appending a row of
kind ``resolution`` with a reason; the certainty then counts the resolution's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from evidence.domain.errors import (
    InvalidVerdictError,
    MissingReasonError,
    MissingReviewerError,
    NoConflictError,
    NotAllowedError,
    UnknownClaimError,
)
from evidence.domain.review import (
    ReviewProtocol,
    current_verdicts_of,
    in_conflict,
    standing_verdicts,
)
from evidence.domain.views import ArticleArg, StudyInfo, study_order
from evidence.domain.vocab import KIND_RESOLUTION, VERDICTS, role_can
from evidence.services.review import VerdictRow, verdict_info
from evidence.store import conflicts as conflict_store
from evidence.store import reads, verdicts, writes
from evidence.store import review as review_store

MAX_REASON = 2_000


@dataclass(frozen=True)
class Conflict:
    """A study whose reviewers disagree, waiting for an editor's resolution."""

    claim: str
    pmid: str
    title: str
    level: str
    verdicts: dict[str, str]  # reviewer -> current verdict
    notes: dict[str, str]  # reviewer -> the note of that verdict, when they gave one
    reviewers: int  # how many verdicts the claim asks for
    blind: bool = False  # the claim asks for blind review

    def hidden_from(self, reviewer: str, *, blind: bool = False) -> bool:
        """True when ``reviewer`` may not see this conflict yet: blind review (the claim's,
        or ``blind`` for every claim) and no verdict of their own among the disagreeing."""
        return (self.blind or blind) and reviewer not in self.verdicts


def conflicts(
    session: Session, claim_key: str | None = None, *, slug: ArticleArg = None
) -> list[Conflict]:
    """The unresolved conflicts of the claim set (or of one claim), claim by claim, in
    evidence order (only the pairs whose verdicts differ are read: a fixed number of
    statements)."""
    ref = reads.resolve_claim_set(session, slug)
    claims = conflict_store.disputed_claims(session, ref, claim_key)
    keys = [c.key for c in claims]
    if claim_key is not None and claim_key not in keys:
        raise UnknownClaimError.of("claim", claim_key, keys)
    return [
        _conflict(claim.key, study, claim.review)
        for claim in claims
        if claim_key is None or claim.key == claim_key
        for study in sorted(claim.studies, key=study_order)
        if in_conflict(study.verdicts, claim.review)
    ]


def _conflict(claim_key: str, study: StudyInfo, protocol: ReviewProtocol) -> Conflict:
    standing = [v for v in study.standing if v.current_wording]
    latest = {v.reviewer: v for v in standing}
    return Conflict(
        claim=claim_key,
        pmid=study.pmid,
        title=study.title,
        level=study.level_label,
        verdicts={name: v.verdict for name, v in latest.items()},
        notes={name: v.note for name, v in latest.items() if v.note},
        reviewers=protocol.reviewers,
        blind=protocol.blind,
    )


def resolve(
    session: Session,
    claim_key: str,
    pmid: str,
    verdict: str,
    *,
    editor: str | None,
    reason: str | None,
    role: str | None = None,
    slug: ArticleArg = None,
) -> VerdictRow:
    """Append an editor's resolution of the conflict on (claim, pmid), with its reason.

    ``role``: the account's (None: local use, every role); only editors and admins may
    resolve. The reviewers' verdicts must disagree; a later resolution supersedes an earlier
    one, nothing is deleted.
    """
    if not role_can(role, "resolve"):
        raise NotAllowedError(f"a {role} may not resolve conflicts: ask an editor")
    if verdict not in VERDICTS:
        raise InvalidVerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not editor or not editor.strip():
        raise MissingReviewerError("give --editor NAME or set EVIDENCE_REVIEWER")
    why = (reason or "").strip()
    if not why:
        raise MissingReasonError("a resolution needs its reason (--reason)")
    if len(why) > MAX_REASON:
        raise MissingReasonError(f"the reason is over {MAX_REASON:,} characters")
    ref = reads.resolve_claim_set(session, slug)
    claim = writes.claim_by_key(session, ref.slug, claim_key)
    record = verdicts.linked_record(session, claim.id, pmid)
    if record is None:
        raise NoConflictError(f"PMID {pmid} is not linked to claim {claim_key!r}")
    rows = [verdict_info(r) for r in verdicts.verdicts_of(session, claim.id, pmid)]
    current = current_verdicts_of(standing_verdicts(rows))
    if len(set(current.values())) < 2:
        raise NoConflictError(f"the reviewers do not disagree on PMID {pmid} for {claim_key!r}")
    row = verdicts.add_verdict(
        session, claim.id, record, verdict, editor.strip(), None, kind=KIND_RESOLUTION, reason=why
    )
    return VerdictRow(
        claim_key,
        row.pmid,
        row.verdict,
        row.reviewer,
        None,
        row.created_at,
        kind=row.kind,
        reason=row.reason,
    )


def protocol_of(session: Session, claim_key: str, *, slug: ArticleArg = None) -> ReviewProtocol:
    """The review protocol that applies to ``claim_key``."""
    ref = reads.resolve_claim_set(session, slug)
    claim = writes.claim_by_key(session, ref.slug, claim_key)
    return review_store.protocols(session, ref.id)[claim.id]
