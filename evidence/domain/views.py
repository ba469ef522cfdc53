"""What the reports, the CLI and the review desk show: plain frozen dataclasses, and the
pure rules over them (consensus, re-review, study order), each defined once.

Built by :mod:`evidence.services.views` from storage; rendered by :mod:`evidence.report`
and the CLI. Text fields that come from PubMed are untrusted plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from evidence.domain.audit import is_ncbi_eutils, pmid_order
from evidence.domain.choice import ArticleArg as ArticleArg
from evidence.domain.choice import ArticleChoice as ArticleChoice
from evidence.domain.choice import article_choice as article_choice
from evidence.domain.notices import STATUS_FLAGS
from evidence.domain.review import Agreement as Agreement
from evidence.domain.review import ReviewProtocol as ReviewProtocol
from evidence.domain.review import VerdictInfo as VerdictInfo
from evidence.domain.review import consensus_of as consensus_of
from evidence.domain.review import current_verdicts_of as current_verdicts_of
from evidence.domain.review import decided_verdict, resolution_of
from evidence.domain.review import standing_verdicts as standing_verdicts
from evidence.domain.vocab import NEVER_RUN, RUN_NO_RESULTS, RUN_OK


@dataclass(frozen=True)
class ArticleInfo:
    """The health article under review (one claim set)."""

    slug: str
    title: str
    source: str | None
    url: str | None
    reviewed_on: str | None


@dataclass(frozen=True)
class RefreshInfo:
    """The last ``evidence refresh`` of the claim set."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str


@dataclass(frozen=True)
class RefreshRunInfo:
    """One ``evidence refresh`` of the claim set, for the audit trail: which source answered."""

    refresh_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    tool_version: str
    claims_file: str | None
    claims_sha256: str | None
    source_kind: str
    source_location: str
    source_snapshot: str | None = None

    @property
    def ncbi(self) -> bool:
        """True when NCBI's own E-utilities answered (not a local or stand-in server)."""
        return is_ncbi_eutils(self.source_location)

    @property
    def source_warning(self) -> str | None:
        """``NOT NCBI: <location> (a local or stand-in server)``, or None for NCBI itself."""
        if self.ncbi:
            return None
        return f"NOT NCBI: {self.source_location} (a local or stand-in server)"

    @property
    def info(self) -> RefreshInfo:
        """The short form shown as the last refresh."""
        return RefreshInfo(self.refresh_id, self.started_at, self.finished_at, self.status)


@dataclass(frozen=True)
class SearchRunInfo:
    """One search of a query: what was sent and what the source answered."""

    term: str
    params: tuple[tuple[str, str], ...]
    started_at: datetime
    status: str
    count: int | None
    retrieved: int
    stored: int
    new_pmids: int
    query_translation: str | None
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    unresolved: int
    pmid_set_sha256: str | None
    unresolved_ids: tuple[str, ...] = ()
    message: str | None = None
    stored_total: int | None = None  # of the PMIDs retrieved, how many are stored now
    pmids: tuple[str, ...] = ()  # retrieved, in rank order
    refresh_id: int = 0
    run_id: int = 0
    finished_at: datetime | None = None


@dataclass(frozen=True)
class QueryInfo:
    """A query as defined in the claims file, with its latest run (None if never run)."""

    label: str
    term: str
    latest_run: SearchRunInfo | None
    runs: tuple[SearchRunInfo, ...] = ()  # every search run of the query, oldest first


def rereview_reason(
    flags: Sequence[str], record_sha256: str | None, latest: VerdictInfo | None
) -> str | None:
    """Why a judged study needs judging again (reworded, retracted or changed since), or None.

    The one re-review rule: the claim's statement changed after the latest verdict; the
    study was retracted after it; or the stored record's hash differs from the one judged
    (a hash missing on either side is no evidence of change).
    """
    if latest is None:
        return None
    if not latest.current_wording:
        return "the claim's statement changed since the verdict"
    if "retracted" in flags and "retracted" not in latest.flags_at_review:
        return "retracted since the latest verdict"
    if latest.record_sha256 and record_sha256 and latest.record_sha256 != record_sha256:
        return "the PubMed record changed since the latest verdict"
    return None


@dataclass(frozen=True, slots=True)
class FlagSource:
    """Where one flag of a study comes from: PubMed (a publication type or CommentsCorrections
    link, in ``detail``) or Retraction Watch (with the notice's date, nature and record)."""

    flag: str
    source: str  # PubMed | Retraction Watch
    detail: str | None = None  # "publication type Retracted Publication", "record 1234"
    date: str | None = None  # the notice's date (YYYY-MM-DD), Retraction Watch only
    nature: str | None = None  # Retraction, Correction, Expression of concern, Reinstatement

    @property
    def where(self) -> str:
        """``PubMed`` or ``Retraction Watch, 2024-03-01``."""
        return f"{self.source}, {self.date}" if self.date else self.source

    @property
    def badge(self) -> str:
        """``RETRACTED (Retraction Watch, 2024-03-01)``."""
        return f"{self.flag.replace('-', ' ').upper()} ({self.where})"

    def to_json(self) -> dict[str, str | None]:
        """A JSON-ready dict."""
        return {
            "flag": self.flag,
            "source": self.source,
            "detail": self.detail,
            "date": self.date,
            "nature": self.nature,
        }


