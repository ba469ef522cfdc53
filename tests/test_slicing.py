"""Searches over PubMed's 9,999-id cap: the PMID-range planner, the client, the CLI."""

from __future__ import annotations

import bisect
import itertools
import json
import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.cli.main import cli
from evidence.domain.errors import PermanentPubMedError
from evidence.sources.base import SliceInfo, describe_shortfall
from evidence.sources.eutils.client import EutilsClient
from evidence.sources.eutils.slicing import (
    MAX_DEPTH,
    PMID_MAX,
    PMID_MIN,
    PmidRange,
    collect,
    halves,
    plan_slices,
    shortfall,
    uid_range_term,
)
from tests.claims_files import one_query_claims
from tests.eutils_server import EutilsServer, Fault, synthetic_records

ServerFactory = Callable[..., EutilsServer]
ClientFactory = Callable[..., EutilsClient]
CAP = 9_999


class Counter:
    """``count(lo, hi)`` over a fixed set of PMIDs, like a probe; remembers every call."""

    def __init__(self, pmids: Sequence[int]) -> None:
        self.sorted = sorted(set(pmids))
        self.calls: list[tuple[int, int]] = []

    def __call__(self, lo: int, hi: int) -> int:
        self.calls.append((lo, hi))
        return bisect.bisect_right(self.sorted, hi) - bisect.bisect_left(self.sorted, lo)


def assert_partition(ranges: Sequence[PmidRange], lo: int = PMID_MIN, hi: int = PMID_MAX) -> None:
    """Disjoint, adjacent, highest first, and together exactly ``lo..hi``."""
    assert ranges[0].hi == hi and ranges[-1].lo == lo
    for higher, lower in itertools.pairwise(ranges):
        assert lower.hi + 1 == higher.lo
    assert all(r.lo <= r.hi for r in ranges)


def descending(n: int, start: int = 30_000_000, step: int = 1) -> list[str]:
    """``n`` PMIDs, highest first (PubMed's default order: most recent first)."""
    return [str(start + i * step) for i in reversed(range(n))]


# -- the planner (pure) --------------------------------------------------------------


def test_halves_split_adjacent_and_refuse_a_single_pmid() -> None:
    assert halves(1, 2) == ((1, 1), (2, 2))
    assert halves(1, 4) == ((1, 2), (3, 4))
    assert halves(PMID_MIN, PMID_MAX) == ((1, 50_000_000), (50_000_001, 99_999_999))
    with pytest.raises(ValueError):
        halves(7, 7)
    assert uid_range_term("a OR b", 1, 9) == "(a OR b) AND 1:9[uid]"


def test_a_search_at_the_cap_is_not_split_and_one_over_is() -> None:
    at_cap = Counter(range(1, 11))
    assert plan_slices(10, 10, at_cap) == [PmidRange(PMID_MIN, PMID_MAX, 10)]
    assert at_cap.calls == []
    over = Counter(range(1, 12))
    ranges = plan_slices(11, 10, over)
    assert len(ranges) > 1 and all(r.count <= 10 for r in ranges)
    assert_partition(ranges)
    assert len(over.calls) == 2 * (len(ranges) - 1)  # two probes per split


def test_bisection_stops_at_the_cap_and_orders_slices_highest_first() -> None:
    pmids = list(range(1_000, 1_025))
    ranges = plan_slices(25, 10, Counter(pmids), lo=1_000, hi=1_031)
    assert [(r.lo, r.hi, r.count) for r in ranges] == [
        (1_016, 1_031, 9),
        (1_008, 1_015, 8),
        (1_000, 1_007, 8),
    ]


def test_a_single_pmid_over_the_cap_is_kept_and_shows_as_a_shortfall() -> None:
    def impossible(lo: int, hi: int) -> int:  # PMID 7 "matches" 5 times
        return 5 if lo <= 7 <= hi else 0

    ranges = plan_slices(5, 2, impossible, lo=1, hi=16)
    assert_partition(ranges, 1, 16)
    assert [r for r in ranges if r.count] == [PmidRange(7, 7, 5)]
    ids, slices = collect(ranges, lambda lo, hi: (5, ("7",)))
    assert ids == ("7",) and slices == [SliceInfo(7, 7, 5, 1)]
    assert shortfall(5, len(ids), slices) == (SliceInfo(7, 7, 5, 1),)


