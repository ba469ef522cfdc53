"""The desk's home: every article with each claim's conclusion and review progress.

Building an article's progress reads every linked study and summarises each claim (about a
second at 10,000 studies), so it is kept in memory between requests, per article and per
view, and checked on each request against a stamp read in a few cheap statements:

- the **data generation** (records, links, claims, wordings, queries: see :mod:`.index`);
- each claim's **verdict watermark** (verdicts, withdrawals and resolutions are rows added);
- each claim's **review protocol** (``claims set-review`` on a claim set changes no watched
  table);
- the claim set's **search runs** (what a conclusion says about the claim's searches).

Below the views, each article's report (the studies' index with their verdict rows, as
everyone sees it, not summarised) is kept too: when only verdicts were added, the new rows
are read (as the queue's index does) and each view is summarised again from it, without
reading the studies (about 0.15 s instead of 1.1 s at 10,000 studies).

A view is the full one, or a reviewer's own when blind review may hide something from them
(a blind claim, or the server's blind flag, kept apart): other reviewers share the full
one. The stamp is read before the data, so a stored entry is never older than its stamp.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Final

from sqlalchemy.orm import Session

from evidence.domain.review import Agreement, ReviewProtocol
from evidence.domain.views import ClaimReport, ReportData, StudyInfo, VerdictInfo
from evidence.services.desk.cache import EngineCache
from evidence.services.desk.pages import ArticleProgress, ClaimProgress
from evidence.services.views import as_seen_by, summarized
from evidence.store import desk as store
from evidence.store import reads

MAX_VIEWS: Final = 64  # (article, view) entries kept per engine
MAX_REPORTS: Final = 8  # articles' reports kept per engine


@dataclass(frozen=True)
class DataStamp:
    """What an article's studies and claims were read at, verdicts aside."""

    generation: int
    protocols: tuple[tuple[int, ReviewProtocol], ...]  # claim id, protocol, in claim order
    searches: tuple[int, int]


@dataclass(frozen=True)
class HomeStamp:
    """What an article's progress was built from, as far as cheap statements can tell."""

    data: DataStamp
    verdicts: tuple[tuple[int, tuple[int, int]], ...]  # claim id, watermark


@dataclass(frozen=True)
class ArticleReport:
    """An article's report as everyone sees it (studies' index, verdict rows), at a stamp."""

    stamp: HomeStamp
    data: ReportData


@dataclass(frozen=True)
class ArticleEntry:
    """An article's progress as one view shows it, under the stamp it was built at."""

    stamp: HomeStamp
    claims: tuple[ClaimProgress, ...]
    agreement: Agreement | None


ViewKey = tuple[int, str | None, bool]  # claim set, the reviewer whose view, every claim blind


CACHE: Final = EngineCache[ViewKey, ArticleEntry](MAX_VIEWS)
REPORTS: Final = EngineCache[int, ArticleReport](MAX_REPORTS)  # by claim set id


def home(
    session: Session, *, reviewer: str | None = None, blind: bool = False
) -> list[ArticleProgress]:
    """Every stored article with each claim's conclusion and progress; with ``reviewer``,
    as they may see it (blind claims, every claim with ``blind``: the others' verdicts on
    studies they have not judged are left out of the counts, conclusions and agreement)."""
    engine = session.get_bind()
    generation = store.data_generation(session)
    found = []
    for slug in reads.stored_slugs(session):
        ref = reads.resolve_claim_set(session, slug)
        stamp = _stamp(session, ref.id, generation)
        viewer = reviewer if reviewer is not None and _hides(stamp, blind) else None
        key = (ref.id, viewer, blind and viewer is not None)
        entry = CACHE.get(engine, key)
        if entry is None or entry.stamp != stamp:
            data = _report_at(session, ref, stamp)
            entry = _view(data, stamp, viewer, blind)
            CACHE.put(engine, key, entry)
        found.append(ArticleProgress(ref.article, entry.claims, entry.agreement))
    return found


