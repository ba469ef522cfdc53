"""Narrow reads for the review desk: one claim's queue a page at a time, one study's card.

The report reads a whole claim set at once (:mod:`evidence.store.reads`); the desk must
answer in milliseconds for a claim with 10,000 linked studies, so it reads only what a
page shows, each read in a fixed number of statements:

- :func:`desk_claim`: the claim, its current wording and its query terms (2 statements);
- :func:`verdict_rows` / :func:`judged_pairs`: the claim's verdict rows with each judged
  record's hash and flags (1 statement; only pairs that have a verdict row, however many
  studies are linked; or only the rows after a known id, for a cache kept up to date);
- :func:`linked_studies`: the claim's active studies in study order (level, then
  relevance, then newest: ``evidence.domain.views.study_order``) with level and flags, and
  :func:`data_generation`, the counter that says when that order may have changed;
- :func:`verdict_watermarks` / :func:`search_watermark`: what home's cached summaries are
  checked against (1 statement each);
- :func:`matching_pmids`: a search over title and abstract, in SQL;
- :func:`studies`: the rows of a page (or of one card) as ``StudyInfo`` (4 statements).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, Text, cast, false, func, or_, select, update
from sqlalchemy.orm import Session, defer

from evidence.domain.audit import as_utc
from evidence.domain.review import ReviewProtocol
from evidence.domain.views import StudyInfo, VerdictInfo
from evidence.store.models import (
    Article,
    ArticleAuthor,
    ArticleLink,
    ArticlePublicationType,
    Claim,
    ClaimArticle,
    ClaimSet,
    ClaimStatement,
    DataGeneration,
    Query,
    SearchRun,
    Verdict,
)
from evidence.store.reads import RETRACTION_LINK, _author_name, _study
from evidence.store.review import effective
from evidence.store.verdicts import VERDICT_INFO_COLUMNS, join_judged, json_words, verdict_info_of

_LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class DeskClaim:
    """An active claim as the desk needs it."""

    id: int
    key: str
    statement: str
    section: str | None
    statement_version: int | None
    query_terms: tuple[str, ...]  # the active queries' terms as written in the claims file
    review: ReviewProtocol = field(default_factory=ReviewProtocol)  # verdicts per study, blind


@dataclass(frozen=True)
class JudgedPair:
    """A study of the claim with verdict rows: the stored record's hash and flags, and every
    verdict row on the pair (withdrawals included), oldest first."""

    pmid: str
    record_sha256: str | None
    flags: tuple[str, ...]
    verdicts: tuple[VerdictInfo, ...]


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (call it first, before any read).

    SQLite (WAL) refuses at once, without waiting, a transaction that read and then writes
    after another process (a refresh) committed in between: "database is locked". A write
    as the first statement takes the write lock up front, waiting its turn instead. The
    statement changes nothing (on PostgreSQL it is a no-op).
    """
    session.execute(update(ClaimSet).where(false()).values(slug=ClaimSet.slug))


def desk_claim(session: Session, claim_set_id: int, key: str) -> DeskClaim | None:
    """The active claim ``key`` of the claim set, or None (2 statements)."""
    current = (
        select(func.max(ClaimStatement.version))
        .where(ClaimStatement.claim_id == Claim.id)
        .scalar_subquery()
    )
    row = session.execute(
        select(Claim, ClaimSet, current)
        .join(ClaimSet, ClaimSet.id == Claim.claim_set_id)
        .where(Claim.claim_set_id == claim_set_id, Claim.key == key, Claim.active.is_(True))
    ).first()
    if row is None:
        return None
    claim, claim_set, version = row
    terms = session.scalars(
        select(Query.term)
        .where(Query.claim_id == claim.id, Query.active.is_(True))
        .order_by(Query.position, Query.id)
    )
    protocol = effective(claim_set, claim)
    return DeskClaim(
        claim.id, claim.key, claim.statement, claim.section, version, tuple(terms), protocol
    )


def active_claim_keys(session: Session, claim_set_id: int) -> list[str]:
    """The active claim ids of the claim set, in order (1 statement)."""
    return list(
        session.scalars(
            select(Claim.key)
            .where(Claim.claim_set_id == claim_set_id, Claim.active.is_(True))
            .order_by(Claim.position, Claim.id)
        )
    )


