"""The local PubMed mirror at scale: import rate, memory, index size and query latency.

The records are the shared corpus (``../shared/pubmed/corpus/efetch-distinct.xml.gz``, 3,150
real PubMed records) repeated with new PMIDs (each copy shifted by 10,000,000... see
``renumber``), written as NLM-style files of 30,000 records (``pubmed26nNNNN.xml.gz``) in a
temporary folder (never in the repository). The mirror grows through each size in turn
(100k, 300k, 1M by default): at each size the import rate of the files just loaded, the peak
memory so far, the database size and the median latency of each ketamine claim query (5 runs)
are measured, on SQLite and on PostgreSQL (``EVIDENCE_TEST_POSTGRES_URL``; skipped if unset).

    .venv/bin/python benchmarks/bench_mirror.py [--sizes 100000,300000,1000000]
        [--backends sqlite,postgresql] [--out benchmarks/results/mirror-sqlite.json]
    .venv/bin/python benchmarks/bench_mirror.py --profile 2 --sizes 60000   # CPU profile

Figures are printed and written to ``results/mirror-BACKENDS.json``; docs/mirror.md reads them.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from evidence.domain.claims import load_claims
from evidence.services import mirror as service
from evidence.sources.base import SearchQuery
from evidence.sources.mirror.records import open_stream, scan
from evidence.sources.mirror.source import MirrorSource
from evidence.store.db import Database
from evidence.store.mirror.index import StoreMirrorIndex

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path(os.environ.get("EVIDENCE_SHARED_DIR") or ROOT.parent / "shared")
CORPUS = SHARED / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
CLAIMS = ROOT / "queries" / "ketamine-chronic-pain.toml"
PER_FILE = 30_000
HEADER = b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n'
FOOTER = b"</PubmedArticleSet>\n"
_OWN_PMID = re.compile(rb"(<PMID[^>]*>)(\d+)(</PMID>)")
_OWN_ID = re.compile(rb'(<ArticleId IdType="pubmed">)(\d+)(</ArticleId>)')


def corpus_records() -> list[tuple[int, bytes]]:
    """(PMID, record bytes) of the shared corpus."""
    out = []
    for raw in scan(open_stream(CORPUS)):
        match = _OWN_PMID.search(raw)
        if match and not raw.startswith(b"<DeleteCitation"):
            out.append((int(match.group(2)), raw))
    return out


def renumber(raw: bytes, old: int, new: int) -> bytes:
    """The record with its own PMID (first ``<PMID>``, and its pubmed ArticleId) replaced."""
    raw = _OWN_PMID.sub(lambda m: m.group(1) + str(new).encode() + m.group(3), raw, count=1)
    return _OWN_ID.sub(
        lambda m: m.group(1) + (str(new).encode() if int(m.group(2)) == old else m.group(2))
        + m.group(3),
        raw,
    )  # fmt: skip


def repeated(records: list[tuple[int, bytes]], start: int, count: int) -> Iterator[bytes]:
    """Records ``start .. start+count`` of the endless repetition (copy c: PMID + c * 10^8)."""
    for index in range(start, start + count):
        copy, position = divmod(index, len(records))
        pmid, raw = records[position]
        yield raw if copy == 0 else renumber(raw, pmid, pmid + copy * 100_000_000)


def write_files(
    records: list[tuple[int, bytes]], folder: Path, first: int, upto: int
) -> list[Path]:
    """NLM-style files for records ``first .. upto`` (30,000 per file)."""
    paths = []
    for start in range(first, upto, PER_FILE):
        number = start // PER_FILE + 1
        path = folder / f"pubmed26n{number:04d}.xml.gz"
        with gzip.open(path, "wb", compresslevel=1) as out:
            out.write(HEADER)
            for raw in repeated(records, start, min(PER_FILE, upto - start)):
                out.write(raw)
                out.write(b"\n")
            out.write(FOOTER)
        paths.append(path)
    return paths


def tree_rss_kb(pid: int) -> dict[int, int]:
    """pid -> resident kB of ``pid`` and all its descendants (from /proc)."""
    out: dict[int, int] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss = next((int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmRSS:")), 0)  # fmt: skip
        out[current] = rss
        todo.extend(int(c) for c in children)
    return out


def cli_load_memory(files: list[Path], work: Path) -> dict[str, Any]:
    """Peak memory of ``evidence mirror load FILES`` as a user runs it (sampled every 0.1 s):
    the main process, its worker, and both together."""
    db = work / "memory.db"
    command = [sys.executable, "-c", "from evidence.cli.main import main; main()",
               "--db", str(db), "mirror", "load", *map(str, files)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    main_peak = worker_peak = total_peak = 0
    while process.poll() is None:
        sizes = tree_rss_kb(process.pid)
        main_peak = max(main_peak, sizes.get(process.pid, 0))
        others = [v for k, v in sizes.items() if k != process.pid]
        worker_peak = max([worker_peak, *others])
        total_peak = max(total_peak, sum(sizes.values()))
        time.sleep(0.1)
    db.unlink(missing_ok=True)
    return {
        "files": len(files),
        "records": len(files) * PER_FILE,
        "main_mb": round(main_peak / 1024, 1),
        "worker_mb": round(worker_peak / 1024, 1),
        "total_mb": round(total_peak / 1024, 1),
    }


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def server_cpu_seconds(db: Database) -> float | None:
    """PostgreSQL: CPU seconds of the server processes serving this database (from /proc,
    when the server runs on this machine); None for SQLite or a remote server."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).scalars()
        total, tick = 0.0, os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its (finished) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"main_mb": round(own, 1), "worker_mb": round(children, 1)}


