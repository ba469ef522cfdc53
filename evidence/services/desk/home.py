"""The desk's home: every article with each claim's conclusion and review progress.

Building an article's progress reads every linked study and summarises each claim (about a
second at 10,000 studies), so it is kept in memory between requests, per article and per
view, and checked on each request against a stamp read in a few cheap statements:

- the **data generation** (records, links, claims, wordings, queries: see :mod:`.index`);
- each claim's **verdict watermark** (verdicts, withdrawals and resolutions are rows added);
- each claim's **review protocol** (``claims set-review`` on a claim set changes no watched
  table);
- the claim set's **search runs** (what a conclusion says about the claim's searches).

A view is the full one, or a reviewer's own when blind review may hide something from them
(a blind claim, or the server's blind flag, kept apart): other reviewers share the full
one. The stamp is read before the data, so a stored entry is never older than its stamp.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session

from evidence.domain.review import Agreement, ReviewProtocol
from evidence.domain.views import ReportData
from evidence.services.desk.pages import ArticleProgress, ClaimProgress
from evidence.services.views import as_seen_by, summarized
from evidence.store import desk as store
from evidence.store import reads

MAX_VIEWS: Final = 64  # (article, view) entries kept per engine


@dataclass(frozen=True)
class HomeStamp:
    """What an article's progress was built from, as far as cheap statements can tell."""

    generation: int
    protocols: tuple[tuple[int, ReviewProtocol], ...]  # claim id, protocol, in claim order
    verdicts: tuple[tuple[int, tuple[int, int]], ...]  # claim id, watermark
    searches: tuple[int, int]


@dataclass(frozen=True)
class ArticleEntry:
    """An article's progress as one view shows it, under the stamp it was built at."""

    stamp: HomeStamp
    claims: tuple[ClaimProgress, ...]
    agreement: Agreement | None


ViewKey = tuple[int, str | None, bool]  # claim set, the reviewer whose view, every claim blind


class HomeCache:
    """Articles' progress per engine and (claim set, viewer), least recently used dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Any, OrderedDict[ViewKey, ArticleEntry]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, engine: Any, key: ViewKey, stamp: HomeStamp) -> ArticleEntry | None:
        """The entry stored under ``key`` if it was built at ``stamp``, else None."""
        with self._lock:
            entries = self._by_engine.get(engine)
            found = entries.get(key) if entries is not None else None
            if found is None or found.stamp != stamp:
                return None
            entries.move_to_end(key)  # type: ignore[union-attr]
            return found

    def put(self, engine: Any, key: ViewKey, entry: ArticleEntry) -> None:
        """Store ``entry`` under ``key`` (replacing what was there)."""
        with self._lock:
            entries = self._by_engine.setdefault(engine, OrderedDict())
            entries[key] = entry
            entries.move_to_end(key)
            while len(entries) > MAX_VIEWS:
                entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._by_engine.clear()


CACHE: Final = HomeCache()


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
        entry = CACHE.get(engine, key, stamp)
        if entry is None:
            entry = _build(session, ref, stamp, viewer, blind)
            CACHE.put(engine, key, entry)
        found.append(ArticleProgress(ref.article, entry.claims, entry.agreement))
    return found


def _stamp(session: Session, claim_set_id: int, generation: int) -> HomeStamp:
    claims = reads.active_claims(session, claim_set_id)
    watermarks = store.verdict_watermarks(session, claim_set_id)
    return HomeStamp(
        generation,
        tuple((claim.id, protocol) for claim, protocol in claims),
        tuple(sorted(watermarks.items())),
        store.search_watermark(session, claim_set_id),
    )


def _hides(stamp: HomeStamp, blind: bool) -> bool:
    """True when blind review may hide verdicts from a reviewer on some claim."""
    return blind or any(protocol.blind for _, protocol in stamp.protocols)


def _build(
    session: Session, ref: reads.ClaimSetRef, stamp: HomeStamp, viewer: str | None, blind: bool
) -> ArticleEntry:
    data = reads.read_report(session, ref, with_pmids=False, details=False)
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
