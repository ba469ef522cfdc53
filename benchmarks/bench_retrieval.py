"""Retrieve 20,000 records from a loopback server that enforces NCBI's rate limit.

The server answers 429 (with ``Retry-After: 1``) to any request that arrives when three
requests were already served within the last second (a sliding window; rejected requests
do not count, the gentlest reading of NCBI's rule). The same retrieval runs through
``evidence``'s ``EutilsClient`` and through Bio.Entrez's ``esearch``/``efetch``: once in
one process (esearch the term, efetch every id in batches of 500), then as two processes
at once, each retrieving half the records (two refreshes on one machine). The server's
own log gives the figures.

    python benchmarks/bench_retrieval.py [--records 20000] [--out benchmarks/results/...]

Nothing leaves 127.0.0.1: Bio.Entrez's URL is redirected for the run (see
``patched_entrez``) and esearch answers are parsed with lxml, never with DTD downloads.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import IO, Any, cast
from unittest import mock
from urllib.error import URLError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.eutils_server when run as a script

import Bio  # noqa: E402
from Bio import Entrez  # noqa: E402
from lxml import etree  # noqa: E402

from evidence import __version__  # noqa: E402
from evidence.domain.errors import PubMedError  # noqa: E402
from evidence.settings import NCBI_EUTILS_URL, EutilsSettings, default_rate_file  # noqa: E402
from evidence.sources.eutils.client import ESEARCH_CAP, EutilsClient  # noqa: E402
from evidence.sources.eutils.slicing import collect, plan_slices, uid_range_term  # noqa: E402
from tests.eutils_server import EutilsServer, Fault, LoggedRequest, synthetic_records  # noqa: E402

ALLOWED_RATE = 3.0  # requests/s without an API key
WINDOW = 1.0
TERM = "synthetic benchmark[all]"
HALVES = ("synthetic benchmark[all] AND first half", "synthetic benchmark[all] AND second half")
BATCH = 500
EMAIL = "bench@example.org"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "retrieval.json"
RATE_LIMITED = b'{"error":"API rate limit exceeded","count":"4","limit":"3"}'
_PMID = re.compile(rb"<PMID[^>]*>([0-9]+)</PMID>")
# Bio.Entrez is untyped: the two functions compared, with the types they return.
EntrezCall = Callable[..., IO[bytes]]


class RateLimitedServer(EutilsServer):
    """An :class:`EutilsServer` that enforces 3 requests per sliding second with 429s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rejected = 0
        self._recent: deque[float] = deque()
        self._rate_lock = threading.Lock()

    def allowed(self, request: LoggedRequest) -> float:
        """Requests allowed per sliding second for this request (3: no API key)."""
        return ALLOWED_RATE

    def refuse(self, request: LoggedRequest) -> None:
        """Count a request answered 429."""
        self.rejected += 1

    def log_and_take_fault(self, request: LoggedRequest) -> Fault | None:
        fault = super().log_and_take_fault(request)
        with self._rate_lock:
            while self._recent and self._recent[0] <= request.time - WINDOW:
                self._recent.popleft()
            if len(self._recent) >= self.allowed(request):
                self.refuse(request)
                return Fault.http(429, RATE_LIMITED, {"Retry-After": "1"})
            self._recent.append(request.time)
        return fault


@dataclass(frozen=True)
class Result:
    """One client's run, as the server saw it."""

    client: str
    requests: int
    rejected_429: int
    failed_calls: int  # calls that raised after the client's own retries
    wall_seconds: float
    records: int
    complete: bool  # every expected PMID retrieved, none extra
    busiest_second: int  # most requests that arrived within one second
    first_to_last: float  # seconds from the first request's arrival to the last's

    @property
    def rate_fraction(self) -> float:
        """Requests per second of wall time, as a fraction of the allowed rate."""
        return self.requests / self.wall_seconds / ALLOWED_RATE

    @property
    def sustained_fraction(self) -> float:
        """Request intervals per second between first and last arrival, over the allowed rate.

        Unlike ``rate_fraction`` it does not count the first request as free (which makes
        short runs look faster than the limit) nor the last answer's download.
        """
        if self.requests < 2 or self.first_to_last <= 0:
            return 0.0
        return (self.requests - 1) / self.first_to_last / ALLOWED_RATE

    @property
    def records_per_second(self) -> float:
        return self.records / self.wall_seconds

    def to_json(self) -> dict[str, Any]:
        figures = asdict(self)
        figures["rate_fraction"] = round(self.rate_fraction, 3)
        figures["sustained_fraction"] = round(self.sustained_fraction, 3)
        figures["first_to_last"] = round(self.first_to_last, 2)
        figures["records_per_second"] = round(self.records_per_second, 1)
        figures["wall_seconds"] = round(self.wall_seconds, 2)
        return figures


