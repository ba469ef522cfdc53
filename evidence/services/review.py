"""Reviewer verdicts: append-only verdicts and their history (the queue is a view).

A verdict is never updated or deleted: a change of mind is a new row, so the history shows
who said what and when. Several reviewers may judge the same pair; disagreement is shown.
Refreshes never touch verdicts; a study whose record changed (or was retracted) after its
latest verdict is flagged for re-review (:func:`evidence.domain.views.rereview_reason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.domain.errors import (
    InvalidVerdictError,
    MissingReviewerError,
    NothingToWithdrawError,
    UnknownStudyError,
)
from evidence.domain.review import (
    current_verdicts_of,
    hides_others,
    resolution_of,
    standing_verdicts,
    visible_to,
)
from evidence.domain.views import ArticleArg, VerdictInfo, rereview_reason
from evidence.domain.vocab import KIND_VERDICT, VERDICTS, WITHDRAWN
from evidence.services.views import QueueItem, review_queue
from evidence.store import reads, verdicts, writes
from evidence.store import review as review_store

__all__ = [
    "PairStatus",
    "QueueItem",
    "VerdictRow",
    "pair_status",
    "record_verdict",
    "review_queue",
    "withdraw_verdict",
]


@dataclass(frozen=True)
class VerdictRow:
    """One recorded verdict."""

    claim: str
    pmid: str
    verdict: str
    reviewer: str
    note: str | None
    created_at: datetime
    warning: str | None = None  # e.g. the study is retracted
    kind: str = KIND_VERDICT  # verdict | resolution
    reason: str | None = None  # why a resolution decided so


@dataclass(frozen=True)
class PairStatus:
    """The verdicts on one claim-study pair: latest per reviewer, agreement, re-review."""

    claim: str
    pmid: str
    title: str
    history: tuple[VerdictRow, ...]
    current: dict[str, str]  # reviewer -> latest verdict
    needs_rereview: bool
    rereview_reason: str | None
    resolution: str | None = None  # an editor's decision on the reviewers' conflict
    hidden: bool = False  # blind review: the others' rows are left out until you judge

    @property
    def disagreement(self) -> bool:
        """True when reviewers' latest verdicts differ."""
        return len(set(self.current.values())) > 1


def record_verdict(
    session: Session,
    claim_key: str,
    pmid: str,
    verdict: str,
    *,
    reviewer: str | None,
    note: str | None = None,
    slug: ArticleArg = None,
) -> VerdictRow:
    """Append a verdict on the pair (claim, pmid); the study must be linked to the claim."""
    if verdict not in VERDICTS:
        raise InvalidVerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not reviewer or not reviewer.strip():
        raise MissingReviewerError("give --reviewer NAME or set EVIDENCE_REVIEWER")
    claim_id = _claim_id(session, slug, claim_key)
    record = _linked(session, claim_id, claim_key, pmid)
    row = verdicts.add_verdict(session, claim_id, record, verdict, reviewer.strip(), note or None)
    warning = None
    if "retracted" in record.flags:
        warning = f"PMID {pmid} is retracted: the verdict is recorded, but retracted studies"
        warning += " never count towards the claim's conclusion"
    return VerdictRow(
        claim_key, row.pmid, row.verdict, row.reviewer, row.note, row.created_at, warning
    )


