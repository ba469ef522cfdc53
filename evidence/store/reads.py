"""Read functions: what the report shows, as the domain's view dataclasses.

A report is read in a fixed number of queries, never one per claim or study: authors and
publication types of every study come in one query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Subquery, and_, case, func, select
from sqlalchemy.orm import Session

import evidence
from evidence.domain.audit import as_utc, pmid_order
from evidence.domain.errors import NothingStoredError, UnknownArticleError
from evidence.domain.notices import PUBMED, RETRACTED, RETRACTION_WATCH, notice_flag_names
from evidence.domain.records import AbstractSection, Author, MeshHeading
from evidence.domain.records import Article as Record
from evidence.domain.review import ReviewProtocol
from evidence.domain.views import (
    ArticleArg,
    ArticleInfo,
    ClaimReport,
    FlagSource,
    QueryInfo,
    RefreshRunInfo,
    ReportData,
    SearchRunInfo,
    StudyInfo,
    VerdictInfo,
    article_choice,
    study_order,
)
from evidence.store import review
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticleMesh,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    ClaimStatement,
    Query,
    RefreshRun,
    SearchRun,
    SearchRunPmid,
    Verdict,
)
from evidence.store.probe import NOTHING_STORED
from evidence.store.verdicts import VERDICT_INFO_COLUMNS, join_judged, verdict_info_of

RETRACTED_TYPE = "Retracted Publication"
RETRACTION_LINK = "RetractionIn"
T = TypeVar("T")
_ROWS_PER_FETCH = 2_000  # study rows fetched at a time: the result is never buffered whole
_PMIDS_PER_FETCH = 500  # PMIDs in study order fetched at a time (ordered_pmids)
HIDDEN_PARAMS = frozenset({"api_key", "email", "tool", "term"})  # term: its own field


@dataclass(frozen=True)
class ClaimSetRef:
    """A stored claim set: its row id and slug."""

    id: int
    slug: str
    article: ArticleInfo


# --- loading -------------------------------------------------------------------------------


def read_report(
    session: Session,
    ref: ClaimSetRef,
    *,
    now: datetime | None = None,
    with_pmids: bool = True,
    details: bool = True,
    studies: bool = True,
) -> ReportData:
    """The claims, queries, runs, studies and verdicts of a claim set (no changes, summaries).

    ``with_pmids=False`` leaves each search run's PMIDs out (one statement fewer);
    ``details=False`` reads the studies' index only: no authors, abstracts or texts (read
    them in batches with :func:`read_studies`); ``studies=False`` reads no study at all
    (stream them with :func:`ordered_pmids` and :func:`read_studies`).
    """
    claims = active_claims(session, ref.id)
    queries = _queries_by_claim(session, ref.id, with_pmids=with_pmids)
    linked = _studies_by_claim(session, ref.id, details=details) if studies else defaultdict(list)
    refreshes = _refreshes(session, ref.id)
    return ReportData(
        article=ref.article,
        generated_at=now or datetime.now(UTC),
        tool_version=evidence.__version__,
        last_refresh=refreshes[-1].info if refreshes else None,
        claims=tuple(
            ClaimReport(
                c.key,
                c.statement,
                c.section,
                tuple(queries[c.id]),
                tuple(linked[c.id]),
                review=protocol,
            )
            for c, protocol in claims
        ),
        refreshes=refreshes,
    )


def active_claims(session: Session, claim_set_id: int) -> list[tuple[Claim, ReviewProtocol]]:
    """The set's active claims in order, each with the review protocol that applies to it
    (one statement)."""
    rows = session.execute(
        select(Claim, ClaimSet)
        .join(ClaimSet, ClaimSet.id == Claim.claim_set_id)
        .where(Claim.claim_set_id == claim_set_id, Claim.active.is_(True))
        .order_by(Claim.position, Claim.id)
    )
    return [(claim, review.effective(claim_set, claim)) for claim, claim_set in rows]


def resolve_claim_set(session: Session, choice: ArticleArg) -> ClaimSetRef:
    """The claim set chosen: asked for, else the preferred one if stored, else the only one
    (one statement)."""
    choice = article_choice(choice)
    stored = {c.slug: c for c in session.scalars(select(ClaimSet).order_by(ClaimSet.slug))}
    slugs = list(stored)
    if not slugs:
        raise NothingStoredError(NOTHING_STORED)
    slug = choice.slug
    if slug is None:
        if len(slugs) == 1:
            slug = slugs[0]
        elif choice.preferred in slugs:
            slug = choice.preferred
        else:
            raise UnknownArticleError(
                f"the database holds several articles: choose one with --article "
                f"({', '.join(slugs)})"
            )
    found = stored.get(slug)
    if found is None:
        raise UnknownArticleError(f"no article {slug!r} stored (known: {', '.join(slugs)})")
    article = ArticleInfo(found.slug, found.title, found.source, found.url, found.reviewed_on)
    return ClaimSetRef(found.id, found.slug, article)


def stored_slugs(session: Session) -> list[str]:
    """The articles (claim-set slugs) stored, in order."""
    return list(session.scalars(select(ClaimSet.slug).order_by(ClaimSet.slug)))


def has_verdicts(session: Session, slug: str) -> bool:
    """True when a reviewer judged any study of a claim of article ``slug`` (one query)."""
    found = session.scalar(
        select(Verdict.id)
        .join(Claim, Claim.id == Verdict.claim_id)
        .join(ClaimSet, ClaimSet.id == Claim.claim_set_id)
        .where(ClaimSet.slug == slug)
        .limit(1)
    )
    return found is not None


def link_texts(session: Session, pmids: Sequence[str]) -> list[Record]:
    """The stored ones of ``pmids`` as records holding what a link's annotation reads
    (title, abstract and its sections, keywords, MeSH headings), in two queries; no raw
    XML, nothing re-parsed."""
    rows = session.execute(
        select(
            Article.pmid, Article.title, Article.abstract, Article.abstract_sections,
            Article.keywords,
        ).where(Article.pmid.in_(pmids))
    ).all()  # fmt: skip
    headings: defaultdict[str, list[MeshHeading]] = defaultdict(list)
    mesh = session.execute(
        select(
            ArticleMesh.pmid, ArticleMesh.descriptor, ArticleMesh.ui, ArticleMesh.major,
            ArticleMesh.qualifiers, ArticleMesh.major_qualifiers,
        )
        .where(ArticleMesh.pmid.in_(pmids))
        .order_by(ArticleMesh.pmid, ArticleMesh.position)
    )  # fmt: skip
    for pmid, descriptor, ui, major, qualifiers, major_qualifiers in mesh:
        headings[pmid].append(
            MeshHeading(descriptor, ui, major, tuple(qualifiers), tuple(major_qualifiers))
        )
    return [
        Record(
            pmid=pmid,
            title=title,
            abstract=abstract,
            abstract_sections=tuple(AbstractSection(**s) for s in sections or ()),
            keywords=tuple(keywords or ()),
            mesh_headings=tuple(headings[pmid]),
        )
        for pmid, title, abstract, sections, keywords in rows
    ]


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


def _refreshes(session: Session, claim_set_id: int) -> tuple[RefreshRunInfo, ...]:
    """Every refresh run of the claim set, oldest first, in one statement."""
    rows = session.scalars(
        select(RefreshRun)
        .where(RefreshRun.claim_set_id == claim_set_id)
        .order_by(RefreshRun.started_at, RefreshRun.id)
    )
    return tuple(
        RefreshRunInfo(
            refresh_id=run.id,
            started_at=as_utc(run.started_at),
            finished_at=as_utc(run.finished_at) if run.finished_at else None,
            status=run.status,
            tool_version=run.tool_version,
            claims_file=run.claims_file,
            claims_sha256=run.claims_sha256,
            source_kind=run.source_kind,
            source_location=run.source_location,
            source_snapshot=run.source_snapshot,
        )
        for run in rows
    )


def _queries_by_claim(
    session: Session, claim_set_id: int, *, with_pmids: bool
) -> defaultdict[int, list[QueryInfo]]:
    queries = list(
        session.scalars(
            select(Query)
            .join(Claim)
            .where(Claim.claim_set_id == claim_set_id, Query.active.is_(True))
            .order_by(Query.claim_id, Query.position, Query.id)
        )
    )
    query_ids = [q.id for q in queries]
    runs = _all_runs(session, query_ids)
    pmids = _run_pmids(session, query_ids) if with_pmids else {}
    stored = _stored_totals(session, claim_set_id)
    by_claim: defaultdict[int, list[QueryInfo]] = defaultdict(list)
    for query in queries:
        history = tuple(
            _run_info(r, stored.get(r.id, 0), pmids.get(r.id, ())) for r in runs.get(query.id, ())
        )
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


def _stored_totals(session: Session, claim_set_id: int) -> dict[int, int]:
    """Search run id -> how many of the PMIDs it retrieved are stored now, in one query."""
    rows = session.execute(
        select(SearchRunPmid.search_run_id, func.count())
        .join(Article, Article.pmid == SearchRunPmid.pmid)
        .join(SearchRun, SearchRun.id == SearchRunPmid.search_run_id)
        .join(Query, Query.id == SearchRun.query_id)
        .join(Claim, Claim.id == Query.claim_id)
        .where(Claim.claim_set_id == claim_set_id)
        .group_by(SearchRunPmid.search_run_id)
    )
    return {run_id: count for run_id, count in rows}


def _run_pmids(session: Session, query_ids: list[int]) -> dict[int, list[str]]:
    """The PMIDs of every search run of these queries, in rank order, in one statement."""
    found: dict[int, list[str]] = defaultdict(list)
    if not query_ids:
        return found
    run_ids = select(SearchRun.id).where(SearchRun.query_id.in_(query_ids))
    rows = session.execute(
        select(SearchRunPmid.search_run_id, SearchRunPmid.pmid)
        .where(SearchRunPmid.search_run_id.in_(run_ids))
        .order_by(SearchRunPmid.search_run_id, SearchRunPmid.position)
    )
    for run_id, pmid in rows:
        found[run_id].append(pmid)
    return found


def _run_info(run: SearchRun, stored_total: int, pmids: Iterable[str] = ()) -> SearchRunInfo:
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
        unresolved_ids=tuple(sorted(run.unresolved or {}, key=pmid_order)),
        message=run.message,
        stored_total=stored_total if run.status != "failed" else None,
        pmids=tuple(pmids),
        refresh_id=run.refresh_run_id,
        run_id=run.id,
        finished_at=as_utc(run.finished_at) if run.finished_at else None,
    )


def _visible_params(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The esearch parameters besides the term; never the key, e-mail or tool name."""
    return tuple(
        (str(k), str(v)) for k, v in sorted(params.items()) if k.lower() not in HIDDEN_PARAMS
    )


