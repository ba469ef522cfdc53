"""Read functions: what the report shows, as plain frozen dataclasses.

A report is loaded in a fixed number of queries (ten), never one per claim or study:
authors and publication types of every study come in one query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import Subquery, select
from sqlalchemy.orm import Session

import evidence
from evidence import grading
from evidence.domain.errors import NothingStoredError, UnknownArticleError
from evidence.domain.records import Author
from evidence.services.changes import ClaimChanges, claim_changes
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    Query,
    RefreshRun,
    SearchRun,
    Verdict,
)

RETRACTED_TYPE = "Retracted Publication"
RETRACTION_LINK = "RetractionIn"
PUBMED_BASE = "https://pubmed.ncbi.nlm.nih.gov/"
DOI_BASE = "https://doi.org/"
PMC_BASE = "https://pmc.ncbi.nlm.nih.gov/articles/"
HIDDEN_PARAMS = frozenset({"api_key", "email", "tool", "term"})  # term: its own field

RowT = TypeVar("RowT")


# --- the data ------------------------------------------------------------------------------


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
class SearchRunInfo:
    """The latest esearch of a query: what was sent and what PubMed answered."""

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


@dataclass(frozen=True)
class QueryInfo:
    """A query as defined in the claims file, with its latest run (None if never run)."""

    label: str
    term: str
    latest_run: SearchRunInfo | None
    runs: tuple[SearchRunInfo, ...] = ()  # every search run of the query, oldest first


@dataclass(frozen=True)
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

    @property
    def changed_since_review(self) -> bool:
        """True when the record changed, or became retracted, after the latest verdict."""
        if not self.verdicts:
            return False
        latest = self.verdicts[-1]
        if "retracted" in self.flags and "retracted" not in latest.flags_at_review:
            return True
        return bool(latest.record_sha256 and self.record_sha256) and (
            latest.record_sha256 != self.record_sha256
        )

    @property
    def current_verdicts(self) -> dict[str, str]:
        """Each reviewer's latest verdict."""
        return {v.reviewer: v.verdict for v in self.verdicts}

    @property
    def level_label(self) -> str:
        """``"2 · Randomized controlled trial"``, marked provisional when it is."""
        if self.design_label is None:
            return "not graded"
        level = f"{self.evidence_level} · " if self.evidence_level is not None else ""
        return level + self.design_label + (" (provisional)" if self.provisional else "")

    @property
    def pubmed_url(self) -> str:
        """The record on PubMed."""
        return f"{PUBMED_BASE}{quote(self.pmid, safe='')}/"

    @property
    def doi_url(self) -> str | None:
        """The DOI resolver URL, the DOI percent-encoded (``/`` kept)."""
        doi = (self.doi or "").strip()
        return f"{DOI_BASE}{quote(doi, safe='/')}" if doi else None

    @property
    def pmc_url(self) -> str | None:
        """The full text on PubMed Central, when the PMC id is well formed."""
        digits = (self.pmc or "").strip().upper().removeprefix("PMC")
        return f"{PMC_BASE}PMC{digits}/" if digits.isdigit() else None


@dataclass(frozen=True)
class VerdictInfo:
    """A reviewer's verdict on a claim-study pair."""

    reviewer: str
    verdict: str
    note: str | None
    created_at: datetime
    record_sha256: str | None = None  # the record as it was when judged
    flags_at_review: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimReport:
    """An active claim with its queries and its active studies."""

    key: str
    statement: str
    section: str | None
    queries: tuple[QueryInfo, ...]
    studies: tuple[StudyInfo, ...]

    @property
    def retracted_count(self) -> int:
        """How many of the claim's studies are retracted."""
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
    rules_version: str = grading.RULES_VERSION


# --- loading -------------------------------------------------------------------------------


def load_report(
    session: Session, slug: str | None = None, *, now: datetime | None = None
) -> ReportData:
    """The report of claim set ``slug`` (or of the only one stored)."""
    claim_set = resolve_claim_set(session, slug)
    claims = list(
        session.scalars(
            select(Claim)
            .where(Claim.claim_set_id == claim_set.id, Claim.active.is_(True))
            .order_by(Claim.position, Claim.id)
        )
    )
    queries = _queries_by_claim(session, claim_set.id)
    studies = _studies_by_claim(session, claim_set.id)
    return ReportData(
        article=ArticleInfo(
            claim_set.slug, claim_set.title, claim_set.source, claim_set.url, claim_set.reviewed_on
        ),
        generated_at=now or datetime.now(UTC),
        tool_version=evidence.__version__,
        last_refresh=_last_refresh(session, claim_set.id),
        changes=tuple(claim_changes(session, claim_set.id)),
        claims=tuple(
            ClaimReport(c.key, c.statement, c.section, tuple(queries[c.id]), tuple(studies[c.id]))
            for c in claims
        ),
    )


