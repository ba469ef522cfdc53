"""A refresh's memory does not grow with the query (issue 15): an unchanged refresh (search,
what to fetch, the search run's PMIDs, links, annotations, the re-check, Retraction Watch
notices, what changed) holds no Python structure of every PMID beyond a list or two, so its
heap peak grows by less than :data:`BYTES_PER_PMID` per extra PMID between two query sizes.
A first refresh (every PMID new: fetched, stored, listed as added in the summary and its
JSON) holds its PMIDs as 8-byte integers, so its peak grows by less than
:data:`FIRST_BYTES_PER_PMID` per extra PMID.

Pages are made small here, so that both sizes span several of them.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from evidence.cli.json_out import iter_json
from evidence.cli.refresh_output import summary_json
from evidence.domain.claims import load_claims
from evidence.services import annotate, fetch
from evidence.services.refresh import refresh
from evidence.sources.base import FetchedBatch, SearchQuery, SearchResult
from evidence.store import found, runs
from evidence.store.db import Database
from tests.eutils_server import synthetic_record, synthetic_records
from tests.memory_source import MemorySource

FIRST_PMID = 30_000_000
# One title for every record: the annotation's caches of each text's terms (bounded, a few
# thousand entries) then hold one entry, not one per record of these small queries.
SAME_TITLE = "Drug X relieves pain in a randomised trial."

SMALL, LARGE = 600, 3_000
FIRST_SMALL, FIRST_LARGE = 1_000, 10_000  # larger: a first refresh's fixed costs are ~1 MB
PAGE = 100
BYTES_PER_PMID = 100  # ~45 measured: the re-check's list of PMIDs kept by MemorySource.asked
FIRST_BYTES_PER_PMID = 40  # ~25 measured; ~180 with the PMIDs as tuples of str (the search,
# the to-fetch list, the summary's added list, its JSON as one string); ~47 with the search's alone
TERM = "drug-x"


def claims_file(folder: Path) -> Path:
    path = folder / "claims.toml"
    path.write_text(
        '[article]\nslug = "mem"\ntitle = "Memory"\n\n'
        '[[claims]]\nid = "only"\nstatement = "Drug X relieves pain."\n\n'
        f'[[claims.queries]]\nlabel = "main"\nterm = "{TERM}"\n',
        encoding="utf-8",
    )
    return path


def unchanged_refresh_peak(folder: Path, size: int) -> int:
    """The Python heap's peak above its start during the second of two refreshes of a query
    finding ``size`` records."""
    folder.mkdir()
    pmids = [str(FIRST_PMID + n) for n in range(size)]
    source = MemorySource({TERM: pmids}, synthetic_records(pmids))
    claims = load_claims(claims_file(folder))
    db = Database(f"sqlite:///{folder / 'mem.db'}")
    try:
        first = refresh(db, source, claims)
        assert first.totals["stored"] == size
        del first
        gc.collect()
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            second = refresh(db, source, claims)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert second.totals == {
            "queries": 1, "retrieved": size, "new": 0, "stored": 0, "unresolved": 0
        }  # fmt: skip
        assert not second.changes[0].changed
        return peak - start
    finally:
        db.dispose()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in (
        (found, "PAGE"),
        (fetch, "PAGE"),
        (annotate, "BATCH"),
        (runs, "BATCH_ROWS"),
    ):
        monkeypatch.setattr(module, name, PAGE)


@pytest.mark.usefixtures("small_pages")
def test_an_unchanged_refresh_heap_does_not_grow_with_the_query(tmp_path: Path) -> None:
    small = unchanged_refresh_peak(tmp_path / "small", SMALL)
    large = unchanged_refresh_peak(tmp_path / "large", LARGE)
    per_pmid = (large - small) / (LARGE - SMALL)
    assert per_pmid < BYTES_PER_PMID, f"{per_pmid:.0f} bytes per extra PMID"


class PagedSource(MemorySource):
    """A :class:`MemorySource` that, like E-utilities, makes new strings for the PMIDs a
    search finds, and fetches in batches of :data:`PAGE` without keeping what it was
    asked."""

    def search(self, query: SearchQuery) -> SearchResult:
        found = super().search(query)
        fresh = tuple(str(int(p)) for p in found.pmids)  # not the strings of ``searches``
        return SearchResult(**{**vars(found), "pmids": fresh})

    def fetch(self, pmids: Sequence[str]) -> Iterator[FetchedBatch]:
        for start in range(0, len(pmids), PAGE):
            batch = tuple(pmids[start : start + PAGE])
            yield FetchedBatch(requested=batch, articles=tuple(self._articles(batch)))


def first_refresh_peak(folder: Path, size: int) -> int:
    """The Python heap's peak above its start during the first refresh of a query finding
    ``size`` records, its JSON summary written (to nowhere) included."""
    folder.mkdir()
    pmids = [str(FIRST_PMID + n) for n in range(size)]
    records = {pmid: synthetic_record(pmid, SAME_TITLE) for pmid in pmids}
    source = PagedSource({TERM: pmids}, records)
    claims = load_claims(claims_file(folder))
    db = Database(f"sqlite:///{folder / 'mem.db'}")
    try:
        gc.collect()
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            first = refresh(db, source, claims)
            written = sum(len(piece) for piece in iter_json(summary_json(first)))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert first.totals["stored"] == first.totals["new"] == size
        assert len(first.changes[0].added) == size
        assert written > size * len(pmids[0])
        return peak - start
    finally:
        db.dispose()


@pytest.mark.usefixtures("small_pages")
def test_a_first_refresh_heap_grows_by_a_few_bytes_per_pmid(tmp_path: Path) -> None:
    first_refresh_peak(tmp_path / "warm", PAGE)  # imports and caches filled once, not measured
    small = first_refresh_peak(tmp_path / "small", FIRST_SMALL)
    large = first_refresh_peak(tmp_path / "large", FIRST_LARGE)
    per_pmid = (large - small) / (FIRST_LARGE - FIRST_SMALL)
    assert per_pmid < FIRST_BYTES_PER_PMID, f"{per_pmid:.0f} bytes per extra PMID"