def withdraw_verdict(
    session: Session,
    claim_key: str,
    pmid: str,
    *,
    reviewer: str | None,
    slug: ArticleArg = None,
) -> VerdictRow:
    """Take back the reviewer's current verdict on (claim, pmid): append a ``withdrawn`` row.

    Nothing is deleted; the reviewer then has no current verdict on the pair, which goes
    back into the queue unless another reviewer's verdict stands.
    """
    if not reviewer or not reviewer.strip():
        raise MissingReviewerError("give --reviewer NAME or set EVIDENCE_REVIEWER")
    name = reviewer.strip()
    claim_id = _claim_id(session, slug, claim_key)
    record = _linked(session, claim_id, claim_key, pmid)
    rows = [
        r
        for r in verdicts.verdicts_of(session, claim_id, pmid)
        if r.reviewer == name and r.kind == KIND_VERDICT
    ]
    if not rows or rows[-1].verdict == WITHDRAWN:
        raise NothingToWithdrawError(f"{name} has no verdict on PMID {pmid} for {claim_key!r}")
    row = verdicts.add_verdict(session, claim_id, record, WITHDRAWN, name, None)
    return VerdictRow(claim_key, row.pmid, row.verdict, row.reviewer, row.note, row.created_at)


def pair_status(
    session: Session,
    claim_key: str,
    pmid: str | None = None,
    *,
    slug: ArticleArg = None,
    reviewer: str | None = None,
) -> list[PairStatus]:
    """Every judged pair of the claim (or just ``pmid``), with history and re-review flags.

    With ``reviewer`` on a blind claim, a pair they have not judged shows only their own
    rows (:func:`~evidence.domain.review.visible_to`); pairs with none are left out.
    """
    claim_id = _claim_id(session, slug, claim_key)
    if pmid is not None:
        _linked(session, claim_id, claim_key, pmid)
    protocol = review_store.protocols(session, _set_id(session, slug)).get(claim_id)
    by_pmid: dict[str, list[VerdictInfo]] = {}
    for row in verdicts.verdicts_of(session, claim_id, pmid):
        by_pmid.setdefault(row.pmid, []).append(verdict_info(row))
    if reviewer is not None and protocol is not None:
        by_pmid = {p: list(visible_to(rows, reviewer, protocol)) for p, rows in by_pmid.items()}
        hidden = {p for p, rows in by_pmid.items() if hides_others(rows, reviewer, protocol)}
    else:
        hidden = set()
    stored = verdicts.records_of(session, set(by_pmid))
    return [
        _status(claim_key, stored[p], by_pmid[p], p in hidden)
        for p in sorted(by_pmid)
        if by_pmid[p]
    ]


def _set_id(session: Session, slug: ArticleArg) -> int:
    return reads.resolve_claim_set(session, slug).id


def _claim_id(session: Session, slug: ArticleArg, key: str) -> int:
    return writes.claim_by_key(session, reads.resolve_claim_set(session, slug).slug, key).id


def _linked(session: Session, claim_id: int, claim_key: str, pmid: str) -> verdicts.LinkedRecord:
    record = verdicts.linked_record(session, claim_id, pmid)
    if record is None:
        raise UnknownStudyError(f"PMID {pmid} is not linked to claim {claim_key!r}")
    return record


def _status(
    claim_key: str, record: verdicts.LinkedRecord, rows: list[VerdictInfo], hidden: bool
) -> PairStatus:
    standing = standing_verdicts(rows)  # rows are oldest first
    reason = rereview_reason(record.flags, record.record_sha256, standing[-1] if standing else None)
    resolution = resolution_of(rows)
    return PairStatus(
        claim=claim_key,
        pmid=record.pmid,
        title=record.title,
        history=tuple(
            VerdictRow(
                claim_key,
                record.pmid,
                r.verdict,
                r.reviewer,
                r.note,
                r.created_at,
                kind=r.kind,
                reason=r.reason,
            )
            for r in rows
        ),
        current=current_verdicts_of(standing),
        needs_rereview=reason is not None,
        rereview_reason=reason,
        resolution=resolution.verdict if resolution else None,
        hidden=hidden,
    )


def verdict_info(row: verdicts.VerdictRecord) -> VerdictInfo:
    """A stored verdict row as the domain's view of it."""
    return VerdictInfo(
        row.reviewer,
        row.verdict,
        row.note,
        row.created_at,
        row.record_sha256,
        row.flags_at_review,
        row.statement_version,
        row.current_wording,
        row.kind,
        row.reason,
    )