@dataclass(frozen=True)
class Scenario:
    """Which client retrieves which terms: one client process per term, all at once."""

    name: str
    client: str  # a key of RETRIEVALS
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What one client process retrieved, and when it started and finished (wall clock)."""

    pmids: set[str]
    failed: int
    started: float
    finished: float


def measure(server: RateLimitedServer, scenario: Scenario, expected: set[str]) -> Result:
    """Run a scenario against the server and read its figures from the server's log.

    The clients run in fresh processes, never in the server's: a client holding the
    server's GIL would delay the server's arrival times and bunch them up.
    """
    first, rejected = len(server.requests), server.rejected
    jobs = [(scenario.client, server.url, term) for term in scenario.terms]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        outcomes = pool.starmap(retrieve, jobs)
    seen = [r.time for r in server.requests[first:]]
    pmids = set().union(*(o.pmids for o in outcomes))
    return Result(
        client=scenario.name,
        requests=len(seen),
        rejected_429=server.rejected - rejected,
        failed_calls=sum(o.failed for o in outcomes),
        wall_seconds=max(o.finished for o in outcomes) - min(o.started for o in outcomes),
        records=len(pmids),
        complete=pmids == expected,
        busiest_second=busiest(seen, WINDOW),
        first_to_last=max(seen) - min(seen) if seen else 0.0,
    )


def busiest(times: Sequence[float], window: float) -> int:
    """The most arrivals within any ``window`` seconds (two pointers over sorted times)."""
    ordered, most, low = sorted(times), 0, 0  # empty: 0
    for high, arrival in enumerate(ordered):
        while ordered[low] <= arrival - window:
            low += 1
        most = max(most, high - low + 1)
    return most


def record_pmids(xml: bytes) -> list[str]:
    """The PMIDs of the records in an efetch answer (one per record, synthetic records)."""
    return [m.decode() for m in _PMID.findall(xml)]


# -- evidence -----------------------------------------------------------------------------


def run_evidence(base_url: str, term: str) -> tuple[set[str], int]:
    """esearch the term (slicing past 9,999 ids), then efetch every id in batches of 500."""
    settings = EutilsSettings(base_url=base_url, email=EMAIL)
    pmids: set[str] = set()
    failed = 0
    with EutilsClient(settings) as client:
        try:
            found = client.esearch(term, page_size=ESEARCH_CAP)
        except PubMedError:
            return pmids, 1
        batches = client.efetch(found.pmids, batch_size=BATCH)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except PubMedError:
                failed += 1  # the generator is finished after an error
                break
            pmids.update(record.pmid for record in batch.records)
    return pmids, failed


# -- Bio.Entrez ---------------------------------------------------------------------------


@contextmanager
def patched_entrez(base_url: str) -> Iterator[None]:
    """Point Bio.Entrez at ``base_url`` for the duration: benchmark only.

    Every Entrez function hands its hard-coded NCBI URL to ``_build_request``; wrapping
    that one private function redirects them all. ``email`` and ``tool`` are module
    globals in Bio.Entrez, so they are set here too and restored afterwards.
    """
    original = cast(Callable[..., Any], Entrez._build_request)

    @wraps(original)
    def build(cgi: str, *args: Any, **kwargs: Any) -> Any:
        if not cgi.startswith(NCBI_EUTILS_URL):
            raise RuntimeError(f"unexpected Entrez URL {cgi}")
        return original(base_url + cgi.removeprefix(NCBI_EUTILS_URL), *args, **kwargs)

    with (
        mock.patch.object(Entrez, "_build_request", build),
        mock.patch.object(Entrez, "email", EMAIL),
        mock.patch.object(Entrez, "tool", "biopython"),
    ):
        yield


def entrez_search(term: str, retmax: int) -> tuple[int, tuple[str, ...]]:
    """One Entrez.esearch (with history, as its docs advise): Count and ids."""
    esearch = cast(EntrezCall, Entrez.esearch)
    with esearch(db="pubmed", term=term, usehistory="y", retmax=retmax) as handle:
        root = etree.fromstring(handle.read(), etree.XMLParser(no_network=True, load_dtd=False))
    ids = tuple(element.text or "" for element in root.iterfind("IdList/Id"))
    return int(root.findtext("Count") or 0), ids


def entrez_ids(term: str) -> tuple[str, ...]:
    """Every id of the term: Bio.Entrez has no slicing, so use the same plan as evidence."""
    count, ids = entrez_search(term, ESEARCH_CAP)
    if count <= ESEARCH_CAP:
        return ids

    def probe(lo: int, hi: int) -> int:
        return entrez_search(uid_range_term(term, lo, hi), 0)[0]

    def search(lo: int, hi: int) -> tuple[int, tuple[str, ...]]:
        return entrez_search(uid_range_term(term, lo, hi), ESEARCH_CAP)

    ids, _ = collect(plan_slices(count, ESEARCH_CAP, probe), search)
    return ids


def run_biopython(base_url: str, term: str) -> tuple[set[str], int]:
    """Bio.Entrez esearch, then efetch by id in batches of 500 (it POSTs over 200 ids)."""
    efetch = cast(EntrezCall, Entrez.efetch)
    pmids: set[str] = set()
    failed = 0
    with patched_entrez(base_url):
        try:
            ids = entrez_ids(term)
        except URLError:  # HTTPError included: Bio.Entrez gave up after max_tries
            return pmids, 1
        for start in range(0, len(ids), BATCH):
            batch = list(ids[start : start + BATCH])
            try:
                with efetch(db="pubmed", id=batch, retmode="xml") as handle:
                    pmids.update(record_pmids(handle.read()))
            except URLError:
                failed += 1
    return pmids, failed


# -- scenarios ------------------------------------------------------------------------------

RETRIEVALS: dict[str, Callable[[str, str], tuple[set[str], int]]] = {
    "evidence": run_evidence,
    "biopython": run_biopython,
}
SCENARIOS = [
    Scenario("evidence, 1 process", "evidence", (TERM,)),
    Scenario("Bio.Entrez, 1 process", "biopython", (TERM,)),
    Scenario("evidence, 2 processes", "evidence", HALVES),
    Scenario("Bio.Entrez, 2 processes", "biopython", HALVES),
]


def retrieve(client: str, base_url: str, term: str) -> Outcome:
    """In a client process: retrieve every record of ``term``, timed by the wall clock."""
    started = time.time()
    pmids, failed = RETRIEVALS[client](base_url, term)
    return Outcome(pmids, failed, started, time.time())


# -- report -------------------------------------------------------------------------------

ROWS: list[tuple[str, Callable[[Result], str]]] = [
    ("requests made", lambda r: f"{r.requests}"),
    ("429s received (target 0)", lambda r: f"{r.rejected_429}"),
    ("calls failed after retries", lambda r: f"{r.failed_calls}"),
    ("request rate / allowed (target >= 0.9)", lambda r: f"{r.rate_fraction:.3f}"),
    ("sustained rate / allowed (first to last request)", lambda r: f"{r.sustained_fraction:.3f}"),
    ("busiest second (requests)", lambda r: f"{r.busiest_second}"),
    ("records retrieved", lambda r: f"{r.records:,}" + ("" if r.complete else " (INCOMPLETE)")),
    ("records/s", lambda r: f"{r.records_per_second:,.0f}"),
    ("wall seconds", lambda r: f"{r.wall_seconds:.1f}"),
]


def table(results: Sequence[Result]) -> str:
    """A Markdown table: one row per figure, one column per client."""
    lines = [
        "| figure | " + " | ".join(r.client for r in results) + " |",
        "| --- |" + " ---: |" * len(results),
    ]
    for label, show in ROWS:
        lines.append(f"| {label} | " + " | ".join(show(r) for r in results) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "evidence": __version__,
        "biopython": Bio.__version__,
    }


def run(records: int) -> tuple[list[Result], dict[str, Any]]:
    """Every scenario over ``records`` synthetic records: the results and the JSON report."""
    # PMIDs spread over 30..40 million, highest first (PubMed's default order).
    step = max(1, 10_000_000 // records)
    ids = [str(30_000_000 + i * step) for i in reversed(range(records))]
    middle = len(ids) // 2
    searches = {TERM: ids, HALVES[0]: ids[:middle], HALVES[1]: ids[middle:]}
    results = []
    server = RateLimitedServer(synthetic_records(ids), searches)
    with server:
        for scenario in SCENARIOS:
            time.sleep(WINDOW + 0.1)  # each run starts with an empty window
            results.append(measure(server, scenario, set(ids)))
            print(f"{scenario.name}: {results[-1].wall_seconds:.1f} s", file=sys.stderr)
        default_rate_file(server.url).unlink(missing_ok=True)  # this port's, no longer needed
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": records,
        "allowed_rate": ALLOWED_RATE,
        "batch": BATCH,
        "machine": machine(),
        "results": [r.to_json() for r in results],
    }
    return results, report


def section(quick: bool) -> tuple[str, dict[str, Any]]:
    """For ``python -m benchmarks``: the table and figures (5,000 records when quick)."""
    records = 5_000 if quick else 20_000
    results, report = run(records)
    intro = (
        f"{records:,} synthetic records, efetch batches of {BATCH}, a loopback server "
        f"answering 429 past {ALLOWED_RATE:.0f} requests per sliding second; each client "
        "in fresh processes (see benchmarks/README.md).\n\n"
    )
    return intro + table(results), report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    args = parser.parse_args(argv)
    results, report = run(args.records)
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    # Exit 1 only when evidence's client missed records: Bio.Entrez's misses are findings.
    ours = [r for sc, r in zip(SCENARIOS, results, strict=True) if sc.client == "evidence"]
    return 0 if all(r.complete for r in ours) else 1


if __name__ == "__main__":
    sys.exit(main())
