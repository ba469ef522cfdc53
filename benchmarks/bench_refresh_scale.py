"""First refresh of one query of 3k / 30k / 100k records: CPU per record and peak memory.

A loopback E-utilities server (``tests/eutils_server.py``, no rate limiting on its side)
serves records made by repeating the real records of
``../shared/pubmed/corpus/efetch-distinct.xml.gz`` under new PMIDs (50,000,000 upwards),
all found by one search term. ``evidence refresh`` runs in a child process (an API key set,
so the client paces at 10 requests/s: the sleeps cost no CPU); its CPU seconds (user +
system) and peak RSS come from the child's rusage, so the server's work is not counted.
Each size runs twice on a fresh SQLite database: the first refresh (everything new) and an
unchanged second one.

    python benchmarks/bench_refresh_scale.py [--quick] [--sizes 3000,30000] [--profile DIR]
        [--tracemalloc DIR [--trace-runs first,unchanged]]

``--profile DIR`` runs the first refresh of each size under cProfile and writes
``DIR/refresh-<size>.prof`` (the figures are then cProfile's, slower). ``--tracemalloc DIR``
runs the refreshes (``--trace-runs``: which ones) under tracemalloc and writes
``DIR/refresh-<size>-<first|unchanged>.txt``: the Python heap's top allocation sites near
its peak (the figures then include tracemalloc's own memory).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.eutils_server when run as a script

from tests.eutils_server import EutilsServer, load_records  # noqa: E402

CORPUS = ROOT.parent / "shared" / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
FIRST_PMID = 50_000_000
TERM = "ketamine chronic pain benchmark"
FULL_SIZES = (3_000, 30_000, 100_000)
QUICK_SIZES = (3_000, 30_000)
TARGET_RATE = 5_000  # records per CPU-second, end to end (issue 15)
TARGET_RSS_MB = 300
TRACED = ("first", "unchanged")  # the refreshes --tracemalloc traces by default
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "refresh.json"  # as python -m benchmarks
_PMID = re.compile(rb"(<PMID[^>]*>)[0-9]+(</PMID>)")
_PUBMED_ID = re.compile(rb'(<ArticleId IdType="pubmed">)[0-9]+(</ArticleId>)')
CLAIMS = f"""\
[article]
slug = "refresh-scale-benchmark"
title = "Refresh benchmark"

[[claims]]
id = "relief"
statement = "Ketamine infusions relieve chronic pain in adults."

[[claims.queries]]
label = "main"
term = "{TERM}"
"""


def corpus_templates(path: Path = CORPUS) -> list[bytes]:
    """The corpus's distinct records (serialized), in PMID order."""
    records = load_records(path.read_bytes())
    return [records[p] for p in sorted(records, key=int)]


def renumbered(template: bytes, pmid: str) -> bytes:
    """``template`` with its own PMID (and its pubmed ArticleId) replaced by ``pmid``."""
    new = pmid.encode()
    record = _PMID.sub(lambda m: m[1] + new + m[2], template, count=1)
    return _PUBMED_ID.sub(lambda m: m[1] + new + m[2], record, count=1)


class RepeatedRecords(Mapping[str, bytes]):
    """PMID -> record for ``size`` records cycling through ``templates``, built on demand."""

    def __init__(self, templates: Sequence[bytes], size: int, first: int = FIRST_PMID) -> None:
        self.templates, self.size, self.first = templates, size, first

    def __getitem__(self, pmid: str) -> bytes:
        index = int(pmid) - self.first if pmid.isdigit() else -1
        if not 0 <= index < self.size:
            raise KeyError(pmid)
        return renumbered(self.templates[index % len(self.templates)], pmid)

    def __iter__(self) -> Iterator[str]:
        return (str(self.first + i) for i in range(self.size))

    def __len__(self) -> int:
        return self.size

    def __contains__(self, pmid: object) -> bool:
        return isinstance(pmid, str) and pmid.isdigit() and 0 <= int(pmid) - self.first < self.size