# --- studies ---------------------------------------------------------------------------------

# The article columns every study row holds (the index: level, flags, order, re-review);
# never the raw XML, MeSH or other unused JSON columns.
_INDEX_COLUMNS = (
    Article.pmid,
    Article.year,
    Article.design,
    Article.design_label,
    Article.evidence_level,
    Article.grade_provisional,
    Article.flags,
    Article.flag_sources,
    Article.notices,
    Article.record_sha256,
)
# The link columns of the index; the key and stance sentences come with the details.
_INDEX_LINK_FIELDS = ("claim_id", "link_pmid", "relevance", "suggested_stance", "first_seen_at")
_TEXT_COLUMNS = (Article.title, Article.journal, Article.doi, Article.pmc)
_ABSTRACT_COLUMNS = (Article.abstract, Article.abstract_sections)


def _active_links(
    claim_set_id: int,
    claim_key: str | None = None,
    pmids: Sequence[str] | None = None,
    pairs: Subquery | None = None,
) -> Subquery:
    query = (
        select(
            ClaimArticle.claim_id,
            ClaimArticle.pmid.label("link_pmid"),
            ClaimArticle.relevance,
            ClaimArticle.key_sentence,
            ClaimArticle.key_section,
            ClaimArticle.suggested_stance,
            ClaimArticle.stance_sentence,
            ClaimArticle.stance_cues,
            ClaimArticle.first_seen_at,
        )
        .join(Claim, Claim.id == ClaimArticle.claim_id)
        .where(
            Claim.claim_set_id == claim_set_id,
            Claim.active.is_(True),
            ClaimArticle.active.is_(True),
        )
    )
    if claim_key is not None:
        query = query.where(Claim.key == claim_key)
    if pmids is not None:
        query = query.where(ClaimArticle.pmid.in_(pmids))
    if pairs is not None:
        query = query.join(pairs, _pair_is(pairs, ClaimArticle.claim_id, ClaimArticle.pmid))
    return query.subquery()


