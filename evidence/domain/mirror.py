"""The local PubMed mirror's pure rules: file names, snapshots, dates and index tokens.

The search index holds, per record, one text of tokens per field (:data:`FIELDS`). Tokens are
ASCII letters and digits, lower case, accents folded and a few Greek letters spelt out, so
SQLite FTS5 (``unicode61``) and PostgreSQL (``to_tsvector('simple', ...)``) split them the same
way. Whole-value fields (MeSH headings, subheadings, publication types, journals) are one token
per value, its letters and digits run together (``"Receptors, N-Methyl-D-Aspartate"`` ->
``receptorsnmethyldaspartate``): ``"Pain"[mh]`` finds the heading Pain and not Chronic Pain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

FIELDS = ("ti", "ab", "kw", "mh", "mj", "sh", "pt", "la", "au", "ta")
"""Index fields: title, abstract, keywords, MeSH, major MeSH, subheadings, publication types,
languages, authors, journals (titles, abbreviations and ISSNs)."""

INDEX_VERSION = "1"
"""Changes whenever the tokens a record gives change: an index built by another version is
refused (queries would be tokenised unlike the records they search)."""

_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ω": "omega",
}
_GREEK_RE = re.compile("|".join(_GREEK))
_FILE = re.compile(r"^pubmed(\d{2})n(\d{4})\.xml(\.gz)?$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
LANGUAGES = {
    "eng": "english",
    "fre": "french",
    "ger": "german",
    "spa": "spanish",
    "ita": "italian",
    "jpn": "japanese",
    "chi": "chinese",
    "rus": "russian",
    "por": "portuguese",
    "dut": "dutch",
    "pol": "polish",
    "swe": "swedish",
    "kor": "korean",
}


def fold(text: str) -> str:
    """Lower case, Greek letters spelt out, accents removed, other non-ASCII dropped."""
    if text.isascii():
        return text.lower()
    text = _GREEK_RE.sub(lambda m: f" {_GREEK[m.group(0)]}", text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


_SEPARATORS = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isascii() and c.isalnum())}
)


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index holds them: runs of ASCII letters and digits."""
    return fold(text).translate(_SEPARATORS).split()


@lru_cache(maxsize=65536)
def value_token(value: str) -> str:
    """One token for a whole value (a MeSH heading, a publication type, a journal)."""
    return "".join(tokens(value))


def words(text: str) -> str:
    """``text`` as index text: its tokens joined by spaces."""
    return " ".join(tokens(text))


def values(items: list[str] | tuple[str, ...]) -> str:
    """Whole values as index text, one token each (empty ones dropped)."""
    return " ".join(t for t in (value_token(i) for i in items) if t)


@dataclass(frozen=True)
class MirrorFileName:
    """An NLM file name: ``pubmed25n0001.xml.gz`` is year 2025, number 1."""

    name: str
    year: int
    number: int

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.year, self.number, self.name)


def parse_file_name(name: str) -> MirrorFileName | None:
    """The year and number of an NLM baseline or update file name; None for other names."""
    match = _FILE.match(name)
    if match is None:
        return None
    return MirrorFileName(name, 2000 + int(match.group(1)), int(match.group(2)))


def snapshot_label(
    baseline_year: int | None, last_update: int | None, last_number: int | None
) -> str:
    """``baseline 2025 + update 1400``; ``baseline 2025 (to file 12)`` without updates."""
    if baseline_year is None and last_update is None:
        return "empty" if last_number is None else f"files to {last_number:04d}"
    base = f"baseline {baseline_year}" if baseline_year is not None else "no baseline"
    if last_update is not None:
        return f"{base} + update {last_update:04d}"
    return f"{base} (to file {last_number:04d})" if last_number is not None else base


def date_number(
    year: str | int | None, month: str | int | None = None, day: str | int | None = None
) -> int | None:
    """A date as the number YYYYMMDD (month and day 1 when unknown); None without a year."""
    try:
        y = int(str(year)[:4]) if year is not None else 0
    except ValueError:
        return None
    if not 1000 <= y <= 9999:
        return None
    m = _month(month)
    try:
        d = int(day) if day not in (None, "") else 1
    except (TypeError, ValueError):
        d = 1
    return y * 10000 + (m if 1 <= m <= 12 else 1) * 100 + (d if 1 <= d <= 31 else 1)


def _month(month: str | int | None) -> int:
    if month in (None, ""):
        return 1
    text = str(month).strip().lower()
    if text.isdigit():
        return int(text)
    return _MONTHS.get(text[:3], 1)


_PRINTED = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3}|\d{1,2})(?:\s+(\d{1,2}))?)?")