def _stamp(session: Session, claim_set_id: int, generation: int) -> HomeStamp:
    claims = reads.active_claims(session, claim_set_id)
    watermarks = store.verdict_watermarks(session, claim_set_id)
    protocols = tuple((claim.id, protocol) for claim, protocol in claims)
    searches = store.search_watermark(session, claim_set_id)
    return HomeStamp(DataStamp(generation, protocols, searches), tuple(sorted(watermarks.items())))


def _hides(stamp: HomeStamp, blind: bool) -> bool:
    """True when blind review may hide verdicts from a reviewer on some claim."""
    return blind or any(protocol.blind for _, protocol in stamp.data.protocols)


def _report_at(session: Session, ref: reads.ClaimSetRef, stamp: HomeStamp) -> ReportData:
    """The article's report at ``stamp``: remembered, brought up to date with the verdict
    rows added since, or read anew."""
    engine = session.get_bind()
    known = REPORTS.get(engine, ref.id)
    if known is not None and known.stamp == stamp:
        return known.data
    data = None
    if known is not None and known.stamp.data == stamp.data:
        data = _with_new_verdicts(session, ref, known, stamp)
    if data is None:
        data = reads.read_report(session, ref, with_pmids=False, details=False)
    REPORTS.put(engine, ref.id, ArticleReport(stamp, data))
    return data


def _with_new_verdicts(
    session: Session, ref: reads.ClaimSetRef, known: ArticleReport, stamp: HomeStamp
) -> ReportData | None:
    """``known``'s report with the verdict rows added since (None: rows do not add up,
    e.g. a row committed out of id order on PostgreSQL: read everything again)."""
    before, now = dict(known.stamp.verdicts), dict(stamp.verdicts)
    if len(stamp.data.protocols) != len(known.data.claims):
        return None
    claims = []
    for (claim_id, _), claim in zip(stamp.data.protocols, known.data.claims, strict=True):
        had, has = before.get(claim_id, (0, 0)), now.get(claim_id, (0, 0))
        if had != has:
            found = _claim_with_new_verdicts(session, ref, claim, had, has)
            if found is None:
                return None
            claim = found
        claims.append(claim)
    return replace(known.data, claims=tuple(claims))


def _claim_with_new_verdicts(
    session: Session,
    ref: reads.ClaimSetRef,
    claim: ClaimReport,
    had: tuple[int, int],
    has: tuple[int, int],
) -> ClaimReport | None:
    desk_claim = store.desk_claim(session, ref.id, claim.key)
    if desk_claim is None:
        return None
    rows = store.verdict_rows(session, desk_claim, after=had[1], upto=has[1])
    if had[0] + len(rows) != has[0]:
        return None
    added: defaultdict[str, list[VerdictInfo]] = defaultdict(list)
    for row in rows:
        added[row.pmid].append(row.info)
    studies = tuple(_with_rows(s, added[s.pmid]) if s.pmid in added else s for s in claim.studies)
    return replace(claim, studies=studies)


def _with_rows(study: StudyInfo, rows: list[VerdictInfo]) -> StudyInfo:
    """``study`` with ``rows`` added, leaving out those it has: on PostgreSQL (read
    committed) the report may have been read with rows newer than its stamp."""
    return replace(study, verdicts=(*study.verdicts, *(r for r in rows if r not in study.verdicts)))


def _view(data: ReportData, stamp: HomeStamp, viewer: str | None, blind: bool) -> ArticleEntry:
    """The article's progress as ``viewer`` may see it (None: everything)."""
    if viewer is not None:
        data = as_seen_by(data, viewer, blind=blind)
    data = summarized(data)
    return ArticleEntry(stamp, _progress(data), data.agreement)


def _progress(data: ReportData) -> tuple[ClaimProgress, ...]:
    claims = []
    for claim in data.claims:
        standing = [s for s in claim.studies if s.standing]
        claims.append(
            ClaimProgress(
                key=claim.key,
                statement=claim.statement,
                summary=claim.summarized,
                linked=len(claim.studies),
                judged=sum(1 for s in standing if not s.changed_since_review),
                changed=sum(1 for s in claim.studies if s.changed_since_review),
                retracted=claim.retracted_count,
                retracted_judged=sum(1 for s in standing if s.retracted),
            )
        )
    return tuple(claims)