def test_a_server_ignoring_the_pmid_range_is_refused_not_bisected_forever() -> None:
    with pytest.raises(PermanentPubMedError, match="ignored the PMID range"):
        plan_slices(25_000, CAP, lambda lo, hi: 25_000)


def test_counts_that_never_add_up_stop_at_the_split_budget() -> None:
    calls = 0

    def inflated(lo: int, hi: int) -> int:  # each half counts one less than its parent
        nonlocal calls
        calls += 1
        return 11 + int(math.log2(hi - lo + 1))

    with pytest.raises(PermanentPubMedError, match="did not converge"):
        plan_slices(31, 10, inflated, lo=1, hi=2**20)
    assert calls <= 2 * 2 * MAX_DEPTH * (31 // 10 + 1)


@settings(max_examples=150, deadline=None)
@given(
    pmids=st.sets(st.integers(PMID_MIN, PMID_MAX), max_size=150)
    | st.sets(st.integers(20_000_000, 20_000_400), max_size=300),
    cap=st.integers(1, 40),
)
def test_planned_slices_partition_the_pmids_and_collect_each_id_once(
    pmids: set[int], cap: int
) -> None:
    counter = Counter(sorted(pmids))
    ranges = plan_slices(len(pmids), cap, counter)
    assert_partition(ranges)
    assert all(r.count == counter(r.lo, r.hi) and r.count <= cap for r in ranges)
    assert sum(r.count for r in ranges) == len(pmids)

    def search(lo: int, hi: int) -> tuple[int, tuple[str, ...]]:
        found = [p for p in counter.sorted if lo <= p <= hi]
        return len(found), tuple(str(p) for p in reversed(found))

    ids, slices = collect(ranges, search)
    assert ids == tuple(str(p) for p in sorted(pmids, reverse=True))
    assert all(s.count == s.retrieved > 0 for s in slices)
    assert shortfall(len(pmids), len(ids), slices) == ()


def test_shortfall_names_short_slices_and_what_no_slice_explains() -> None:
    assert shortfall(10, 10, ()) == () and shortfall(10, 12, ()) == ()
    assert shortfall(10, 7, ()) == (SliceInfo(PMID_MIN, PMID_MAX, 10, 7),)
    short = SliceInfo(1, 5_000, 6_000, 5_990)
    whole = [SliceInfo(5_001, 9_000, 4_000, 4_000), short]
    assert shortfall(10_000, 9_990, whole) == (short,)
    assert shortfall(25_000, 9_990, whole)[-1] == SliceInfo(PMID_MIN, PMID_MAX, 25_000, 9_990)
    assert describe_shortfall([short]) == "1:5000[uid] (10 missing)"
    assert describe_shortfall([short] * 7, limit=2).endswith("(10 missing), and 5 more")
    assert short.to_json() == {"lo": 1, "hi": 5_000, "count": 6_000, "retrieved": 5_990}


def test_collect_drops_ids_a_server_lists_outside_the_slice() -> None:
    ranges = [PmidRange(11, 20, 2), PmidRange(1, 10, 0)]
    ids, slices = collect(ranges, lambda lo, hi: (2, ("15", "5", "x")))
    assert ids == ("15",) and slices == [SliceInfo(11, 20, 2, 1)]


# -- the client against the loopback server ------------------------------------------


def test_25000_ids_are_all_retrieved_in_slices_under_the_cap(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = descending(25_000, step=2)
    server = eutils_server_factory({}, {"pain[tiab]": ids})
    result = eutils_client_factory(server).esearch("pain[tiab]", mindate="2000", maxdate="2025")

    assert (result.count, result.complete, result.shortfall) == (25_000, True, ())
    assert result.pmids == tuple(ids)
    assert all(0 < s.retrieved == s.count <= CAP for s in result.slices)
    assert sum(s.count for s in result.slices) == 25_000
    assert all(a.lo > b.hi for a, b in itertools.pairwise(result.slices))
    sent = [r.params for r in server.requests]
    probes = [p for p in sent if p.get("retmax") == "0"]
    assert probes and all("[uid]" in p["term"] for p in probes)
    assert all((p["mindate"], p["maxdate"]) == ("2000", "2025") for p in probes)
    assert result.requests == len(sent) and len(sent) < 60


def test_a_slice_that_lists_fewer_ids_than_it_counts_is_the_named_shortfall(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
) -> None:
    ids = descending(12_000)
    lost = ids[-10:]  # the ten lowest PMIDs: all in the lowest slice
    server = eutils_server_factory({}, {"t": ids}, unlisted=lost)
    server.push(Fault.http(503, endpoint="esearch.fcgi"), Fault.http(503))
    result = eutils_client_factory(server).esearch("t")

    assert (result.count, len(result.pmids), result.complete) == (12_000, 11_990, False)
    assert not set(lost) & set(result.pmids)
    (short,) = result.shortfall
    assert short == result.slices[-1] and short.missing == 10
    assert short.lo <= int(lost[-1]) and int(lost[0]) <= short.hi
    assert result.retries == ("HTTP 503", "HTTP 503")
    assert result.requests == len(server.requests)


def test_an_unsliced_search_listing_fewer_ids_than_it_counts_is_short_as_a_whole(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = descending(10)
    server = eutils_server_factory({}, {"t": ids}, unlisted=ids[:2])
    result = eutils_client_factory(server).esearch("t", page_size=4)
    assert (result.complete, result.slices, len(result.pmids)) == (False, (), 8)
    assert result.shortfall == (SliceInfo(PMID_MIN, PMID_MAX, 10, 8),)


# -- the CLI: a refresh of a query counting 25,000 -----------------------------------


def test_refresh_of_a_query_counting_25000_stores_25000_records(
    tmp_path: Path, eutils_server_factory: ServerFactory
) -> None:
    ids = descending(25_000, start=20_000_000, step=3)
    server = eutils_server_factory(synthetic_records(ids), {"pain[tiab]": ids})
    claims = one_query_claims(tmp_path, "pain[tiab]", slug="big-search")
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'big.db'}",
        "NCBI_API_KEY": "test-key",  # 10 requests/s
    }
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["refresh", str(claims), "--json"], env=env)
    elapsed = time.monotonic() - started

    assert result.exit_code == 0, (result.stdout, result.stderr)
    (query,) = json.loads(result.stdout)["queries"]
    assert (query["status"], query["count"], query["retrieved"]) == ("ok", 25_000, 25_000)
    db = sqlite3.connect(tmp_path / "big.db")
    assert db.execute("select count(*) from articles").fetchone() == (25_000,)
    status, count, retrieved, slices = db.execute(
        "select status, count, retrieved, slices from search_runs"
    ).fetchone()
    assert (status, count, retrieved) == ("ok", 25_000, 25_000)
    recorded = json.loads(slices)
    assert recorded and all(s["count"] == s["retrieved"] <= CAP for s in recorded)
    assert sum(s["count"] for s in recorded) == 25_000
    esearches = server.requests_to("esearch.fcgi")
    print(  # the measured numbers (pytest -s)
        f"\n25,000: {len(server.requests)} requests ({len(esearches)} esearch,"
        f" {sum(r.params.get('retmax') == '0' for r in esearches)} probes),"
        f" {len(recorded)} slices, {elapsed:.1f}s"
    )