def _pair_is(pairs: Subquery, claim_id: Any, pmid: Any) -> ColumnElement[bool]:
    """The join condition that keeps a query to the (claim_id, pmid) rows of ``pairs``."""
    return and_(pairs.c.claim_id == claim_id, pairs.c.pmid == pmid)


def read_studies(
    session: Session,
    ref: ClaimSetRef,
    claim_key: str,
    pmids: Sequence[str],
    *,
    details: bool = True,
) -> list[StudyInfo]:
    """The studies ``pmids`` of claim ``claim_key``, in the order given (a batch: the
    caller keeps it to a few hundred PMIDs); PMIDs not linked to the claim are left out.
    ``details=False``: their index only (as :func:`read_report`)."""
    found = _studies_by_claim(session, ref.id, claim_key=claim_key, pmids=pmids, details=details)
    by_pmid = {s.pmid: s for studies in found.values() for s in studies}
    return [by_pmid[p] for p in pmids if p in by_pmid]


def read_linked(
    session: Session, ref: ClaimSetRef, pmids: Sequence[str]
) -> dict[str, list[StudyInfo]]:
    """Active claim id -> the index of those of ``pmids`` (a batch) linked to it."""
    active = select(Claim.id, Claim.key).where(Claim.claim_set_id == ref.id, Claim.active.is_(True))
    keys: dict[int, str] = {claim_id: key for claim_id, key in session.execute(active)}
    found = _studies_by_claim(session, ref.id, details=False, pmids=pmids)
    return {keys[claim_id]: studies for claim_id, studies in found.items()}