class RepeatedServer(EutilsServer):
    """An :class:`EutilsServer` over :class:`RepeatedRecords`, none of them held whole."""

    def __init__(self, records: RepeatedRecords, searches: Mapping[str, Sequence[str]]) -> None:
        super().__init__({}, searches)
        self.records = records  # type: ignore[assignment]  # read-only here


@dataclass
class ChildRun:
    """One ``evidence refresh`` child process, from its rusage and its JSON summary."""

    cpu_seconds: float
    wall_seconds: float
    peak_rss_mb: float
    exit_code: int
    stored: int
    new: int


def run_refresh(
    env: Mapping[str, str], claims: Path, profile: Path | None = None, trace: Path | None = None
) -> ChildRun:
    """Run ``evidence refresh CLAIMS --json`` in a child; its own CPU and peak RSS.

    ``profile``: under cProfile, written there; ``trace``: under tracemalloc, the heap's
    top allocation sites near its peak written there (``benchmarks/trace_peak.py``).
    """
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    elif trace is not None:
        command += [str(ROOT / "benchmarks" / "trace_peak.py"), str(trace)]
    command += ["-m", "evidence", "refresh", str(claims), "--json", "--recheck", "changed"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code, cpu, peak_kb = _spawn(command, env, claims.parent, out.fileno(), err.fileno())
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code != 0:
        raise RuntimeError(f"refresh exited {code}: {stderr.decode()[-2000:]}")
    totals = json.loads(stdout)["totals"]
    return ChildRun(
        cpu_seconds=round(cpu, 2),
        wall_seconds=round(wall, 2),
        peak_rss_mb=round(peak_kb / 1024, 1),  # kilobytes on Linux
        exit_code=code,
        stored=totals["stored"],
        new=totals["new"],
    )


# Linux counts the RSS of the process that spawned a child in the child's peak RSS (the
# memory it had when it exec'd): a small launcher runs the refresh and reports its rusage,
# so this process's size is not counted (the launcher's ~10 MB is the floor).
_LAUNCHER = """
import json, os, sys
os.chdir(sys.argv[2])
pid = os.posix_spawn(sys.argv[3], sys.argv[3:], os.environ)
_, status, usage = os.wait4(pid, 0)
result = [os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss]
with open(sys.argv[1], "w") as out:
    json.dump(result, out)
"""


def _spawn(
    command: list[str], env: Mapping[str, str], cwd: Path, out: int, err: int
) -> tuple[int, float, int]:
    """Run ``command`` through the launcher: (exit code, CPU seconds, peak RSS in kB)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage.json"
        argv = [sys.executable, "-c", _LAUNCHER, str(report), str(cwd), *command]
        actions = [(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)]
        pid = os.posix_spawn(sys.executable, argv, dict(env), file_actions=actions)
        _, status, _ = os.wait4(pid, 0)
        if not report.exists():
            raise RuntimeError(f"launcher failed with status {status}")
        code, cpu, peak_kb = json.loads(report.read_text())
    return int(code), float(cpu), int(peak_kb)


def measure_size(
    templates: Sequence[bytes],
    size: int,
    profile_dir: Path | None,
    trace_dir: Path | None = None,
    traced: Collection[str] = TRACED,
) -> dict[str, object]:
    """First and unchanged second refresh of one ``size``-record query."""
    records = RepeatedRecords(templates, size)
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        folder = Path(tmp)
        claims = folder / "claims.toml"
        claims.write_text(CLAIMS, encoding="utf-8")
        with RepeatedServer(records, {TERM: list(records)}) as server:
            env = _child_env(server.url, folder)
            profile = profile_dir / f"refresh-{size}.prof" if profile_dir else None
            trace = {w: trace_dir / f"refresh-{size}-{w}.txt" for w in traced} if trace_dir else {}
            first = run_refresh(env, claims, profile, trace.get("first"))
            second = run_refresh(env, claims, trace=trace.get("unchanged"))
    if first.stored != size:
        raise RuntimeError(f"first refresh stored {first.stored} of {size} records")
    return {
        "records": size,
        "first": asdict(first),
        "second": asdict(second),
        "first_records_per_cpu_second": round(size / max(first.cpu_seconds, 1e-9)),
    }


def _child_env(url: str, folder: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        PYTHONPATH=str(ROOT),
        EVIDENCE_EUTILS_URL=url,
        EVIDENCE_DATABASE_URL=f"sqlite:///{folder / 'evidence.db'}",
        EVIDENCE_RATE_FILE=str(folder / "rate"),  # not shared with other runs on this machine
        NCBI_EMAIL="bench@example.org",
        NCBI_API_KEY="benchmark-key",  # 10 requests/s: the loopback server does not check it
    )
    return env


def section(quick: bool, sizes: Sequence[int] | None = None) -> tuple[str, dict[str, object]]:
    """Run the benchmark: its Markdown (no heading: the harness adds one) and its figures
    (``quick``: 3k and 30k only)."""
    if not CORPUS.exists():
        text = f"Skipped: {CORPUS} is absent.\n"
        return text, {"skipped": f"{CORPUS} absent"}
    return _section(sizes or (QUICK_SIZES if quick else FULL_SIZES), None)


def _section(
    sizes: Sequence[int],
    profile_dir: Path | None,
    trace_dir: Path | None = None,
    traced: Collection[str] = TRACED,
) -> tuple[str, dict[str, object]]:
    templates = corpus_templates()
    runs = [measure_size(templates, size, profile_dir, trace_dir, traced) for size in sizes]
    data: dict[str, object] = {
        "corpus": str(CORPUS.relative_to(ROOT.parent)),
        "distinct_records": len(templates),
        "target_records_per_cpu_second": TARGET_RATE,
        "target_peak_rss_mb": TARGET_RSS_MB,
        "profiled": profile_dir is not None,
        "runs": runs,
    }
    return _markdown(runs, len(templates), profile_dir is not None), data


def _markdown(runs: Sequence[Mapping[str, object]], distinct: int, profiled: bool) -> str:
    lines = [
        f"One query whose records repeat the corpus's {distinct:,} distinct real records under"
        " new PMIDs, served by the loopback E-utilities server without rate limiting;"
        " `evidence refresh` in a child process (client pacing 10 requests/s, sleeping costs"
        " no CPU), figures from its rusage (user + system CPU, peak RSS)."
        + (" Under cProfile." if profiled else ""),
        "",
        "| records | first: CPU s | first: records/CPU-s | first: peak RSS MB | first: wall s"
        " | unchanged: CPU s | unchanged: peak RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        first, second = run["first"], run["second"]
        assert isinstance(first, dict) and isinstance(second, dict)
        lines.append(
            f"| {run['records']:,} | {first['cpu_seconds']:.1f}"
            f" | {run['first_records_per_cpu_second']:,} | {first['peak_rss_mb']:.0f}"
            f" | {first['wall_seconds']:.1f} | {second['cpu_seconds']:.1f}"
            f" | {second['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        f"Targets (issue 15): >= {TARGET_RATE:,} records per CPU-second end to end; peak RSS"
        f" < {TARGET_RSS_MB} MB whatever the query size.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3k and 30k records only")
    parser.add_argument("--sizes", help="comma-separated record counts (default 3k,30k,100k)")
    parser.add_argument("--profile", type=Path, help="write cProfile files of the first runs here")
    parser.add_argument(
        "--tracemalloc",
        type=Path,
        metavar="DIR",
        help="run the refreshes under tracemalloc; their heap near its peak, by line, in DIR",
    )
    parser.add_argument(
        "--trace-runs",
        default=",".join(TRACED),
        help="with --tracemalloc: which refreshes to trace (first, unchanged; default both)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent", file=sys.stderr)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    chosen = sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    for folder in (args.profile, args.tracemalloc):
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
    traced = tuple(args.trace_runs.split(","))
    text, data = _section(chosen, args.profile, args.tracemalloc, traced)
    print(f"## Refresh at scale\n\n{text}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