def is_funding_type(publication_type: str) -> bool:
    """True for PubMed's funding publication types ("Research Support, N.I.H., Extramural")."""
    return publication_type.casefold().startswith("research support")


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """A study linked to a claim. Text fields come from PubMed: untrusted plain text."""

    pmid: str
    title: str
    authors: tuple[str, ...]
    journal: str | None
    year: int | None
    doi: str | None
    pmc: str | None
    publication_types: tuple[str, ...]
    retracted: bool
    design: str | None = None  # machine grade (evidence.grading); None until graded
    design_label: str | None = None
    evidence_level: int | None = None  # 1 strongest .. 9; None for notices or ungraded
    provisional: bool = False  # graded from wording: the record is not indexed yet
    flags: tuple[str, ...] = ()
    verdicts: tuple[VerdictInfo, ...] = ()  # every reviewer verdict, oldest first
    record_sha256: str | None = None  # of the stored record, to spot changes since review
    relevance: float | None = None  # machine annotations (evidence.stance)
    key_sentence: str | None = None
    key_section: str | None = None
    suggested_stance: str | None = None  # a machine suggestion, never a verdict
    stance_sentence: str | None = None
    stance_cues: tuple[str, ...] = ()
    abstract: tuple[tuple[str, str], ...] = ()  # (section label or "", text), in order
    linked_at: datetime | None = None  # when a search first linked it to the claim
    flag_sources: tuple[FlagSource, ...] = ()  # where each flag comes from (PubMed, RW)

    @property
    def status_sources(self) -> tuple[FlagSource, ...]:
        """The sources of the study's standing flags (retracted, concern, erratum...), one
        per flag and source (the PubMed triggers of one flag are folded into one)."""
        seen: dict[tuple[str, str], FlagSource] = {}
        for source in self.flag_sources:
            if source.flag in STATUS_FLAGS:
                seen.setdefault((source.flag, source.source), source)
        return tuple(seen.values())

    @property
    def badges(self) -> tuple[str, ...]:
        """``RETRACTED (PubMed)``, ``EXPRESSION OF CONCERN (Retraction Watch, 2024-03-01)``."""
        return tuple(s.badge for s in self.status_sources)

    @property
    def retraction_sources(self) -> tuple[str, ...]:
        """Who says the study is retracted: ``PubMed``, ``Retraction Watch``, or both."""
        return tuple(dict.fromkeys(s.source for s in self.status_sources if s.flag == "retracted"))

    @property
    def design_types(self) -> tuple[str, ...]:
        """Publication types that describe the study, without funding notes."""
        return tuple(t for t in self.publication_types if not is_funding_type(t))

    @property
    def funding_types(self) -> tuple[str, ...]:
        """ "Research Support, ..." publication types: who paid, not what design."""
        return tuple(t for t in self.publication_types if is_funding_type(t))

    @property
    def rereview_reason(self) -> str | None:
        """Why the study must be judged again, by :func:`rereview_reason`."""
        standing = self.standing
        return rereview_reason(self.flags, self.record_sha256, standing[-1] if standing else None)

    @property
    def changed_since_review(self) -> bool:
        """True when the record changed, or became retracted, after the latest verdict."""
        return self.rereview_reason is not None

    @property
    def standing(self) -> tuple[VerdictInfo, ...]:
        """The verdicts that stand (:func:`standing_verdicts`); empty: nobody has judged."""
        return standing_verdicts(self.verdicts)

    @property
    def current_verdicts(self) -> dict[str, str]:
        """Each reviewer's latest verdict on the claim's current wording (none if withdrawn)."""
        return current_verdicts_of(self.standing)

    @property
    def resolution(self) -> VerdictInfo | None:
        """An editor's resolution of the reviewers' conflict on this study, or None."""
        return resolution_of(self.verdicts)

    @property
    def level_label(self) -> str:
        """``"2 · Randomized controlled trial"``, marked provisional when it is."""
        if self.design_label is None:
            return "not graded"
        level = f"{self.evidence_level} · " if self.evidence_level is not None else ""
        return level + self.design_label + (" (provisional)" if self.provisional else "")


def consensus_verdict(study: StudyInfo) -> str | None:
    """The study's verdict: an editor's resolution, else the reviewers' common verdict,
    "disputed" when their latest verdicts differ, or None (:func:`decided_verdict`)."""
    return decided_verdict(study.verdicts)