def database_bytes(db: Database, path: Path | None) -> dict[str, int]:
    """The database's size, and the parts that matter (records, search index)."""
    with db.engine.connect() as conn:
        if path is not None:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes = {"database": path.stat().st_size}
            try:
                rows = conn.exec_driver_sql(
                    "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
                ).all()
                records = sum(s for n, s in rows if n.startswith("mirror_records"))
                index = sum(s for n, s in rows if n.startswith("mirror_fts"))
                sizes.update({"records": int(records), "search_index": int(index)})
            except Exception:  # dbstat is optional in SQLite builds
                pass
            return sizes
        value = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        records = conn.execute(text("SELECT pg_total_relation_size('mirror_records')")).scalar()
        index = conn.execute(text("SELECT pg_total_relation_size('mirror_fts')")).scalar()
        return {
            "database": int(value or 0),
            "records": int(records or 0),
            "search_index": int(index or 0),
        }


BROAD = {  # the corpus has few ketamine records: these make the index return many rows
    "block: ketamine": '("Ketamine"[mh] OR ketamine[tiab] OR esketamine[tiab])',
    "block: pain in humans": '(pain[tiab] OR analges*[tiab] OR "Pain"[mh]) AND humans[mh]',
    "block: trials and reviews": (
        "randomized controlled trial[pt] OR meta-analysis[pt] OR systematic[sb]"
    ),
    "block: inflammation since 2010": (
        '(cytokine*[tiab] OR interleukin*[tiab] OR "Inflammation"[mh]) AND 2010:3000[dp]'
    ),
    "broad: humans[mh]": "humans[mh]",
}


TAGGED = {  # [pt], [sh] and [mh] with MeSH explosion (the tree: mesh_file)
    "tag: [pt]": '"Randomized Controlled Trial"[pt]',
    "tag: [sh]": '"drug therapy"[sh]',
    "tag: [mh:noexp]": '"Pain"[mh:noexp]',
    "tag: [mh] exploded (sample tree)": '"Pain"[mh]',
    "tag: [mh] exploded to every corpus heading": '"Benchmark Wide Heading"[mh]',
}
ONCE = {"tag: [mh] exploded to every corpus heading"}  # seconds a run: measured once
SAMPLE_MESH = ROOT / "mirror-sample" / "desc-sample.xml"
_DESCRIPTOR = re.compile(rb"<DescriptorName[^>]*>([^<]+)</DescriptorName>")


