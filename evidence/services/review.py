"""Reviewer verdicts: the queue of studies to judge, append-only verdicts, their history.

A verdict is never updated or deleted: a change of mind is a new row, so the history shows
who said what and when. Several reviewers may judge the same pair; disagreement is shown.
Refreshes never touch verdicts; a study whose record changed (or was retracted) after its
latest verdict is flagged for re-review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.domain.errors import (
    InvalidVerdictError,
    MissingReviewerError,
    UnknownClaimError,
    UnknownStudyError,
)
from evidence.store import writes
from evidence.store.models import Article, Claim, ClaimArticle, Verdict
from evidence.store.reads import load_report as _load_report
from evidence.store.reads import resolve_claim_set, study_order

VERDICTS = ("supports", "contradicts", "mixed", "inconclusive", "not-relevant")


@dataclass(frozen=True)
class VerdictRow:
    """One recorded verdict."""

    claim: str
    pmid: str
    verdict: str
    reviewer: str
    note: str | None
    created_at: datetime


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

    @property
    def disagreement(self) -> bool:
        """True when reviewers' latest verdicts differ."""
        return len(set(self.current.values())) > 1


@dataclass(frozen=True)
class QueueItem:
    """A study of a claim not judged yet (or flagged for re-review)."""

    claim: str
    pmid: str
    title: str
    year: int | None
    level: str
    flags: tuple[str, ...]
    rereview: bool
    key_sentence: str | None = None
    suggested_stance: str | None = None  # machine suggestion, shown as such


def record_verdict(
    session: Session,
    claim_key: str,
    pmid: str,
    verdict: str,
    *,
    reviewer: str | None,
    note: str | None = None,
    slug: str | None = None,
) -> VerdictRow:
    """Append a verdict on the pair (claim, pmid); the study must be linked to the claim."""
    if verdict not in VERDICTS:
        raise InvalidVerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if not reviewer or not reviewer.strip():
        raise MissingReviewerError("give --reviewer NAME or set EVIDENCE_REVIEWER")
    claim = _claim(session, slug, claim_key)
    article = _linked_article(session, claim, pmid)
    row = Verdict(
        claim_id=claim.id,
        pmid=pmid,
        verdict=verdict,
        reviewer=reviewer.strip(),
        note=note or None,
        created_at=writes.utcnow(),
        record_sha256=article.record_sha256,
        flags_at_review=list(article.flags),
    )
    session.add(row)
    session.flush()
    return _row(claim.key, row)


def pair_status(
    session: Session, claim_key: str, pmid: str | None = None, *, slug: str | None = None
) -> list[PairStatus]:
    """Every judged pair of the claim (or just ``pmid``), with history and re-review flags."""
    claim = _claim(session, slug, claim_key)
    if pmid is not None:
        _linked_article(session, claim, pmid)
    query = select(Verdict).where(Verdict.claim_id == claim.id)
    if pmid is not None:
        query = query.where(Verdict.pmid == pmid)
    verdicts = list(session.scalars(query.order_by(Verdict.created_at, Verdict.id)))
    by_pmid: dict[str, list[Verdict]] = {}
    for verdict in verdicts:
        by_pmid.setdefault(verdict.pmid, []).append(verdict)
    return [
        _status(claim.key, session.get(Article, p), rows) for p, rows in sorted(by_pmid.items())
    ]


def review_queue(
    session: Session, claim_key: str | None = None, *, slug: str | None = None
) -> list[QueueItem]:
    """Studies not judged yet, or changed since judged, in evidence order, claim by claim."""
    report = _load_report(session, slug)
    claim_set = resolve_claim_set(session, report.article.slug)
    keys = [c.key for c in report.claims]
    if claim_key is not None and claim_key not in keys:
        raise UnknownClaimError(f"unknown claim {claim_key!r} (known: {', '.join(keys)})")
    items: list[QueueItem] = []
    for claim in report.claims:
        if claim_key is not None and claim.key != claim_key:
            continue
        judged = {s.pmid: s for s in pair_status(session, claim.key, slug=claim_set.slug)}
        for study in sorted(claim.studies, key=study_order):
            status = judged.get(study.pmid)
            if status is not None and not status.needs_rereview:
                continue
            items.append(
                QueueItem(
                    claim=claim.key,
                    pmid=study.pmid,
                    title=study.title,
                    year=study.year,
                    level=study.level_label,
                    flags=study.flags,
                    rereview=status is not None,
                    key_sentence=study.key_sentence,
                    suggested_stance=study.suggested_stance,
                )
            )
    return items


def _claim(session: Session, slug: str | None, key: str) -> Claim:
    return writes.claim_by_key(session, resolve_claim_set(session, slug).slug, key)


def _linked_article(session: Session, claim: Claim, pmid: str) -> Article:
    link = session.get(ClaimArticle, (claim.id, pmid))
    article = session.get(Article, pmid) if link is not None else None
    if article is None:
        raise UnknownStudyError(f"PMID {pmid} is not linked to claim {claim.key!r}")
    return article


def _status(claim_key: str, article: Article | None, rows: list[Verdict]) -> PairStatus:
    assert article is not None  # verdicts reference stored articles (foreign key)
    history = tuple(_row(claim_key, r) for r in rows)
    current = {r.reviewer: r.verdict for r in rows}  # rows are oldest first
    latest = rows[-1]
    reason = None
    if "retracted" in article.flags and "retracted" not in latest.flags_at_review:
        reason = "retracted since the latest verdict"
    elif article.record_sha256 != latest.record_sha256:
        reason = "the PubMed record changed since the latest verdict"
    return PairStatus(
        claim=claim_key,
        pmid=article.pmid,
        title=article.title,
        history=history,
        current=current,
        needs_rereview=reason is not None,
        rereview_reason=reason,
    )


def _row(claim_key: str, row: Verdict) -> VerdictRow:
    return VerdictRow(
        claim=claim_key,
        pmid=row.pmid,
        verdict=row.verdict,
        reviewer=row.reviewer,
        note=row.note,
        created_at=row.created_at,
    )
