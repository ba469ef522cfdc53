"""A refresh's memory does not grow with the query (issue 15): an unchanged refresh (search,
what to fetch, the search run's PMIDs, links, annotations, the re-check, Retraction Watch
notices, what changed) holds no Python structure of every PMID beyond a list or two, so its
heap peak grows by less than :data:`BYTES_PER_PMID` per extra PMID between two query sizes.

Pages are made small here, so that both sizes span several of them.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest

from evidence.domain.claims import load_claims
from evidence.services import annotate, fetch
from evidence.services.refresh import refresh
from evidence.store import found, runs
from evidence.store.db import Database
from tests.eutils_server import synthetic_records
from tests.memory_source import MemorySource

SMALL, LARGE = 600, 3_000
PAGE = 100
BYTES_PER_PMID = 100  # ~45 measured: the re-check's list of PMIDs kept by MemorySource.asked
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
    pmids = [str(30_000_000 + n) for n in range(size)]
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
