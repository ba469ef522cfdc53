"""``evidence refresh`` under NCBI's rate limit: a first run, an unchanged run, 1,000 new records.

A loopback E-utilities server (``tests/eutils_server.py``) serves one query whose records
repeat the real records of ``../shared/pubmed/corpus/efetch-distinct.xml.gz`` under new
PMIDs, and enforces NCBI's rule the gentlest way: a request arriving when 3 requests (10 with
an ``api_key`` parameter) were already served within the last sliding second gets a 429 with
``Retry-After: 1`` (rejected requests do not count). Each scenario (without a key, with one)
runs three refreshes on a fresh SQLite database, each in a child process whose CPU (user +
system) and peak RSS come from its rusage: the first (every record new), an unchanged one,
and one after 1,000 records were added to the query's answer. The server's log gives the
requests, the 429s and their timing.

    python benchmarks/bench_refresh_rate.py [--quick] [--records 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.eutils_server when run as a script

from benchmarks.bench_refresh_scale import (  # noqa: E402
    CLAIMS,
    CORPUS,
    TERM,
    RepeatedRecords,
    RepeatedServer,
    _child_env,
    corpus_templates,
    run_refresh,
)
from benchmarks.bench_retrieval import RateLimitedServer, busiest  # noqa: E402
from tests.eutils_server import LoggedRequest  # noqa: E402

OPEN_RATE = 3  # requests per second without an API key
KEYED_RATE = 10  # with one
WINDOW = 1.0
ADDED = 1_000
FULL_RECORDS = 10_000
QUICK_RECORDS = 3_000
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "refresh-rate.json"  # as python -m benchmarks


class RateLimitedRepeatedServer(RateLimitedServer, RepeatedServer):
    """A :class:`RepeatedServer` answering 429 past NCBI's rate (3/s; 10/s with a key)."""

    def __init__(self, records: RepeatedRecords) -> None:
        super().__init__(records, {TERM: list(records)})
        self.refused_at: list[float] = []

    def grow(self, records: RepeatedRecords) -> None:
        """Answer the query with ``records`` from now on (new PMIDs appended)."""
        self.records = records  # type: ignore[assignment]  # read-only here
        self.searches = {TERM: list(records)}

    def allowed(self, request: LoggedRequest) -> float:
        return KEYED_RATE if request.params.get("api_key") else OPEN_RATE

    def refuse(self, request: LoggedRequest) -> None:
        super().refuse(request)
        self.refused_at.append(request.time)


@dataclass(frozen=True)
class RunFigures:
    """One refresh as the server and the child's rusage saw it."""

    run: str
    new_records: int
    requests: int
    rejected_429: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    busiest_second: int
    allowed_rate: int

    @property
    def rate_fraction(self) -> float:
        """Requests per wall second over the allowed rate."""
        return self.requests / max(self.wall_seconds, 1e-9) / self.allowed_rate

    @property
    def floor_seconds(self) -> float:
        """The least wall time NCBI's rate allows for these requests (the first is free)."""
        return max(self.requests - 1, 0) / self.allowed_rate

    def to_json(self) -> dict[str, Any]:
        figures = asdict(self)
        figures["rate_fraction"] = round(self.rate_fraction, 3)
        figures["floor_seconds"] = round(self.floor_seconds, 2)
        figures["records_per_cpu_second"] = (
            round(self.new_records / self.cpu_seconds) if self.new_records else None
        )
        return figures