def test_refresh_with_a_short_slice_exits_3_and_names_the_missing_slices(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: ServerFactory
) -> None:
    ids = sorted(tiny_records, reverse=True)
    server = eutils_server_factory(
        tiny_records, {"pain[tiab]": ids}, count_override={"pain[tiab]": 10_500}, unlisted=ids[:1]
    )
    claims = one_query_claims(tmp_path, "pain[tiab]", slug="big-search")
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'short.db'}",
        "NCBI_API_KEY": "test-key",
    }
    result = CliRunner().invoke(cli, ["refresh", str(claims), "--json"], env=env)

    assert result.exit_code == 3, (result.stdout, result.stderr)
    (query,) = json.loads(result.stdout)["queries"]
    assert (query["status"], query["count"], query["retrieved"]) == ("incomplete", 10_500, 2)
    (row,) = sqlite3.connect(tmp_path / "short.db").execute(
        "select slices, message from search_runs"
    )
    (recorded,) = json.loads(row[0])
    assert (recorded["count"], recorded["retrieved"]) == (3, 2)
    label = f"{recorded['lo']}:{recorded['hi']}[uid]"
    assert row[1] == (
        f"PubMed counts 10500 but 2 were retrieved; short slices: {label} (1 missing),"
        f" {PMID_MIN}:{PMID_MAX}[uid] (10498 missing)"
    )
    assert query["message"] == row[1]