def resolve_claim_set(session: Session, slug: str | None) -> ClaimSet:
    """The claim set ``slug``; without a slug, the only one stored."""
    slugs = list(session.scalars(select(ClaimSet.slug).order_by(ClaimSet.slug)))
    if not slugs:
        raise NothingStoredError("nothing stored yet: run `evidence refresh` first")
    if slug is None:
        if len(slugs) > 1:
            raise UnknownArticleError(
                f"the database holds several articles: choose one with --article "
                f"({', '.join(slugs)})"
            )
        slug = slugs[0]
    claim_set = session.scalar(select(ClaimSet).where(ClaimSet.slug == slug))
    if claim_set is None:
        raise UnknownArticleError(f"no article {slug!r} stored (known: {', '.join(slugs)})")
    return claim_set


def claim_keys(session: Session, slug: str) -> list[str]:
    """The active claim ids of claim set ``slug``, in order."""
    return list(
        session.scalars(
            select(Claim.key)
            .join(ClaimSet)
            .where(ClaimSet.slug == slug, Claim.active.is_(True))
            .order_by(Claim.position, Claim.id)
        )
    )


def _last_refresh(session: Session, claim_set_id: int) -> RefreshInfo | None:
    run = session.scalar(
        select(RefreshRun)
        .where(RefreshRun.claim_set_id == claim_set_id)
        .order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc())
        .limit(1)
    )
    if run is None:
        return None
    return RefreshInfo(
        run_id=run.id,
        started_at=as_utc(run.started_at),
        finished_at=as_utc(run.finished_at) if run.finished_at else None,
        status=run.status,
    )


def _queries_by_claim(session: Session, claim_set_id: int) -> defaultdict[int, list[QueryInfo]]:
    queries = list(
        session.scalars(
            select(Query)
            .join(Claim)
            .where(Claim.claim_set_id == claim_set_id, Query.active.is_(True))
            .order_by(Query.claim_id, Query.position, Query.id)
        )
    )
    runs = _all_runs(session, [q.id for q in queries])
    by_claim: defaultdict[int, list[QueryInfo]] = defaultdict(list)
    for query in queries:
        history = tuple(_run_info(r) for r in runs.get(query.id, ()))
        info = QueryInfo(query.label, query.term, history[-1] if history else None, history)
        by_claim[query.claim_id].append(info)
    return by_claim


def _all_runs(session: Session, query_ids: list[int]) -> dict[int, list[SearchRun]]:
    """Every search run of each query, oldest first, in one query."""
    found: dict[int, list[SearchRun]] = defaultdict(list)
    if not query_ids:
        return found
    runs = session.scalars(
        select(SearchRun)
        .where(SearchRun.query_id.in_(query_ids))
        .order_by(SearchRun.started_at, SearchRun.id)
    )
    for run in runs:
        found[run.query_id].append(run)
    return found


def _run_info(run: SearchRun) -> SearchRunInfo:
    return SearchRunInfo(
        term=run.term,
        params=_visible_params(run.params or {}),
        started_at=as_utc(run.started_at),
        status=run.status,
        count=run.count,
        retrieved=run.retrieved,
        stored=run.stored,
        new_pmids=run.new_pmids,
        query_translation=run.query_translation,
        warnings=tuple(str(w) for w in run.warnings or ()),
        errors=tuple(str(e) for e in run.errors or ()),
        unresolved=len(run.unresolved or {}),
        pmid_set_sha256=run.pmid_set_sha256,
        unresolved_ids=tuple(sorted(run.unresolved or {}, key=lambda p: (len(p), p))),
        message=run.message,
    )


