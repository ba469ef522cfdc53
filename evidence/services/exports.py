"""Exports streamed with flat memory: no study is held longer than its batch.

:func:`load_export` reads the claims, queries and runs, then streams each exported claim's
study index once, in study order (ordered by the database), to build its summary
(:class:`evidence.certainty.StudyTally`: counts, and only the judged studies) and to count
the studies the filters keep. :class:`ExportStudies` then streams the kept studies again,
``batch`` PMIDs at a time, with every detail. The output equals the export built from
:func:`evidence.services.views.load_report_index` and ``filter_report``, byte for byte.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

from sqlalchemy.orm import Session

from evidence import agreement
from evidence.certainty import StudyTally, summarize_tally
from evidence.domain.errors import UnknownClaimError
from evidence.domain.review import ReviewProtocol, visible_to
from evidence.domain.views import (
    ArticleArg,
    ClaimReport,
    ReportData,
    StudyCounts,
    StudyInfo,
    consensus_verdict,
)
from evidence.domain.vocab import NOT_REVIEWED
from evidence.store import reads


@dataclass(frozen=True)
class ExportFilter:
    """Which claims and studies an export keeps (``evidence export`` options)."""

    claims: Collection[str] = ()
    max_level: int | None = None  # graded at this level or stronger
    verdicts: Collection[str] = ()  # reviewer consensus among these
    as_reviewer: str | None = None  # as that reviewer may see the verdicts

    def passes(self, study: StudyInfo) -> bool:
        """True when ``study`` (as the reviewer sees it) passes the level and verdict filters."""
        level = study.evidence_level
        if self.max_level is not None and (level is None or level > self.max_level):
            return False
        return not self.verdicts or (consensus_verdict(study) or NOT_REVIEWED) in self.verdicts

    def seen(self, study: StudyInfo, protocol: ReviewProtocol) -> StudyInfo:
        """``study`` with the verdict rows the reviewer may see (all without a reviewer)."""
        if self.as_reviewer is None:
            return study
        return replace(study, verdicts=visible_to(study.verdicts, self.as_reviewer, protocol))


def load_export(
    session: Session,
    slug: ArticleArg = None,
    selection: ExportFilter = ExportFilter(),
    *,
    now: datetime | None = None,
    batch: int = 500,
) -> tuple[ReportData, ExportStudies]:
    """The exported claims (summaries built, their kept studies counted, none held) and the
    reader of their kept studies in study order."""
    from evidence import grading  # loaded with a report, not by every command

    ref = reads.resolve_claim_set(session, slug)
    data = reads.read_report(session, ref, now=now, with_pmids=False, studies=False)
    kept = _selected(data.claims, selection.claims)
    studies = ExportStudies(session, ref, selection, kept, batch)
    claims = tuple(studies.counted(claim) for claim in kept)
    return replace(data, claims=claims, rules_version=grading.RULES_VERSION), studies


def _selected(claims: Sequence[ClaimReport], wanted: Collection[str]) -> tuple[ClaimReport, ...]:
    known = [claim.key for claim in claims]
    unknown = [key for key in wanted if key not in known]
    if unknown:
        raise UnknownClaimError.of("claim", unknown[0], known)
    return tuple(claim for claim in claims if not wanted or claim.key in wanted)


@dataclass
class ExportStudies:
    """Streams the kept studies of an exported claim in study order, ``batch`` at a time
    (a :data:`evidence.report.studies.StudyReader`), and says which exported claims each
    study it gave is kept in (:meth:`claims_of`, for the reference formats)."""

    session: Session
    ref: reads.ClaimSetRef
    selection: ExportFilter
    claims: tuple[ClaimReport, ...]
    batch: int = 500
    _links: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False)
    _pending: tuple[str, ...] = field(default=(), init=False)

    def counted(self, claim: ClaimReport) -> ClaimReport:
        """``claim`` with its summary (over every study) and the counts of its kept studies,
        from one pass over its index."""
        counts, kept, retracted = StudyTally(), 0, 0
        for study in self._index(claim, None):
            counts.add(study)
            if self.selection.passes(study):
                kept, retracted = kept + 1, retracted + study.retracted
        judged = replace(claim, studies=tuple(counts.judged))
        summary = replace(summarize_tally(claim, counts), agreement=agreement.of_claim(judged))
        return replace(claim, summary=summary, totals=StudyCounts(kept, retracted))

    def __call__(self, claim: ClaimReport) -> Iterator[StudyInfo]:
        for chunk in self._kept_pmids(claim):
            studies = reads.read_studies(self.session, self.ref, claim.key, chunk)
            self._links, self._pending = {}, tuple(chunk)
            for study in studies:
                yield self.selection.seen(study, claim.review)

    def claims_of(self, claim: ClaimReport, study: StudyInfo) -> tuple[str, ...]:
        """The exported claims (in order) that keep ``study``, one of the last batch given."""
        if len(self.claims) == 1:
            return (claim.key,)
        if self._pending:
            self._links, self._pending = self._linked(self._pending), ()
        return self._links[study.pmid]

    def _kept_pmids(self, claim: ClaimReport) -> Iterator[list[str]]:
        """The PMIDs of the claim's kept studies, ``batch`` at a time."""
        for chunk in self._index_chunks(claim, self.selection.max_level):
            if not self.selection.verdicts:
                yield chunk
                continue
            found = reads.read_studies(self.session, self.ref, claim.key, chunk, details=False)
            kept = [s.pmid for s in found if self._keeps(claim, s)]
            if kept:
                yield kept

    def _index(self, claim: ClaimReport, max_level: int | None) -> Iterator[StudyInfo]:
        """The index of the claim's studies in study order, as the reviewer sees them."""
        for chunk in self._index_chunks(claim, max_level):
            found = reads.read_studies(self.session, self.ref, claim.key, chunk, details=False)
            for study in found:
                yield self.selection.seen(study, claim.review)

    def _index_chunks(self, claim: ClaimReport, max_level: int | None) -> Iterator[list[str]]:
        pmids = reads.ordered_pmids(self.session, self.ref, claim.key, max_level=max_level)
        while chunk := list(islice(pmids, self.batch)):
            yield chunk

    def _linked(self, pmids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """PMID -> the exported claims that keep it, for a batch of PMIDs (of one level:
        without a verdict filter, every claim linking it keeps it)."""
        if not self.selection.verdicts:
            pairs = reads.linking_claims(self.session, self.ref, pmids)
            keys = [claim.key for claim in self.claims]
            return {pmid: tuple(k for k in keys if (k, pmid) in pairs) for pmid in pmids}
        linked = reads.read_linked(self.session, self.ref, pmids)
        found: dict[str, list[str]] = {pmid: [] for pmid in pmids}
        for claim in self.claims:
            for study in linked.get(claim.key, ()):
                if self._keeps(claim, study):
                    found[study.pmid].append(claim.key)
        return {pmid: tuple(keys) for pmid, keys in found.items()}

    def _keeps(self, claim: ClaimReport, study: StudyInfo) -> bool:
        return self.selection.passes(self.selection.seen(study, claim.review))
