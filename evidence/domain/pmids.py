"""PMIDs held compactly: a sequence of strings stored as 8-byte integers.

A search of 100,000 records held as a tuple of ``str`` costs ~65 bytes per PMID; as an
``array('q')`` it costs 8. A PMID is kept in the array only when ``str(int(pmid))`` gives
it back (digits, no sign or leading zero); any other id keeps the sequence a tuple, so
every PMID reads back exactly as it was given.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import overload

_MAX_DIGITS = 18  # below 2**63: fits an 8-byte signed integer
_SET_BYTES_PER_PMID = 64  # about what a set of ints costs per member


def canonical_digits(pmid: str) -> bool:
    """True when ``pmid`` reads back unchanged through ``int``: ASCII digits, no leading 0."""
    return (
        0 < len(pmid) <= _MAX_DIGITS
        and pmid.isascii()
        and pmid.isdigit()
        and (pmid[0] != "0" or pmid == "0")
    )


class PmidArray(Sequence[str]):
    """A read-only sequence of PMIDs (``str``) kept as 8-byte integers."""

    __slots__ = ("_ids",)

    def __init__(self, ids: array[int] | None = None) -> None:
        self._ids = ids if ids is not None else array("q")

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> PmidArray: ...

    def __getitem__(self, index: int | slice) -> str | PmidArray:
        if isinstance(index, slice):
            return PmidArray(self._ids[index])
        return str(self._ids[index])

    def __iter__(self) -> Iterator[str]:
        return map(str, self._ids)

    def __contains__(self, pmid: object) -> bool:
        return isinstance(pmid, str) and canonical_digits(pmid) and int(pmid) in self._ids

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PmidArray):
            return self._ids == other._ids
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists and tuples, like them

    def __repr__(self) -> str:
        return f"PmidArray({list(self)!r})"

    def most_digits(self) -> int:
        """How many digits the longest of these PMIDs has (0 when there are none)."""
        return len(str(max(self._ids))) if self._ids else 0

    def distinct(self) -> PmidArray:
        """These PMIDs without repeats, each where it first appears.

        Seen ones are marked in a bitmap of the PMIDs' span (at most ~5 MB over all of
        PubMed) or, when that would be larger, a set: never more than the smaller.
        """
        ids = self._ids
        if len(ids) < 2:
            return self
        low = min(ids)
        span = max(ids) - low + 1
        if span // 8 > _SET_BYTES_PER_PMID * len(ids):
            kept = _first_seen_in_set(ids)
        else:
            kept = _first_seen_in_bitmap(ids, low, span)
        return self if len(kept) == len(ids) else PmidArray(kept)


def _first_seen_in_set(ids: array[int]) -> array[int]:
    seen: set[int] = set()
    kept = array("q")
    for pmid in ids:
        if pmid not in seen:
            seen.add(pmid)
            kept.append(pmid)
    return kept


def _first_seen_in_bitmap(ids: array[int], low: int, span: int) -> array[int]:
    seen = bytearray(span // 8 + 1)
    kept = array("q")
    for pmid in ids:
        offset = pmid - low
        byte, bit = offset >> 3, 1 << (offset & 7)
        if not seen[byte] & bit:
            seen[byte] |= bit
            kept.append(pmid)
    return kept


class PmidBuilder:
    """Collects PMIDs compactly while every one is canonical, as a list after the first
    that is not (so no id is ever rewritten)."""

    def __init__(self) -> None:
        self._ids: array[int] | None = array("q")
        self._other: list[str] = []

    def append(self, pmid: str) -> None:
        """Add ``pmid`` at the end."""
        if self._ids is not None and canonical_digits(pmid):
            self._ids.append(int(pmid))
            return
        if self._ids is not None:
            self._other = [str(p) for p in self._ids]
            self._ids = None
        self._other.append(pmid)

    def extend(self, pmids: Iterable[str]) -> None:
        """Add each of ``pmids`` at the end."""
        for pmid in pmids:
            self.append(pmid)

    def build(self) -> Sequence[str]:
        """The PMIDs added, in order: a :class:`PmidArray`, or a tuple when one is not
        canonical."""
        return PmidArray(self._ids) if self._ids is not None else tuple(self._other)


def compact_pmids(pmids: Iterable[str]) -> Sequence[str]:
    """``pmids`` as a :class:`PmidArray` (a tuple when one of them is not canonical)."""
    if isinstance(pmids, PmidArray):
        return pmids
    builder = PmidBuilder()
    builder.extend(pmids)
    return builder.build()


def distinct_pmids(pmids: Sequence[str]) -> Sequence[str]:
    """``pmids`` without repeats, in their order (compact when ``pmids`` was)."""
    if isinstance(pmids, PmidArray):
        return pmids.distinct()
    return tuple(dict.fromkeys(pmids))


def in_pmid_order(pmids: Iterable[str]) -> Sequence[str]:
    """``pmids`` sorted numerically (shorter first, then by digits: ``pmid_order``), kept
    compact: a :class:`PmidArray` (a tuple when one is not canonical).

    Each length is an array of its own; ids that come already in order (a database's
    string order) are not sorted again.
    """
    groups: dict[int, array[int]] = {}
    others: list[str] = []
    for pmid in pmids:
        if canonical_digits(pmid):
            groups.setdefault(len(pmid), array("q")).append(int(pmid))
        else:
            others.append(pmid)
    if others:
        others += (str(p) for group in groups.values() for p in group)
        groups.clear()
        return tuple(sorted(others, key=lambda p: (len(p), p)))
    ordered = array("q")
    for length in sorted(groups):
        group = groups.pop(length)
        ordered.extend(group if _ascending(group) else array("q", sorted(group)))
    return PmidArray(ordered)


def _ascending(ids: array[int]) -> bool:
    return all(a <= b for a, b in zip(ids, islice(ids, 1, None), strict=False))