def mesh_file(records: list[tuple[int, bytes]], path: Path) -> tuple[Path, int]:
    """A MeSH descriptor file: the sample's real descriptors (Pain and what is below it...)
    plus a synthetic heading with every other heading of the corpus below it, so one
    ``[mh]`` term explodes to thousands of headings (the worst case); how many."""
    sample = SAMPLE_MESH.read_bytes()
    known = set(re.findall(rb"<String>([^<]+)</String>", sample))
    names = sorted({n for _, raw in records for n in _DESCRIPTOR.findall(raw)} - known)
    body = b"".join(
        b'<DescriptorRecord DescriptorClass="1"><DescriptorUI>Z%07d</DescriptorUI>'
        b"<DescriptorName><String>%s</String></DescriptorName><TreeNumberList>"
        b"<TreeNumber>%s</TreeNumber></TreeNumberList></DescriptorRecord>\n"
        % (number, name, b"Z01" if number == 0 else b"Z01.%05d" % number)
        for number, name in enumerate([b"Benchmark Wide Heading", *names])
    )
    path.write_bytes(sample.replace(b"</DescriptorRecordSet>", body + b"</DescriptorRecordSet>"))
    return path, len(names)


def query_latencies(db: Database, runs: int = 5) -> dict[str, dict[str, Any]]:
    """Median seconds, wall and CPU (PostgreSQL: its server's included), and count of each
    ketamine claim query, and of broader ones."""
    source = MirrorSource(StoreMirrorIndex(db))
    claims = load_claims(CLAIMS)
    out: dict[str, dict[str, Any]] = {}
    named = [
        (f"{claim.id}: {spec.label}", SearchQuery(spec.full_term, spec.mindate, spec.maxdate,
                                                   spec.datetype))
        for claim in claims.claims
        for spec in claim.queries
    ] + [(name, SearchQuery(term)) for name, term in {**BROAD, **TAGGED}.items()]  # fmt: skip
    for name, query in named:
        times, cpus, count = [], [], 0
        for _ in range(1 if name in ONCE else runs):
            started, cpu, server = time.perf_counter(), time.process_time(), server_cpu_seconds(db)
            count = source.search(query).count
            times.append(time.perf_counter() - started)
            server_after = server_cpu_seconds(db)
            spent = time.process_time() - cpu
            if server is not None and server_after is not None:
                spent += server_after - server
            cpus.append(spent)
        out[name] = {
            "median_s": round(statistics.median(times), 4),
            "median_cpu_s": round(statistics.median(cpus), 4),
            "count": count,
        }
    return out