def study_order(study: StudyInfo) -> tuple[int, float, bool, int, int, str]:
    """Strongest evidence level first (notices, ungraded last), then most relevant, newest."""
    level = study.evidence_level if study.evidence_level is not None else 99
    year_key = -study.year if study.year is not None else 0
    relevance = -(study.relevance or 0.0)
    return (level, relevance, study.year is None, year_key, *pmid_order(study.pmid))


@dataclass(frozen=True)
class ClaimChanges:
    """Studies of one claim that appeared, disappeared or were updated between two refreshes."""

    claim: str
    previous_refresh: int | None
    latest_refresh: int | None
    added: Sequence[str]  # compact (``evidence.domain.pmids.PmidArray``) when all digits
    dropped: Sequence[str]
    updated: Sequence[str]
    flagged: tuple[str, ...] = ()  # newly retracted / flagged: "PMID: RETRACTED (source)"
    revised: tuple[str, ...] = ()  # records re-checked and changed: "PMID: title, flags"

    @property
    def changed(self) -> bool:
        """True when anything was added, dropped, updated, flagged or revised."""
        return bool(self.added or self.dropped or self.updated or self.flagged or self.revised)


@dataclass(frozen=True)
class ClaimSummary:
    """What the evidence for one claim amounts to (built by :mod:`evidence.certainty`)."""

    claim: str
    studies: int
    by_level: dict[str, int]
    by_verdict: dict[str, int]  # reviewer consensus per study ("disputed" when they differ)
    by_suggestion: dict[str, int]  # machine suggestions, kept apart
    retracted: int
    certainty: str
    direction: str | None  # supports | contradicts | mixed | None (nothing counted)
    reasons: tuple[str, ...]
    rules_version: str
    conclusion: str = ""  # one of vocab.CONCLUSIONS
    conclusion_label: str = ""  # "Contradicted · high certainty", "Never searched", ...
    searches: dict[str, int] = field(default_factory=dict)  # latest run's state -> queries
    last_searched: datetime | None = None  # the latest search of any of its queries
    new_since_review: int = 0  # unjudged studies linked after the claim's latest verdict
    retracted_by_source: dict[str, int] = field(default_factory=dict)  # PubMed, RW -> studies
    conflicts: int = 0  # studies whose reviewers disagree, not resolved yet
    resolved: int = 0  # studies an editor's resolution decides
    agreement: Agreement | None = None  # set by services.views from evidence.agreement


def search_state(query: QueryInfo) -> str:
    """The state of a query's latest search: ok, no-results, incomplete, failed, never-run."""
    run = query.latest_run
    if run is None:
        return NEVER_RUN
    if run.status == RUN_OK and run.count == 0:
        return RUN_NO_RESULTS  # stored as ok by versions before no-results was kept apart
    return run.status


@dataclass(frozen=True)
class StudyCounts:
    """How many studies a claim has, and how many of them are retracted: for a claim whose
    studies are streamed rather than held (exports)."""

    studies: int
    retracted: int


@dataclass(frozen=True)
class ClaimReport:
    """An active claim with its queries, its active studies and, once built, its summary.

    ``totals``: set when ``studies`` is left empty because the studies are streamed
    (:mod:`evidence.services.exports`); the counts then come from it.
    """

    key: str
    statement: str
    section: str | None
    queries: tuple[QueryInfo, ...]
    studies: tuple[StudyInfo, ...]
    summary: ClaimSummary | None = field(default=None, compare=False)
    review: ReviewProtocol = field(default_factory=ReviewProtocol)
    totals: StudyCounts | None = None

    @property
    def summarized(self) -> ClaimSummary:
        """The summary; views built by :mod:`evidence.services.views` always carry one."""
        if self.summary is None:
            raise ValueError(f"claim {self.key!r} has no summary: build views with services")
        return self.summary

    @property
    def study_count(self) -> int:
        """How many studies the claim has."""
        return self.totals.studies if self.totals else len(self.studies)

    @property
    def retracted_count(self) -> int:
        """How many of the claim's studies are retracted."""
        if self.totals:
            return self.totals.retracted
        return sum(1 for s in self.studies if s.retracted)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows for one claim set."""

    article: ArticleInfo
    generated_at: datetime
    tool_version: str
    last_refresh: RefreshInfo | None
    claims: tuple[ClaimReport, ...]
    changes: tuple[ClaimChanges, ...] = ()  # per claim, since its previous refresh
    rules_version: str = ""  # the grading rules the stored grades follow
    refreshes: tuple[RefreshRunInfo, ...] = ()  # every refresh of the claim set, oldest first
    agreement: Agreement | None = None  # over every claim (services.views)