def scenario(templates: Sequence[bytes], size: int, keyed: bool) -> list[RunFigures]:
    """First, unchanged and +1,000 refreshes of one ``size``-record query."""
    allowed = KEYED_RATE if keyed else OPEN_RATE
    runs: list[RunFigures] = []
    with tempfile.TemporaryDirectory(prefix="bench-rate-") as tmp:
        folder = Path(tmp)
        claims = folder / "claims.toml"
        claims.write_text(CLAIMS, encoding="utf-8")
        with RateLimitedRepeatedServer(RepeatedRecords(templates, size)) as server:
            assert isinstance(server, RateLimitedRepeatedServer)
            env = _child_env(server.url, folder)
            if not keyed:
                env.pop("NCBI_API_KEY")
            for name in ("first", "unchanged", f"{ADDED:,} new"):
                if name.endswith("new"):
                    server.grow(RepeatedRecords(templates, size + ADDED))
                runs.append(_one_run(server, env, claims, name, allowed))
    return runs


def _one_run(
    server: RateLimitedRepeatedServer,
    env: Mapping[str, str],
    claims: Path,
    name: str,
    allowed: int,
) -> RunFigures:
    first, rejected = len(server.requests), len(server.refused_at)
    child = run_refresh(env, claims)
    seen = [r.time for r in server.requests[first:]]
    refused_at = set(server.refused_at[rejected:])
    refused = len(refused_at)
    return RunFigures(
        run=name,
        new_records=child.new,
        requests=len(seen) - refused,
        rejected_429=refused,
        wall_seconds=child.wall_seconds,
        cpu_seconds=child.cpu_seconds,
        peak_rss_mb=child.peak_rss_mb,
        busiest_second=busiest([t for t in seen if t not in refused_at], WINDOW),
        allowed_rate=allowed,
    )


def section(quick: bool, records: int | None = None) -> tuple[str, dict[str, object]]:
    """Run the benchmark: its Markdown (the harness adds the heading) and its figures."""
    if not CORPUS.exists():
        return f"Skipped: {CORPUS} is absent.\n", {"skipped": f"{CORPUS} absent"}
    size = records or (QUICK_RECORDS if quick else FULL_RECORDS)
    templates = corpus_templates()
    scenarios = {
        "no key (3 requests/s)": scenario(templates, size, keyed=False),
        "API key (10 requests/s)": scenario(templates, size, keyed=True),
    }
    data: dict[str, object] = {
        "records": size,
        "added": ADDED,
        "scenarios": {k: [r.to_json() for r in v] for k, v in scenarios.items()},
    }
    return _markdown(size, len(templates), scenarios), data


def _markdown(size: int, distinct: int, scenarios: Mapping[str, Sequence[RunFigures]]) -> str:
    lines = [
        f"One query of {size:,} records (the corpus's {distinct:,} distinct real records"
        " repeated under new PMIDs), `evidence refresh` in a child process against a loopback"
        " server answering 429 past NCBI's rate (sliding second); then an unchanged refresh,"
        f" then one after {ADDED:,} records joined the answer. CPU = the child's user + system"
        " seconds; floor = the least wall time the rate allows for those requests.",
        "",
        "| scenario | run | new records | requests | 429s | wall s | floor s | request rate /"
        " allowed | busiest second | CPU s | records / CPU-s | peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in scenarios.items():
        for r in runs:
            rate = f"{r.new_records / r.cpu_seconds:,.0f}" if r.new_records else "-"
            lines.append(
                f"| {name} | {r.run} | {r.new_records:,} | {r.requests} | {r.rejected_429}"
                f" | {r.wall_seconds:.1f} | {r.floor_seconds:.1f} | {r.rate_fraction:.2f}"
                f" | {r.busiest_second} | {r.cpu_seconds:.1f} | {rate} | {r.peak_rss_mb:.0f} |"
            )
    lines += [
        "",
        "Wall time above the floor is the refresh's own work (parsing, grading, storing,"
        " annotating between requests): where the CPU seconds come near the wall seconds, our"
        " CPU, not NCBI's rate, is the bottleneck.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RECORDS:,} records")
    parser.add_argument("--records", type=int, help=f"records (default {FULL_RECORDS:,})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    text, data = section(args.quick, args.records)
    print(f"## Refresh under NCBI's rate limit\n\n{text}")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