def linking_claims(
    session: Session, ref: ClaimSetRef, pmids: Sequence[str]
) -> set[tuple[str, str]]:
    """The (active claim id, PMID) pairs that link those of ``pmids`` (a batch), one statement."""
    links = _active_links(ref.id, pmids=pmids)
    query = select(Claim.key, links.c.link_pmid).join(links, links.c.claim_id == Claim.id)
    return {
        (key, pmid)
        for key, pmid in session.execute(query.join(Article, Article.pmid == links.c.link_pmid))
    }


def ordered_pmids(
    session: Session, ref: ClaimSetRef, claim_key: str, *, max_level: int | None = None
) -> Iterator[str]:
    """The PMIDs of claim ``claim_key``'s studies in study order
    (:func:`evidence.domain.views.study_order`, computed by the database), fetched a few
    thousand at a time; ``max_level``: only studies graded at that level or stronger."""
    links = _active_links(ref.id, claim_key)
    query = (
        select(links.c.link_pmid)
        .join(Article, Article.pmid == links.c.link_pmid)
        .order_by(*study_order_sql(links.c.relevance, _dialect(session)))
    )
    if max_level is not None:
        query = query.where(Article.evidence_level <= max_level)
    yield from session.scalars(query.execution_options(yield_per=_PMIDS_PER_FETCH))


