"""The seam between the refresh pipeline and where studies come from.

A :class:`Source` answers three questions: which PMIDs does a search find (with the
provenance an auditor needs), what are the records of these PMIDs (parsed, with the
ones it could not return accounted for), and which of these PMIDs were revised since a
day (so a refresh re-fetches only what changed behind its links). NCBI E-utilities is
one implementation (:mod:`evidence.sources.eutils.source`); a local PubMed mirror is the
next. The pipeline
types against this protocol only, and every refresh run records :meth:`Source.identity`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from evidence.domain.records import Article


@dataclass(frozen=True)
class SourceIdentity:
    """Which source answered: its kind, where it is, and (for a snapshot) which one."""

    kind: str  # "eutils", "mirror", ...
    location: str  # a URL, or a path
    snapshot: str | None = None  # e.g. "baseline 2025 + update 1400"; None for a live service

    def describe(self) -> str:
        """One line for messages and reports."""
        snapshot = f" ({self.snapshot})" if self.snapshot else ""
        return f"{self.kind} {self.location}{snapshot}"


@dataclass(frozen=True)
class SearchQuery:
    """A search as a claims file states it: the full term and an optional date range."""

    term: str
    mindate: str | None = None
    maxdate: str | None = None
    datetype: str | None = None


@dataclass(frozen=True)
class SliceInfo:
    """One slice of a search: its PMID range, the source's count and the ids retrieved."""

    lo: int
    hi: int
    count: int
    retrieved: int

    @property
    def missing(self) -> int:
        """How many ids the source counted but did not list (0 when complete)."""
        return max(0, self.count - self.retrieved)

    @property
    def label(self) -> str:
        """The range as PubMed syntax, e.g. ``1:5000[uid]``."""
        return f"{self.lo}:{self.hi}[uid]"

    def to_json(self) -> dict[str, int]:
        """A JSON-ready dict (for ``search_runs.slices``)."""
        return {"lo": self.lo, "hi": self.hi, "count": self.count, "retrieved": self.retrieved}


def describe_shortfall(short: Sequence[SliceInfo], limit: int = 5) -> str:
    """``1:5000[uid] (10 missing), ...`` for messages; at most ``limit`` slices named."""
    parts = [f"{s.label} ({s.missing} missing)" for s in short[:limit]]
    if len(short) > limit:
        parts.append(f"and {len(short) - limit} more")
    return ", ".join(parts)


@dataclass(frozen=True)
class SearchResult:
    """Every id a search returned, with what it took and what the source said."""

    term: str
    count: int
    pmids: Sequence[str]  # a tuple, or compact (``evidence.domain.pmids.PmidArray``)
    query_translation: str | None
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    params: dict[str, str]  # as sent, without secrets or expiring tokens
    requests: int
    retries: tuple[str, ...]
    complete: bool  # nothing known missing: ``shortfall`` is empty
    slices: tuple[SliceInfo, ...] = ()  # the PMID ranges of a search split in parts
    shortfall: tuple[SliceInfo, ...] = ()  # ranges the source counted but did not list


@dataclass(frozen=True)
class FetchedBatch:
    """The parsed answer for one batch of requested PMIDs.

    ``articles`` may hold records that were not asked for (the caller keeps the requested
    ones); ``deleted`` are PMIDs the source says were withdrawn.
    """

    requested: tuple[str, ...]
    articles: tuple[Article, ...]
    deleted: frozenset[str] = frozenset()
    requests: int = 0
    retries: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RevisedRecords:
    """Which of the PMIDs asked about were revised within a range of days, and what it took.

    ``method`` says how the source found out (``uid-list``: the PMIDs themselves;
    ``query-terms``: the searches that found them; ``stored-dates``: a mirror's own dates).
    """

    pmids: frozenset[str]
    requests: int = 0
    retries: tuple[str, ...] = ()
    method: str = "uid-list"
    terms: tuple[str, ...] = ()  # the terms as sent, for the audit trail


@runtime_checkable
class Source(Protocol):
    """Where the refresh pipeline searches and fetches; see the module docstring."""

    def identity(self) -> SourceIdentity:
        """Which source this is, for the audit trail."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Every PMID the query finds. Raises SourceError subclasses on failure."""
        ...

    def fetch(self, pmids: Sequence[str]) -> Iterator[FetchedBatch]:
        """The records of ``pmids``, in batches, each batch whole or an error."""
        ...

    def modified_since(
        self, pmids: Sequence[str], since: date, until: date, *, terms: Sequence[str] = ()
    ) -> RevisedRecords:
        """Which of ``pmids`` were revised from ``since`` to ``until`` (days, both included).

        ``terms`` are the searches that found them, a hint a source may use when asking by
        term costs less than asking by id; the answer is always within ``pmids``.
        """
        ...

    def close(self) -> None:
        """Release connections or files."""
        ...
