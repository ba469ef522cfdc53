"""Split a search that esearch cannot return whole into disjoint PMID ranges. Pure.

PubMed's esearch lists at most the first 9,999 ids of a search. For a bigger search we
do what EDirect does: AND the term with PMID ranges (``(term) AND lo:hi[uid]``), count
each range with a ``retmax=0`` probe, and halve every range that still counts more than
the cap. Each final range (a *slice*) is then paged on its own and the ids are joined.

The ranges partition ``PMID_MIN..PMID_MAX``: they are disjoint and cover every PMID, so
the union of the slices is the whole search. Slices come highest PMIDs first, which
approximates PubMed's default order (most recent first); within a slice the order is
PubMed's. The planning and the joining take the HTTP calls as functions, so both are
tested without a server.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evidence.domain.errors import PermanentPubMedError
from evidence.domain.pmids import PmidBuilder, distinct_pmids
from evidence.sources.base import SliceInfo

log = logging.getLogger("evidence.pubmed")

PMID_MIN = 1
# PMIDs have 8 digits (about 40 million were issued by 2025, growing ~1.5 million a
# year), so 1..99,999,999 covers every PMID for decades. Bisection depth is bounded by
# log2 of the width: at most 27 halvings.
PMID_MAX = 99_999_999
MAX_DEPTH = math.ceil(math.log2(PMID_MAX - PMID_MIN + 1))

Count = Callable[[int, int], int]  # (lo, hi) -> the search's Count within lo..hi
Search = Callable[[int, int], tuple[int, tuple[str, ...]]]  # (lo, hi) -> (Count, ids)


@dataclass(frozen=True)
class PmidRange:
    """A planned range ``lo..hi`` (inclusive) and what its probe counted."""

    lo: int
    hi: int
    count: int


def uid_range_term(term: str, lo: int, hi: int) -> str:
    """The term restricted to PMIDs ``lo..hi``."""
    return f"({term}) AND {lo}:{hi}[uid]"


def halves(lo: int, hi: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Split ``lo..hi`` (at least two PMIDs wide) into two disjoint, adjacent halves."""
    if hi <= lo:
        raise ValueError(f"cannot split the range {lo}:{hi}")
    mid = lo + (hi - lo) // 2
    return (lo, mid), (mid + 1, hi)


def plan_slices(
    total: int, cap: int, count: Count, lo: int = PMID_MIN, hi: int = PMID_MAX
) -> list[PmidRange]:
    """Bisect ``lo..hi`` (whose Count is ``total``) until each range counts at most ``cap``.

    Returns a partition of ``lo..hi`` ordered by descending PMID, empty ranges included.
    A one-PMID range cannot be split: if it still counts more than ``cap`` (impossible in
    PubMed) it is returned as it is and the shortfall shows when it is paged. Raises
    PermanentPubMedError when both halves of a range count all of it (the server ignored
    the PMID range) or when the splits exceed what consistent counts can need.
    """
    if cap < 1:
        raise ValueError(f"cap must be positive, got {cap}")
    # Consistent counts put fewer than total // cap + 1 ranges over the cap at each depth;
    # twice that many splits leaves room for counts that drift while we probe.
    budget = 2 * MAX_DEPTH * (total // cap + 1)
    planned: list[PmidRange] = []
    stack = [PmidRange(lo, hi, total)]
    while stack:
        current = stack.pop()
        if current.count <= cap or current.lo == current.hi:
            planned.append(current)
            continue
        budget -= 1
        if budget < 0:
            raise PermanentPubMedError(
                f"splitting a search counting {total} did not converge: PubMed's counts of"
                " PMID ranges do not add up"
            )
        (low_lo, low_hi), (high_lo, high_hi) = halves(current.lo, current.hi)
        low = PmidRange(low_lo, low_hi, count(low_lo, low_hi))
        high = PmidRange(high_lo, high_hi, count(high_lo, high_hi))
        if low.count >= current.count and high.count >= current.count:
            raise PermanentPubMedError(
                f"PubMed ignored the PMID range {current.lo}:{current.hi}[uid]: both halves"
                f" count {current.count}; the search cannot be split"
            )
        stack += [low, high]  # the high half is popped, and so planned, first
    return planned


def collect(ranges: Sequence[PmidRange], search: Search) -> tuple[Sequence[str], list[SliceInfo]]:
    """Page every non-empty range; the ids (no duplicates, slice order) and each slice.

    A slice's ``count`` is the Count of its own search (fresher than the probe's); ids a
    server lists outside the slice's range are dropped, which keeps slices disjoint. The
    ids are kept compactly (8 bytes each, :class:`~evidence.domain.pmids.PmidArray`), one
    slice's strings at a time.
    """
    ids = PmidBuilder()
    slices: list[SliceInfo] = []
    for planned in ranges:
        if planned.count == 0:
            continue
        count, found = search(planned.lo, planned.hi)
        inside = dict.fromkeys(
            p for p in found if p.isdigit() and planned.lo <= int(p) <= planned.hi
        )
        ids.extend(inside)
        slices.append(SliceInfo(planned.lo, planned.hi, count, len(inside)))
    return distinct_pmids(ids.build()), slices


def search_in_slices(
    total: int, cap: int, probe: Search, search: Search
) -> tuple[Sequence[str], tuple[SliceInfo, ...]]:
    """Plan the slices of a search counting ``total`` and collect their ids.

    ``probe(lo, hi)`` counts a range (one request, no ids); ``search(lo, hi)`` pages it.
    """
    ranges = plan_slices(total, cap, lambda lo, hi: probe(lo, hi)[0])
    ids, slices = collect(ranges, search)
    log.info(
        "search counts %d (> %d): %d probes, %d non-empty slices, %d ids",
        total,
        cap,
        2 * (len(ranges) - 1),
        len(slices),
        len(ids),
    )
    return ids, tuple(slices)


def shortfall(count: int, retrieved: int, slices: Sequence[SliceInfo]) -> tuple[SliceInfo, ...]:
    """The slices that returned fewer ids than they count, and what no slice explains.

    When the search as a whole is short by more than its short slices (an unsliced search,
    or slices whose Counts do not add up to the search's), the whole range
    ``PMID_MIN..PMID_MAX`` is added with the search's own count and retrieved ids.
    """
    short = tuple(s for s in slices if s.missing)
    if count - retrieved > sum(s.missing for s in short):
        short += (SliceInfo(PMID_MIN, PMID_MAX, count, retrieved),)
    return short