@dataclass(frozen=True)
class VerdictRow:
    """A verdict row of the claim with the judged record as stored now."""

    id: int
    pmid: str
    info: VerdictInfo
    stored_sha256: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class LinkedStudy:
    """An active study of a claim as the queue filters it."""

    pmid: str
    level: int | None
    flags: frozenset[str]


def data_generation(session: Session) -> int:
    """The counter that triggers bump on any change to records, links or claims (1 statement)."""
    return int(session.scalar(select(DataGeneration.generation)) or 0)


def verdict_watermark(session: Session, claim_id: int) -> tuple[int, int]:
    """How many verdict rows the claim has, and the highest row id (1 statement)."""
    row = session.execute(
        select(func.count(), func.coalesce(func.max(Verdict.id), 0)).where(
            Verdict.claim_id == claim_id
        )
    ).one()
    return int(row[0]), int(row[1])


def verdict_watermarks(session: Session, claim_set_id: int) -> dict[int, tuple[int, int]]:
    """Claim id -> :func:`verdict_watermark`, for every claim of the set with a verdict row
    (1 statement)."""
    rows = session.execute(
        select(Verdict.claim_id, func.count(), func.max(Verdict.id))
        .join(Claim, Claim.id == Verdict.claim_id)
        .where(Claim.claim_set_id == claim_set_id)
        .group_by(Verdict.claim_id)
    )
    return {claim_id: (int(count), int(highest)) for claim_id, count, highest in rows}


def search_watermark(session: Session, claim_set_id: int) -> tuple[int, int]:
    """How many search runs the claim set's queries have, and the highest run id: search
    runs are only ever added (or deleted with their refresh run), so this moves whenever
    what a claim's conclusion says about its searches may have changed (1 statement)."""
    row = session.execute(
        select(func.count(), func.coalesce(func.max(SearchRun.id), 0))
        .join(Query, Query.id == SearchRun.query_id)
        .join(Claim, Claim.id == Query.claim_id)
        .where(Claim.claim_set_id == claim_set_id)
    ).one()
    return int(row[0]), int(row[1])


def verdict_rows(
    session: Session,
    claim: DeskClaim,
    *,
    pmid: str | None = None,
    after: int = 0,
    upto: int | None = None,
) -> list[VerdictRow]:
    """The claim's verdict rows (of one ``pmid``; with ids in ``(after, upto]``), oldest
    first, each with the judged record's stored hash and flags (1 statement)."""
    query = join_judged(
        select(
            Verdict.id,
            Verdict.pmid,
            *VERDICT_INFO_COLUMNS,
            Article.record_sha256.label("stored_sha256"),
            cast(Article.flags, Text).label("flags"),
        )
        .join(Article, Article.pmid == Verdict.pmid)
        .where(Verdict.claim_id == claim.id, Verdict.id > after)
        .order_by(Verdict.created_at, Verdict.id)
    )
    if pmid is not None:
        query = query.where(Verdict.pmid == pmid)
    if upto is not None:
        query = query.where(Verdict.id <= upto)
    return [
        VerdictRow(
            row.id,
            row.pmid,
            verdict_info_of(row, claim.statement_version),
            row.stored_sha256,
            json_words(row.flags),
        )
        for row in session.execute(query)
    ]


def group_pairs(
    rows: Sequence[VerdictRow], pairs: Mapping[str, JudgedPair] | None = None
) -> dict[str, JudgedPair]:
    """PMID -> pair: ``rows`` (oldest first) added to ``pairs`` (a copy; pairs that get
    rows take the rows' stored record)."""
    found = dict(pairs or {})
    added: dict[str, list[VerdictInfo]] = defaultdict(list)
    for row in rows:
        added[row.pmid].append(row.info)
    records = {row.pmid: (row.stored_sha256, row.flags) for row in rows}
    for pmid, infos in added.items():
        before = found[pmid].verdicts if pmid in found else ()
        found[pmid] = JudgedPair(pmid, *records[pmid], before + tuple(infos))
    return found


def judged_pairs(
    session: Session, claim: DeskClaim, pmid: str | None = None
) -> dict[str, JudgedPair]:
    """PMID -> the pair's verdict rows and stored record, for every pair of the claim (or
    just ``pmid``) with a verdict row, in one statement."""
    return group_pairs(verdict_rows(session, claim, pmid=pmid))


