"""The views every output shows, each built once: the report data with its claim summaries,
the claim ids, and the review queue (from the same loaded report, no extra queries)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from evidence import agreement
from evidence.certainty import summarize
from evidence.domain.errors import UnknownClaimError
from evidence.domain.review import visible_to
from evidence.domain.views import ArticleArg, ClaimReport, ReportData, StudyInfo, study_order
from evidence.store import reads


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


def load_report(
    session: Session,
    slug: ArticleArg = None,
    *,
    now: datetime | None = None,
    as_reviewer: str | None = None,
    blind: bool = False,
) -> ReportData:
    """The report of claim set ``slug`` (or of the only one stored), summaries included.

    ``as_reviewer``: as that reviewer may see it (:func:`as_seen_by`): on blind claims
    (every claim with ``blind``), the studies they have not judged yet show only their
    own rows.
    """
    ref = reads.resolve_claim_set(session, slug)
    data = reads.read_report(session, ref, now=now)
    if as_reviewer is not None:
        data = as_seen_by(data, as_reviewer, blind=blind)
    return _report(session, ref, data)


def load_report_index(
    session: Session,
    slug: ArticleArg = None,
    *,
    now: datetime | None = None,
    as_reviewer: str | None = None,
) -> tuple[ReportData, StudyPages]:
    """The report with each study's index fields only (no authors, no abstracts), summaries
    included, and the reader of the claims' full studies in batches: for outputs that must
    not hold every study at once (exports, the report's studies.csv). ``as_reviewer``: as
    in :func:`load_report`, for the index and for every study read."""
    ref = reads.resolve_claim_set(session, slug)
    data = reads.read_report(session, ref, now=now, details=False)
    if as_reviewer is not None:
        data = as_seen_by(data, as_reviewer)
    return _report(session, ref, data), StudyPages(session, ref, reviewer=as_reviewer)


def _report(session: Session, ref: reads.ClaimSetRef, data: ReportData) -> ReportData:
    from evidence import grading  # loaded with a report, not by every command
    from evidence.services.changes import claim_changes_at_once

    return replace(
        summarized(data),
        changes=tuple(claim_changes_at_once(session, ref.id)),
        rules_version=grading.RULES_VERSION,
    )


def as_seen_by(data: ReportData, reviewer: str, *, blind: bool = False) -> ReportData:
    """``data`` as ``reviewer`` may see it: on a blind claim (every claim with ``blind``,
    the desk's own flag), a study they have no current verdict on keeps only their own
    rows (no other reviewer's, no resolution), so neither the rows nor the consensus,
    certainty and agreement built from them give the others away."""
    return replace(data, claims=tuple(_seen_by(c, reviewer, blind) for c in data.claims))


def _seen_by(claim: ClaimReport, reviewer: str, blind: bool) -> ClaimReport:
    protocol = replace(claim.review, blind=True) if blind else claim.review
    if not protocol.blind:
        return claim
    return replace(
        claim,
        studies=tuple(
            replace(s, verdicts=visible_to(s.verdicts, reviewer, protocol)) for s in claim.studies
        ),
    )


@dataclass(frozen=True)
class StudyPages:
    """Reads a claim's full studies in its order, ``batch`` PMIDs per statement group, so
    a caller holds one batch at a time (a :data:`evidence.report.studies.StudyReader`)."""

    session: Session
    ref: reads.ClaimSetRef
    batch: int = 500
    reviewer: str | None = None  # as that reviewer may see them (:func:`as_seen_by`)

    def __call__(self, claim: ClaimReport) -> Iterator[StudyInfo]:
        pmids = [study.pmid for study in claim.studies]
        for start in range(0, len(pmids), self.batch):
            chunk = pmids[start : start + self.batch]
            for study in reads.read_studies(self.session, self.ref, claim.key, chunk):
                if self.reviewer is not None:
                    study = replace(
                        study, verdicts=visible_to(study.verdicts, self.reviewer, claim.review)
                    )
                yield study


def summarized(data: ReportData) -> ReportData:
    """``data`` with every claim's summary built, and the agreement over every claim."""
    return replace(
        data,
        claims=tuple(with_summary(c) for c in data.claims),
        agreement=agreement.overall(data.claims),
    )


def with_summary(claim: ClaimReport) -> ClaimReport:
    """The claim with its certainty summary (machine suggestions counted apart) and its
    reviewers' agreement."""
    suggestions = {s.pmid: s.suggested_stance for s in claim.studies if s.suggested_stance}
    summary = replace(summarize(claim, suggestions), agreement=agreement.of_claim(claim))
    return replace(claim, summary=summary)


def claim_keys(session: Session, slug: str) -> list[str]:
    """The active claim ids of claim set ``slug``, in order."""
    return reads.claim_keys(session, slug)


def review_queue(
    session: Session,
    claim_key: str | None = None,
    *,
    slug: ArticleArg = None,
    reviewer: str | None = None,
) -> list[QueueItem]:
    """Studies still needing verdicts, or changed since judged, in evidence order, claim by
    claim (:func:`needs_review`); with ``reviewer``, only those that need theirs.

    Built from one loaded report: a fixed number of statements whatever the claims,
    studies and verdicts.
    """
    report = reads.read_report(session, reads.resolve_claim_set(session, slug), with_pmids=False)
    keys = [c.key for c in report.claims]
    if claim_key is not None and claim_key not in keys:
        raise UnknownClaimError.of("claim", claim_key, keys)
    return [
        _queue_item(claim.key, study)
        for claim in report.claims
        if claim_key is None or claim.key == claim_key
        for study in sorted(claim.studies, key=study_order)
        if needs_review(study, claim.review.reviewers, reviewer)
    ]


def needs_review(study: StudyInfo, reviewers: int, reviewer: str | None = None) -> bool:
    """True when the study changed since judged, or has fewer current verdicts than the
    claim's ``reviewers`` (and, with ``reviewer``, none of theirs)."""
    if study.changed_since_review:
        return True
    current = study.current_verdicts
    if reviewer is not None and reviewer in current:
        return False
    return len(current) < reviewers


def _queue_item(claim_key: str, study: StudyInfo) -> QueueItem:
    return QueueItem(
        claim=claim_key,
        pmid=study.pmid,
        title=study.title,
        year=study.year,
        level=study.level_label,
        flags=study.flags,
        rereview=bool(study.standing),
        key_sentence=study.key_sentence,
        suggested_stance=study.suggested_stance,
    )


@dataclass(frozen=True)
class StatusView:
    """What ``evidence status`` shows: the report's summaries and when the ledger was last
    refreshed and re-checked."""

    report: ReportData
    last_recheck: datetime | None


def status(session: Session, slug: ArticleArg = None) -> StatusView:
    """The article's claim summaries, last refresh and last successful re-check."""
    ref = reads.resolve_claim_set(session, slug)  # first: "nothing stored" loads no more
    data = _report(session, ref, reads.read_report(session, ref, details=False))
    from evidence.store import recheck as recheck_store

    return StatusView(data, recheck_store.last_recheck(session, ref.id))