def printed_date_number(printed: str | None) -> int | None:
    """``2019 Mar 5``, ``1998 Dec-1999 Jan``, ``2001 Spring`` -> the first day it names."""
    if not printed:
        return None
    match = _PRINTED.search(printed)
    if match is None:
        return None
    return date_number(match.group(1), match.group(2), match.group(3))


def range_bounds(low: str, high: str) -> tuple[int, int]:
    """A PubMed date range (``YYYY[/MM[/DD]]`` each) as inclusive YYYYMMDD numbers."""
    return _bound(low, first=True), _bound(high, first=False)


def _bound(value: str, *, first: bool) -> int:
    parts = [int(p) for p in value.split("/") if p.isdigit()] or [0]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (1 if first else 12)
    day = parts[2] if len(parts) > 2 else (1 if first else 31)
    return year * 10000 + month * 100 + day


def record_key(pmid: int, version: int) -> int:
    """The index row id of a PMID's version: sorts like the PMID, versions kept apart."""
    return pmid * 100 + min(max(version, 1), 99)


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """One record ready for the index: keys, dates (YYYYMMDD), stored XML, field texts."""

    key: int
    pmid: int
    version: int
    record_type: str
    dp: int | None
    edat: int | None
    crdt: int | None
    mdat: int | None
    raw: bytes  # the record element's XML, compressed (lz4 block with its size)
    texts: tuple[str, ...]  # one per FIELDS


@dataclass(frozen=True, slots=True)
class DeletedRecord:
    """A PMID listed under ``<DeleteCitation>``."""

    pmid: int


Prepared = PreparedRecord | DeletedRecord


@dataclass(frozen=True, slots=True)
class MeshDescriptor:
    """A descriptor of NLM's MeSH file, as the ledger keeps it."""

    ui: str
    name: str  # the heading: "Receptors, N-Methyl-D-Aspartate"
    token: str  # ``value_token(name)``: what ``"..."[mh]`` is looked up by
    tree_numbers: tuple[str, ...]  # "C23.888.592.612": [mh] explodes to the numbers below
    entry_terms: tuple[str, ...]  # every term of every concept, the heading first, no repeats


@dataclass(frozen=True)
class MirrorFile:
    """A file the mirror loaded (or is loading)."""

    id: int
    name: str
    kind: str  # "baseline" or "update"
    year: int
    number: int
    size: int
    md5: str
    md5_checked: bool  # against NLM's .md5 file beside it
    status: str  # "loading" or "done"
    records_done: int
    upserted: int
    deleted: int
    started_at: datetime
    finished_at: datetime | None
    released_at: datetime | None  # the file's own date (mtime or the server's Last-Modified)


@dataclass(frozen=True)
class MirrorSummary:
    """What a mirror holds: its files, records, deletions and MeSH tree."""

    files: tuple[MirrorFile, ...]
    records: int
    deleted: int
    mesh: str | None  # e.g. "desc2025.xml (30,000 descriptors)"
    index_version: str | None

    @property
    def done(self) -> tuple[MirrorFile, ...]:
        return tuple(f for f in self.files if f.status == "done")

    @property
    def snapshot(self) -> str:
        """``baseline 2025 + update 1400``."""
        done = self.done
        baseline = [f for f in done if f.kind == "baseline"]
        updates = [f for f in done if f.kind == "update"]
        return snapshot_label(
            min((f.year for f in baseline), default=None),
            max((f.number for f in updates), default=None),
            max((f.number for f in done), default=None),
        )

    @property
    def last_file(self) -> MirrorFile | None:
        done = self.done
        return max(done, key=lambda f: (f.year, f.number)) if done else None

    @property
    def unfinished(self) -> tuple[MirrorFile, ...]:
        return tuple(f for f in self.files if f.status != "done")


@dataclass(frozen=True)
class MirrorAnswer:
    """What a mirror search found (PMIDs, newest first) and how it read the query."""

    pmids: tuple[str, ...]
    engine: str  # "SQLite FTS5", "PostgreSQL full text"
    mesh: str | None  # the MeSH tree that exploded [mh]/[majr], or None: exact headings
    exploded: tuple[tuple[str, int], ...] = ()  # (heading token, headings searched)

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per choice an auditor should know about."""
        if self.mesh is None:
            mesh = "no MeSH tree loaded: [mh] and [majr] match the exact heading only"
        else:
            parts = ", ".join(f"{token}: {n}" for token, n in self.exploded) or "none used"
            mesh = f"[mh]/[majr] exploded through MeSH {self.mesh} (headings searched: {parts})"
        return (
            f"answered by the local mirror ({self.engine}); no automatic term mapping",
            mesh,
        )