def linked_studies(session: Session, claim_id: int) -> list[LinkedStudy]:
    """Every active study of the claim, in study order, with its level and flags
    (1 statement)."""
    query = _in_study_order(
        _active([ClaimArticle.pmid, Article.evidence_level, cast(Article.flags, Text)], claim_id)
    )
    return [
        LinkedStudy(pmid, level, frozenset(json_words(flags)))
        for pmid, level, flags in session.execute(query)
    ]


def matching_pmids(session: Session, claim_id: int, search: str) -> set[str]:
    """The claim's active studies with ``search`` in the title or abstract, any case
    (1 statement)."""
    pattern = f"%{like_escape(search)}%"
    return set(
        session.scalars(
            _active([ClaimArticle.pmid], claim_id).where(
                or_(
                    Article.title.ilike(pattern, escape=_LIKE_ESCAPE),
                    Article.abstract.ilike(pattern, escape=_LIKE_ESCAPE),
                )
            )
        )
    )


def _active(columns: Sequence[Any], claim_id: int) -> Select[Any]:
    """``columns`` of the claim's active studies joined to their records."""
    return (
        select(*columns)
        .select_from(ClaimArticle)
        .join(Article, Article.pmid == ClaimArticle.pmid)
        .where(ClaimArticle.claim_id == claim_id, ClaimArticle.active.is_(True))
    )


def _in_study_order(query: Select[Any]) -> Select[Any]:
    """Level (ungraded last), relevance (none counts 0), newest, then PMID numerically."""
    return query.order_by(
        Article.evidence_level.is_(None),
        Article.evidence_level,
        func.coalesce(ClaimArticle.relevance, 0.0).desc(),
        Article.year.is_(None),
        Article.year.desc(),
        func.length(ClaimArticle.pmid),
        ClaimArticle.pmid,
    )


def studies(session: Session, claim_id: int, pmids: Sequence[str]) -> list[StudyInfo]:
    """The claim's studies ``pmids`` (a page, or one card), in the order given, without
    verdicts (4 statements; the raw XML is never loaded)."""
    if not pmids:
        return []
    wanted = sorted(set(pmids))
    rows = session.execute(
        select(ClaimArticle, Article)
        .join(Article, Article.pmid == ClaimArticle.pmid)
        .where(ClaimArticle.claim_id == claim_id, ClaimArticle.pmid.in_(wanted))
        .options(defer(Article.raw_xml))
    )
    authors: dict[str, list[str]] = defaultdict(list)
    for author in session.scalars(
        select(ArticleAuthor)
        .where(ArticleAuthor.pmid.in_(wanted))
        .order_by(ArticleAuthor.pmid, ArticleAuthor.position)
    ):
        if name := _author_name(author):
            authors[author.pmid].append(name)
    types: dict[str, list[str]] = defaultdict(list)
    for pmid, name in session.execute(
        select(ArticlePublicationType.pmid, ArticlePublicationType.name)
        .where(ArticlePublicationType.pmid.in_(wanted))
        .order_by(ArticlePublicationType.pmid, ArticlePublicationType.position)
    ):
        types[pmid].append(name)
    noted = set(
        session.scalars(
            select(ArticleLink.pmid)
            .where(ArticleLink.pmid.in_(wanted), ArticleLink.ref_type == RETRACTION_LINK)
            .distinct()
        )
    )
    found: dict[str, StudyInfo] = {}
    for link, article in rows:
        study = _study(article, authors[article.pmid], types[article.pmid], article.pmid in noted)
        found[article.pmid] = replace(
            study,
            relevance=link.relevance,
            key_sentence=link.key_sentence,
            key_section=link.key_section,
            suggested_stance=link.suggested_stance,
            stance_sentence=link.stance_sentence,
            stance_cues=tuple(link.stance_cues or ()),
            linked_at=as_utc(link.first_seen_at) if link.first_seen_at else None,
        )
    return [found[p] for p in pmids if p in found]


def is_linked(session: Session, claim_id: int, pmid: str) -> bool:
    """True when ``pmid`` is an active study of the claim (1 statement)."""
    return (
        session.scalar(
            select(func.count()).where(
                ClaimArticle.claim_id == claim_id,
                ClaimArticle.pmid == pmid,
                ClaimArticle.active.is_(True),
            )
        )
        or 0
    ) > 0


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern: ``%``, ``_`` and the escape character taken literally."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text