def _visible_params(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The esearch parameters besides the term; never the key, e-mail or tool name."""
    return tuple(
        (str(k), str(v)) for k, v in sorted(params.items()) if k.lower() not in HIDDEN_PARAMS
    )


# --- studies ---------------------------------------------------------------------------------


def _active_links(claim_set_id: int) -> Subquery:
    return (
        select(
            ClaimArticle.claim_id,
            ClaimArticle.pmid,
            ClaimArticle.relevance,
            ClaimArticle.key_sentence,
            ClaimArticle.key_section,
            ClaimArticle.suggested_stance,
            ClaimArticle.stance_sentence,
            ClaimArticle.stance_cues,
        )
        .join(Claim, Claim.id == ClaimArticle.claim_id)
        .where(
            Claim.claim_set_id == claim_set_id,
            Claim.active.is_(True),
            ClaimArticle.active.is_(True),
        )
        .subquery()
    )


def _studies_by_claim(session: Session, claim_set_id: int) -> defaultdict[int, list[StudyInfo]]:
    links = _active_links(claim_set_id)
    pmids = select(links.c.pmid).distinct()
    authors = _grouped(
        session.scalars(
            select(ArticleAuthor)
            .where(ArticleAuthor.pmid.in_(pmids))
            .order_by(ArticleAuthor.pmid, ArticleAuthor.position)
        ),
        lambda a: (a.pmid, _author_name(a)),
    )
    types = _grouped(
        session.scalars(
            select(ArticlePublicationType)
            .where(ArticlePublicationType.pmid.in_(pmids))
            .order_by(ArticlePublicationType.pmid, ArticlePublicationType.position)
        ),
        lambda t: (t.pmid, t.name),
    )
    noted = select(ArticleLink.pmid).where(
        ArticleLink.pmid.in_(pmids), ArticleLink.ref_type == RETRACTION_LINK
    )
    retraction_noted = set(session.scalars(noted.distinct()))
    by_claim: defaultdict[int, list[StudyInfo]] = defaultdict(list)
    rows = session.execute(select(links, Article).join(Article, Article.pmid == links.c.pmid))
    for row in rows:
        article, pmid = row.Article, row.Article.pmid
        study = _study(article, authors[pmid], types[pmid], pmid in retraction_noted)
        by_claim[row.claim_id].append(
            replace(
                study,
                relevance=row.relevance,
                key_sentence=row.key_sentence,
                key_section=row.key_section,
                suggested_stance=row.suggested_stance,
                stance_sentence=row.stance_sentence,
                stance_cues=tuple(row.stance_cues or ()),
            )
        )
    verdicts = _verdicts(session, claim_set_id)
    for claim_id, studies in by_claim.items():
        studies[:] = [
            replace(s, verdicts=tuple(verdicts.get((claim_id, s.pmid), ()))) for s in studies
        ]
        studies.sort(key=study_order)
    return by_claim


def _verdicts(session: Session, claim_set_id: int) -> dict[tuple[int, str], list[VerdictInfo]]:
    rows = session.scalars(
        select(Verdict)
        .join(Claim, Claim.id == Verdict.claim_id)
        .where(Claim.claim_set_id == claim_set_id)
        .order_by(Verdict.created_at, Verdict.id)
    )
    found: dict[tuple[int, str], list[VerdictInfo]] = defaultdict(list)
    for row in rows:
        info = VerdictInfo(
            row.reviewer,
            row.verdict,
            row.note,
            as_utc(row.created_at),
            row.record_sha256,
            tuple(row.flags_at_review or ()),
        )
        found[(row.claim_id, row.pmid)].append(info)
    return found


def _study(article: Article, authors: list[str], kinds: list[str], noted: bool) -> StudyInfo:
    return StudyInfo(
        pmid=article.pmid,
        title=article.title,
        authors=tuple(authors),
        journal=article.journal,
        year=article.year,
        doi=article.doi,
        pmc=article.pmc,
        publication_types=tuple(kinds),
        retracted=noted or RETRACTED_TYPE in kinds or "retracted" in article.flags,
        design=article.design,
        design_label=article.design_label,
        evidence_level=article.evidence_level,
        provisional=article.grade_provisional,
        flags=tuple(article.flags),
        record_sha256=article.record_sha256,
    )


def _grouped(rows: Iterable[RowT], pair: Callable[[RowT], tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        pmid, value = pair(row)
        if value:
            grouped[pmid].append(value)
    return grouped


def _author_name(row: ArticleAuthor) -> str:
    return Author(
        last_name=row.last_name,
        fore_name=row.fore_name,
        initials=row.initials,
        collective_name=row.collective_name,
    ).display_name


def study_order(study: StudyInfo) -> tuple[int, float, bool, int, int, str]:
    """Strongest evidence level first (notices, ungraded last), then most relevant, newest."""
    level = study.evidence_level if study.evidence_level is not None else 99
    year_key = -study.year if study.year is not None else 0
    relevance = -(study.relevance or 0.0)
    return (level, relevance, study.year is None, year_key, len(study.pmid), study.pmid)


def as_utc(moment: datetime) -> datetime:
    """A stored time made timezone-aware (SQLite hands back naive UTC datetimes)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
