"""Each claim's queue index, kept in memory between requests.

A claim with 10,000 linked studies cannot be sorted and have its verdicts replayed on every
page view. The index holds the claim's studies in study order (with level and flags, so
those filters need no SQL) and every verdict pair, and is checked on each use with two
cheap statements:

- the **data generation** (bumped by database triggers on any change to records, links or
  claims: a refresh, a regrade, a Retraction Watch load): when it moved, the index is
  rebuilt;
- the claim's **verdict watermark** (row count and highest id): verdicts are append-only,
  so the rows after the known id are read and added. If the count does not add up (on
  PostgreSQL a row with a lower id can commit late), every verdict row is read again.

Whatever is read is read inside the request's own transaction after the checks, so an
index is never older than the generation it is stored under. Indexes are kept per engine
(at most ``MAX_CLAIMS`` claims each) and shared by the server's threads; a stored index is
never changed, only replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from evidence.services.desk.cache import EngineCache
from evidence.services.desk.filters import PairState, pair_state
from evidence.store import desk as store

MAX_CLAIMS: Final = 32
MAX_SEARCHES: Final = 64  # searches remembered per index


@dataclass(frozen=True)
class ClaimIndex:
    """A claim's studies in study order and its verdict pairs, as of a generation."""

    claim_id: int
    statement_version: int | None
    generation: int
    studies: tuple[store.LinkedStudy, ...]
    watermark: tuple[int, int]  # verdict rows: count, highest id
    pairs: Mapping[str, store.JudgedPair]
    _states: dict[str, Mapping[str, PairState]] = field(default_factory=dict, compare=False)
    _positions: dict[str, int] = field(default_factory=dict, compare=False)
    _hits: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)

    def position(self, pmid: str) -> int:
        """Where ``pmid`` stands in study order (-1: not an active study of the claim)."""
        positions = self._positions
        if not positions:
            positions.update((s.pmid, n) for n, s in enumerate(self.studies))
        return positions.get(pmid, -1)

    @property
    def linked(self) -> int:
        """How many active studies the claim has."""
        return len(self.studies)

    def memoised_states(self) -> dict[str, Mapping[str, PairState]]:
        """The states computed so far, by reviewer (a copy)."""
        return dict(self._states)

    def search_hits(self, search: str, find: Callable[[str], set[str]]) -> frozenset[str]:
        """The PMIDs matching ``search``, as ``find`` answers it (memoised: what a search
        reads, titles, abstracts and links, only changes with the data generation)."""
        found = self._hits.get(search)
        if found is None:
            found = frozenset(find(search))
            if len(self._hits) < MAX_SEARCHES:
                self._hits[search] = found
        return found

    def states(self, reviewer: str) -> Mapping[str, PairState]:
        """PMID -> state for ``reviewer``, for every pair with a verdict row (memoised)."""
        found = self._states.get(reviewer)
        if found is None:
            found = {pmid: pair_state(pair, reviewer) for pmid, pair in self.pairs.items()}
            if len(self._states) < 64:
                self._states[reviewer] = found
        return found


CACHE: Final = EngineCache[int, ClaimIndex](MAX_CLAIMS)  # by claim id


def claim_index(session: Session, claim: store.DeskClaim) -> ClaimIndex:
    """The claim's index, brought up to date (2 statements when nothing changed)."""
    engine = session.get_bind()
    generation = store.data_generation(session)
    watermark = store.verdict_watermark(session, claim.id)
    known = CACHE.get(engine, claim.id)
    if known is None or not _same_data(known, claim, generation):
        index = _build(session, claim, generation, watermark)
    elif known.watermark == watermark:
        return known
    else:
        index = _with_new_verdicts(session, claim, known, watermark)
    CACHE.put(engine, index.claim_id, index)
    return index


def _same_data(index: ClaimIndex, claim: store.DeskClaim, generation: int) -> bool:
    return index.generation == generation and index.statement_version == claim.statement_version


def _build(
    session: Session, claim: store.DeskClaim, generation: int, watermark: tuple[int, int]
) -> ClaimIndex:
    studies = tuple(store.linked_studies(session, claim.id))
    rows = store.verdict_rows(session, claim, upto=watermark[1])
    return ClaimIndex(
        claim.id,
        claim.statement_version,
        generation,
        studies,
        (len(rows), watermark[1]),
        store.group_pairs(rows),
    )


def _with_new_verdicts(
    session: Session, claim: store.DeskClaim, known: ClaimIndex, watermark: tuple[int, int]
) -> ClaimIndex:
    rows = store.verdict_rows(session, claim, after=known.watermark[1], upto=watermark[1])
    if known.watermark[0] + len(rows) != watermark[0]:  # a row committed out of id order
        return _build(session, claim, known.generation, watermark)
    pairs = store.group_pairs(rows, known.pairs)
    changed = {row.pmid for row in rows}
    states: dict[str, Mapping[str, PairState]] = {  # carried over; only new rows recomputed
        reviewer: {**known_states, **{p: pair_state(pairs[p], reviewer) for p in changed}}
        for reviewer, known_states in known.memoised_states().items()
    }
    return ClaimIndex(
        claim.id,
        claim.statement_version,
        known.generation,
        known.studies,
        watermark,
        pairs,
        states,
        _hits=known._hits,  # the same generation: verdicts change no search
    )