def study_order_sql(relevance: Any, dialect: str) -> tuple[ColumnElement[Any], ...]:
    """ORDER BY terms equal to :func:`evidence.domain.views.study_order`: level (ungraded
    last), relevance (most first), year known first then newest, then PMID numerically."""
    pmid = Article.pmid.collate("C") if dialect == "postgresql" else Article.pmid
    return (
        func.coalesce(Article.evidence_level, 99).asc(),
        func.coalesce(relevance, 0.0).desc(),
        case((Article.year.is_(None), 1), else_=0).asc(),
        Article.year.desc(),
        func.length(Article.pmid).asc(),
        pmid.asc(),
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _studies_by_claim(
    session: Session,
    claim_set_id: int,
    *,
    details: bool = True,
    claim_key: str | None = None,
    pmids: Sequence[str] | None = None,
    pairs: Subquery | None = None,
    titles: bool = False,
) -> defaultdict[int, list[StudyInfo]]:
    """Each claim's studies in study order; ``details=False`` reads the index only (what
    summaries, filters, charts and study order need, for every study at once): no authors,
    abstracts, journal, DOI, key or stance sentences, and an empty title unless ``titles``;
    ``pairs``: only these (claim_id, pmid) pairs."""
    links = _active_links(claim_set_id, claim_key, pmids, pairs)
    linked = select(links.c.link_pmid).distinct()
    authors = _authors(session, linked) if details else {}
    types = _types(session, linked)
    noted = select(ArticleLink.pmid).where(
        ArticleLink.pmid.in_(linked), ArticleLink.ref_type == RETRACTION_LINK
    )
    retraction_noted = set(session.scalars(noted.distinct()))
    verdicts = _verdicts(session, claim_set_id, claim_key=claim_key, pmids=pmids, pairs=pairs)
    columns: tuple[Any, ...]
    if details:
        columns = (links, *_INDEX_COLUMNS, *_TEXT_COLUMNS, *_ABSTRACT_COLUMNS)
    else:
        columns = (*(links.c[name] for name in _INDEX_LINK_FIELDS), *_INDEX_COLUMNS)
        columns += (Article.title,) if titles else ()
    query = select(*columns).join(Article, Article.pmid == links.c.link_pmid)
    rows = session.execute(query.execution_options(yield_per=_ROWS_PER_FETCH))
    by_claim: defaultdict[int, list[StudyInfo]] = defaultdict(list)
    shared = one_copy()
    for row in rows:
        pmid = row.pmid
        study = _study_of_row(
            row,
            authors.get(pmid, ()),
            types.get(pmid, ()),
            pmid in retraction_noted,
            verdicts.get((row.claim_id, pmid), ()),
            details=details,
            shared=shared,
        )
        by_claim[row.claim_id].append(study)
    for studies in by_claim.values():
        studies.sort(key=study_order)
    return by_claim


def _authors(session: Session, pmids: Any) -> dict[str, list[str]]:
    """PMID -> author display names, in order, for the PMIDs of a subquery (one statement)."""
    rows = session.execute(
        select(
            ArticleAuthor.pmid,
            ArticleAuthor.last_name,
            ArticleAuthor.fore_name,
            ArticleAuthor.initials,
            ArticleAuthor.collective_name,
        )
        .where(ArticleAuthor.pmid.in_(pmids))
        .order_by(ArticleAuthor.pmid, ArticleAuthor.position)
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for pmid, last, fore, initials, collective in rows:
        name = Author(last, fore, initials, collective).display_name
        if name:
            grouped[pmid].append(name)
    return grouped


def _types(session: Session, pmids: Any) -> dict[str, list[str]]:
    """PMID -> publication type names, in order (one statement)."""
    rows = session.execute(
        select(ArticlePublicationType.pmid, ArticlePublicationType.name)
        .where(ArticlePublicationType.pmid.in_(pmids))
        .order_by(ArticlePublicationType.pmid, ArticlePublicationType.position)
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for pmid, name in rows:
        if name:
            grouped[pmid].append(name)
    return grouped


def _verdicts(
    session: Session,
    claim_set_id: int,
    *,
    claim_key: str | None = None,
    pmids: Sequence[str] | None = None,
    pairs: Subquery | None = None,
) -> dict[tuple[int, str], list[VerdictInfo]]:
    """Every verdict of the claim set (or of one claim's ``pmids``) with the wording version
    it judged, in one query."""
    current = (
        select(ClaimStatement.claim_id, func.max(ClaimStatement.version).label("version"))
        .group_by(ClaimStatement.claim_id)
        .subquery()
    )
    query = join_judged(
        select(
            Verdict.claim_id, Verdict.pmid, *VERDICT_INFO_COLUMNS, current.c.version.label("latest")
        )
        .join(Claim, Claim.id == Verdict.claim_id)
        .join(current, current.c.claim_id == Verdict.claim_id, isouter=True)
        .where(Claim.claim_set_id == claim_set_id)
        .order_by(Verdict.created_at, Verdict.id)
    )
    if claim_key is not None:
        query = query.where(Claim.key == claim_key)
    if pmids is not None:
        query = query.where(Verdict.pmid.in_(pmids))
    if pairs is not None:
        query = query.join(pairs, _pair_is(pairs, Verdict.claim_id, Verdict.pmid))
    found: dict[tuple[int, str], list[VerdictInfo]] = defaultdict(list)
    for row in session.execute(query):
        found[(row.claim_id, row.pmid)].append(verdict_info_of(row, row.latest))
    return found


def _study_of_row(
    row: Any,
    authors: Sequence[str],
    kinds: Sequence[str],
    noted: bool,
    verdicts: Sequence[VerdictInfo],
    *,
    details: bool,
    shared: Callable[[Any], Any],
) -> StudyInfo:
    """A study from a row of index columns, and of text and abstract columns if asked;
    values that repeat from row to row (a PMID linked to several claims, designs, flags)
    are kept once through ``shared``."""
    flags = shared(tuple(dict.fromkeys((*row.flags, *notice_flag_names(row.notices or ())))))
    return StudyInfo(
        pmid=shared(row.pmid),
        title=getattr(row, "title", ""),
        authors=tuple(authors),
        journal=getattr(row, "journal", None),
        year=row.year,
        doi=getattr(row, "doi", None),
        pmc=getattr(row, "pmc", None),
        publication_types=shared(tuple(kinds)),
        retracted=noted or RETRACTED_TYPE in kinds or RETRACTED in flags,
        design=shared(row.design),
        design_label=shared(row.design_label),
        evidence_level=row.evidence_level,
        provisional=row.grade_provisional,
        flags=flags,
        verdicts=tuple(verdicts),
        record_sha256=shared(row.record_sha256),
        relevance=row.relevance,
        key_sentence=getattr(row, "key_sentence", None),
        key_section=getattr(row, "key_section", None),
        suggested_stance=shared(row.suggested_stance),
        stance_sentence=getattr(row, "stance_sentence", None),
        stance_cues=tuple(getattr(row, "stance_cues", None) or ()),
        abstract=_abstract(row) if details else (),
        linked_at=shared(as_utc(row.first_seen_at)) if row.first_seen_at else None,
        flag_sources=shared(flag_sources(row)),
    )


def one_copy() -> Callable[[T], T]:
    """A function giving back one shared copy of each equal (hashable) value it is given."""
    copies: dict[Any, Any] = {}

    def one(value: T) -> T:
        found: T = copies.setdefault(value, value)
        return found

    return one


def flag_sources(article: Any) -> tuple[FlagSource, ...]:
    """Where the record's flags come from: its PubMed triggers, then Retraction Watch notices.

    A record graded before flags named their triggers gets a plain "PubMed" per flag.
    """
    pubmed = [
        FlagSource(str(e["flag"]), PUBMED, str(e.get("detail") or "") or None)
        for e in article.flag_sources or ()
    ]
    named = {s.flag for s in pubmed}
    pubmed += [FlagSource(str(f), PUBMED) for f in article.flags or () if f not in named]
    watch = [
        FlagSource(
            str(e["flag"]),
            RETRACTION_WATCH,
            f"record {e.get('record_id')}, matched by {e.get('matched_by') or 'PMID'}",
            e.get("date"),
            e.get("nature"),
        )
        for e in article.notices or ()
    ]
    return (*pubmed, *watch)


def _abstract(article: Any) -> tuple[tuple[str, str], ...]:
    """The abstract by sections (label, text); one unlabelled section when unstructured."""
    sections = tuple(
        (str(s.get("label") or ""), str(s.get("text") or ""))
        for s in article.abstract_sections or ()
        if s.get("text")
    )
    if sections:
        return sections
    return (("", article.abstract),) if article.abstract else ()


def _study(article: Article, authors: list[str], kinds: list[str], noted: bool) -> StudyInfo:
    """A study from an Article row, without its link's annotations or verdicts (the desk's
    cards add those)."""
    flags = tuple(dict.fromkeys((*article.flags, *notice_flag_names(article.notices or ()))))
    return StudyInfo(
        pmid=article.pmid,
        title=article.title,
        authors=tuple(authors),
        journal=article.journal,
        year=article.year,
        doi=article.doi,
        pmc=article.pmc,
        publication_types=tuple(kinds),
        retracted=noted or RETRACTED_TYPE in kinds or RETRACTED in flags,
        design=article.design,
        design_label=article.design_label,
        evidence_level=article.evidence_level,
        provisional=article.grade_provisional,
        flags=flags,
        record_sha256=article.record_sha256,
        abstract=_abstract(article),
        flag_sources=flag_sources(article),
    )


def _author_name(row: ArticleAuthor) -> str:
    return Author(
        last_name=row.last_name,
        fore_name=row.fore_name,
        initials=row.initials,
        collective_name=row.collective_name,
    ).display_name