def postgres_database() -> tuple[str, str] | None:
    """A fresh PostgreSQL database (url, name) on EVIDENCE_TEST_POSTGRES_URL's server."""
    admin_url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not admin_url:
        return None
    name = f"evidence_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(name: str) -> None:
    admin = create_engine(os.environ["EVIDENCE_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench(
    backend: str,
    sizes: list[int],
    folder: Path,
    work: Path,
    mesh: Path,
    saved: Callable[[dict[str, Any]], None] = lambda _: None,
) -> dict[str, Any]:
    """Grow one mirror through ``sizes``, measuring at each (``saved`` after each stage)."""
    created = None
    if backend == "sqlite":
        path: Path | None = work / "mirror.db"
        url = f"sqlite:///{path}"
    else:
        created = postgres_database()
        if created is None:
            return {"skipped": "EVIDENCE_TEST_POSTGRES_URL is not set"}
        url, path = created[0], None
    db = Database(url)
    stages = []
    service.load_mesh(db, mesh)
    loaded = 0
    try:
        for size in sizes:
            files = sorted(folder.glob("pubmed26n*.xml.gz"))[
                loaded // PER_FILE : -(-size // PER_FILE)
            ]
            started, cpu, server = time.perf_counter(), cpu_seconds(), server_cpu_seconds(db)
            summary = service.load(db, files, kind="baseline", parallel=True)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds() - cpu
            server_after = server_cpu_seconds(db)
            if server is not None and server_after is not None:
                cpu += server_after - server
            added = summary.records
            loaded += added
            stage: dict[str, Any] = {
                "records": loaded,
                "imported": added,
                "import_seconds": round(seconds, 1),
                "records_per_second": round(added / seconds) if seconds else None,
                "import_cpu_seconds": round(cpu, 1),  # PostgreSQL: its server's included
                "records_per_cpu_second": round(added / cpu) if cpu else None,
                "peak_rss": peak_rss_mb(),
                "bytes": database_bytes(db, path),
                "queries": query_latencies(db),
            }
            medians = _claim_medians(stage)
            cpus = _claim_medians(stage, "median_cpu_s")
            print(
                f"{backend:<10} {loaded:>9,} records  {stage['records_per_second']:>6,} rec/s"
                f" ({stage['records_per_cpu_second']:,} rec/CPU-s)"
                f"  {stage['bytes']['database'] / 1e9:6.2f} GB  query median of medians"
                f" {statistics.median(medians):.3f}s (max {max(medians):.3f}s;"
                f" CPU {statistics.median(cpus):.3f}s)"
                f"  peak RSS {stage['peak_rss']}",
                flush=True,
            )
            stages.append(stage)
            saved({"stages": stages})
    finally:
        db.dispose()
        if created is not None:
            drop_postgres(created[1])
    return {"stages": stages}


def profile_load(files: list[Path], work: Path, top: int = 25) -> None:
    """CPU profile (cProfile on CPU time) of loading ``files`` inline into a new SQLite mirror:
    reading, preparing and writing in one process, so every function shows."""
    db = Database(f"sqlite:///{work / 'profile.db'}")
    profiler = cProfile.Profile(time.process_time)
    started = time.process_time()
    profiler.enable()
    summary = service.load(db, files, kind="baseline", parallel=False)
    profiler.disable()
    cpu = time.process_time() - started
    db.dispose()
    print(f"{summary.records:,} records in {cpu:.1f} CPU-s ({summary.records / cpu:,.0f} rec/CPU-s,"
          " profiled)")  # fmt: skip
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


SECTION_SIZES = {True: [30_000], False: [30_000, 120_000]}


def section(quick: bool) -> tuple[str, dict[str, Any]]:
    """The harness's section (``python -m benchmarks --only mirror``): a SQLite and a
    PostgreSQL mirror grown to 120,000 records (``quick``: 30,000) and the CLI's peak memory
    loading 1 and 4 files. The 1M-record figures come from ``make bench-mirror``
    (docs/mirror.md)."""
    if not CORPUS.is_file():
        return f"Skipped: {CORPUS} is absent.\n", {"skipped": f"{CORPUS} absent"}
    sizes = SECTION_SIZES[quick]
    records = corpus_records()
    data: dict[str, Any] = {"sizes": sizes, "per_file": PER_FILE}
    with tempfile.TemporaryDirectory(prefix="bench-mirror-") as scratch:
        folder = Path(scratch) / "files"
        folder.mkdir()
        files = write_files(records, folder, 0, sizes[-1])
        counts = sorted({1, min(4, len(files))})
        data["cli_memory"] = [cli_load_memory(files[:n], Path(scratch)) for n in counts]
        mesh, _ = mesh_file(records, Path(scratch) / "desc-bench.xml")
        for backend in ("sqlite", "postgresql"):
            work = Path(scratch) / backend
            work.mkdir()
            data[backend] = bench(backend, sizes, folder, work, mesh)
    return _markdown(data, len(records)), data


def _claim_medians(stage: dict[str, Any], figure: str = "median_s") -> list[float]:
    """A stage's figure for each claim query (not the broad, block or tag queries)."""
    return [
        q[figure]
        for name, q in stage["queries"].items()
        if not name.startswith(("block:", "broad:", "tag:"))
    ]


def _markdown(data: dict[str, Any], distinct: int) -> str:
    lines = [
        f"NLM-style baseline files of {PER_FILE:,} records repeating the shared corpus's"
        f" {distinct:,} distinct real records under new PMIDs, loaded with"
        " `evidence mirror load` (its reader and writer processes) into a fresh SQLite and"
        " PostgreSQL mirror, then each ketamine claim query searched 5 times (median). CPU:"
        " the loading processes (PostgreSQL: its server processes included).",
        "",
        "| backend | records | import records/s | records / CPU-s | database MB |"
        " claim queries: median of medians | slowest claim query |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend in ("sqlite", "postgresql"):
        result = data.get(backend, {})
        if "skipped" in result:
            lines.append(f"| {backend} | skipped: {result['skipped']} | | | | | |")
        for stage in result.get("stages", []):
            medians = _claim_medians(stage)
            lines.append(
                f"| {backend} | {stage['records']:,} | {stage['records_per_second']:,}"
                f" | {stage['records_per_cpu_second']:,}"
                f" | {stage['bytes']['database'] / 1e6:,.0f}"
                f" | {statistics.median(medians) * 1000:.0f} ms | {max(medians) * 1000:.0f} ms |"
            )
    memory = "; ".join(
        f"{m['files']} file(s): {m['total_mb']:.0f} MB ({m['main_mb']:.0f} main +"
        f" {m['worker_mb']:.0f} worker)"
        for m in data["cli_memory"]
    )
    lines += [
        "",
        f"Peak memory of `evidence mirror load`: {memory}.",
        "",
        "Targets (issue 16): >= 5,000 records/s into SQLite with flat memory (< 300 MB);"
        " each ketamine claim query under 1 s at the median on a mirror of >= 1,000,000"
        " records: that size, its growth from 100k and the extrapolation to PubMed's 36M are"
        " in [mirror.md](mirror.md) (`make bench-mirror`).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--out", type=Path, default=None, help="[default: results/mirror-BACKENDS.json]"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="temp folder [default: /tmp]")
    parser.add_argument(
        "--files",
        type=Path,
        default=None,
        help="keep the generated files in this folder and reuse them [default: a temp folder]",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="FILES",
        default=0,
        help="only profile loading this many files (30,000 records each) inline, on SQLite",
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the CLI's peak memory check"
    )
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="only the CLI's peak memory loading 1 file, then 4 files (flat memory check)",
    )
    args = parser.parse_args(argv)
    if not CORPUS.is_file():
        print(f"shared corpus not found at {CORPUS} (set EVIDENCE_SHARED_DIR)", file=sys.stderr)
        return 2
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.out is None:
        args.out = HERE / "results" / f"mirror-{args.backends.replace(',', '-')}.json"
    records = corpus_records()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "corpus_records": len(records),
        "sizes": sizes,
        "per_file": PER_FILE,
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-mirror-", dir=args.workdir) as scratch:
        folder = args.files or Path(scratch) / "files"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if len(list(folder.glob("pubmed26n*.xml.gz"))) < -(-sizes[-1] // PER_FILE):
            write_files(records, folder, 0, sizes[-1])
        raw_bytes = sum(p.stat().st_size for p in folder.glob("pubmed26n*.xml.gz"))
        results["files"] = {
            "count": len(list(folder.glob("pubmed26n*.xml.gz"))),
            "gzip_bytes": raw_bytes,
            "seconds_to_write": round(time.perf_counter() - started, 1),
        }
        print(f"wrote {results['files']['count']} files ({raw_bytes / 1e9:.2f} GB gzip)")
        files = sorted(folder.glob("pubmed26n*.xml.gz"))
        if args.profile:
            profile_load(files[: args.profile], Path(scratch))
            return 0
        if not args.skip_memory:
            results["cli_memory"] = [
                cli_load_memory(files[:n], Path(scratch)) for n in (1, min(4, len(files)))
            ]
            print(f"CLI peak memory: {results['cli_memory']}", flush=True)
        if args.memory_only:
            print(json.dumps(results, indent=2))
            return 0
        mesh, wide = mesh_file(records, Path(scratch) / "desc-bench.xml")
        results["mesh"] = {"file": "mirror-sample/desc-sample.xml + a synthetic heading",
                           "wide_heading_children": wide}  # fmt: skip
        for backend in args.backends.split(","):
            work = Path(scratch) / backend
            work.mkdir()

            def save(partial: dict[str, Any], backend: str = backend) -> None:
                results[backend] = partial
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(results, indent=2) + "\n")

            results[backend] = bench(backend, sizes, folder, work, mesh, save)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
