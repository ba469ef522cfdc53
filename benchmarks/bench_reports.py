"""Reports and exports at scale (a benchmark, not a test).

Databases with 10 claims x 100, x 1,000, x 10,000 and 5 claims x 30,000 linked studies are
built through the store's batch writers (``writes.store_articles``, ``runs.add_search``,
``writes.link_claim``, ``writes.save_annotations``; 100 verdicts per claim through
``services.review.record_verdict``). The claims link the same studies (so 5 x 30,000 stores
30,000 records; every claim -> study link is still its own row and its own study in the
report): the records of ``../shared/pubmed/corpus/efetch-distinct.xml.gz`` repeated with
new PMIDs (their grades computed once per distinct record), or
``tests.desk_data.desk_record`` records when the corpus is absent. Then ``evidence report``
and ``evidence export --format X`` (every format) run in a fresh process each; the child's
CPU seconds (user + system), wall seconds and peak RSS come from ``os.wait4``. The largest
``index.html`` is opened in headless Chromium (Playwright, ``/usr/bin/chromium``).

    python benchmarks/bench_reports.py [--quick] [--sizes 10x100,5x30000] [--keep DIR]
        [--baseline CHECKOUT]

``--baseline`` runs the same commands with another checkout's code too (e.g. ``git archive
main | tar -x -C /tmp/base``), on the same databases, as rows marked "(baseline)".

``section(quick)`` returns the Markdown and the figures for ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for evidence and tests.* when run as a script

CORPUS = ROOT.parent / "shared" / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
SIZES = ((10, 100), (10, 1_000), (10, 10_000), (5, 30_000))
QUICK_SIZES = ((10, 100), (10, 1_000))
SLUG = "bench-reports"
CHROMIUM = "/usr/bin/chromium"
GNU_TIME = "/usr/bin/time"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VERDICTS_PER_CLAIM = 100
RESULTS = ROOT / "benchmarks" / "results" / "reports.json"


@dataclass(frozen=True)
class Run:
    """One command on one database: what the child process cost."""

    command: str
    claims: int
    studies: int
    cpu_s: float
    wall_s: float
    peak_mb: float
    output_mb: float

    @property
    def links(self) -> int:
        return self.claims * self.studies


# --- the databases ---------------------------------------------------------------------------


def templates() -> tuple[list[Any], str]:
    """The records to repeat, and where they come from."""
    from evidence.sources.pubmed_xml.parser import parse_articles

    if CORPUS.is_file():
        with gzip.open(CORPUS) as handle:
            return parse_articles(handle.read()), f"{CORPUS.name} (3,150 real records)"
    from tests.desk_data import desk_record

    designs = ["Meta-Analysis", "Randomized Controlled Trial", "Observational Study", "Review"]
    raw = b"".join(
        desk_record(
            str(900_000 + n),
            title=f"Drug X and pain relief in trial {n}",
            abstract=[("CONCLUSIONS", "Drug X relieves pain compared with placebo.")],
            year=1990 + n % 35,
            types=[designs[n % 4]],
        )
        for n in range(200)
    )
    records = parse_articles(b"<PubmedArticleSet>" + raw + b"</PubmedArticleSet>")
    return records, "tests.desk_data.desk_record (200 synthetic records; corpus absent)"


def claims_toml(claims: int) -> str:
    """A claims file with ``claims`` claims of one query each."""
    parts = [f'[article]\nslug = "{SLUG}"\ntitle = "Benchmark article"\n']
    for n in range(claims):
        parts.append(
            f'[[claims]]\nid = "claim-{n}"\nstatement = "Drug {n} relieves chronic pain."\n'
            f'[[claims.queries]]\nlabel = "main"\nterm = "drug{n}[tiab] AND pain[tiab]"\n'
        )
    return "\n".join(parts)


def build_database(folder: Path, claims: int, studies: int, records: Sequence[Any]) -> str:
    """A SQLite database in ``folder`` with ``claims`` x ``studies`` links; its URL."""
    from evidence.domain.claims import load_claims
    from evidence.services.records import grade_columns
    from evidence.store import runs, writes
    from evidence.store.db import Database

    path = folder / "claims.toml"
    path.write_text(claims_toml(claims), encoding="utf-8")
    claims_file = load_claims(path)
    url = f"sqlite:///{folder / 'evidence.db'}"
    grades = [grade_columns(r) for r in records]
    database = Database(url, create=True)
    with database.session(write=True) as session:
        synced = writes.sync_claims(session, claims_file)
        refresh_id = runs.start_refresh(session, _new_refresh(synced.id, claims_file))
        claim_ids, query_ids = writes.claim_and_query_ids(session, synced.id)
        pmids = [str(60_000_000 + i) for i in range(studies)]
        for start in range(0, studies, 2_000):
            batch = [
                replace(records[(start + i) % len(records)], pmid=pmid)
                for i, pmid in enumerate(pmids[start : start + 2_000])
            ]
            rows = {a.pmid: grades[(start + i) % len(records)] for i, a in enumerate(batch)}
            writes.store_articles(session, batch, rows)
        for spec in claims_file.claims:
            claim_id, query_id = claim_ids[spec.id], query_ids[(spec.id, spec.queries[0].label)]
            runs.add_search(session, refresh_id, _search(query_id, spec, pmids))
            writes.link_claim(session, claim_id, refresh_id, pmids)
            writes.save_annotations(session, claim_id, _annotations(pmids))
        runs.finish_refresh(session, refresh_id, "ok", None)
    with database.session(write=True) as session:
        _verdicts(session, claims_file, studies)
    database.dispose()
    return url


def _new_refresh(claim_set_id: int, claims_file: Any) -> Any:
    from evidence.store.runs import NewRefreshRun

    return NewRefreshRun(
        claim_set_id=claim_set_id,
        tool_version="bench",
        claims_file=str(claims_file.path),
        claims_sha256=claims_file.sha256,
        source_kind="eutils",
        source_location="http://127.0.0.1:0/",
        source_snapshot=None,
        options={},
    )


def _search(query_id: int, spec: Any, pmids: list[str]) -> Any:
    from evidence.domain.audit import utcnow
    from evidence.store.runs import SearchRecord

    term = spec.queries[0].full_term
    count = len(pmids)
    return SearchRecord(query_id, term, utcnow(), "ok", count=count, retrieved=count, pmids=pmids)


def _annotations(pmids: list[str]) -> dict[str, dict[str, Any]]:
    stances = ("supports", "contradicts", "inconclusive", None)
    return {
        pmid: {
            "relevance": (i % 97) / 97,
            "key_sentence": f"Drug relieved pain in {i % 300} adults." if i % 2 else None,
            "key_section": "CONCLUSIONS" if i % 2 else None,
            "suggested_stance": stances[i % 4],
            "stance_sentence": "Pain was relieved." if stances[i % 4] else None,
            "stance_cues": ["relieved"] if stances[i % 4] else [],
            "stance_version": "bench",
        }
        for i, pmid in enumerate(pmids)
    }


def _verdicts(session: Any, claims_file: Any, studies: int) -> None:
    from evidence.services.review import record_verdict

    for n, spec in enumerate(claims_file.claims):
        for i in range(n, studies, max(1, studies // VERDICTS_PER_CLAIM)):
            pmid = str(60_000_000 + i)
            verdict = ("supports", "contradicts", "mixed")[(i + n) % 3]
            record_verdict(session, spec.id, pmid, verdict, reviewer="ann", slug=SLUG)


# --- the commands ------------------------------------------------------------------------------


def commands(out: Path) -> Iterator[tuple[str, list[str], Path]]:
    """(name, evidence arguments, the file or folder it writes)."""
    from evidence.report.exports import FORMATS

    yield "report", ["report", "--out", str(out / "report")], out / "report"
    for fmt in FORMATS:
        target = out / f"export.{fmt}"
        yield f"export {fmt}", ["export", "--format", fmt, "--out", str(target)], target


def measure(args: list[str], url: str, code: Path = ROOT) -> tuple[float, float, float]:
    """Run ``evidence ARGS`` (``code``'s) in a fresh process: (CPU s, wall s, peak RSS MB).

    The child is started by GNU time (a small process) when it is there: Linux carries the
    peak RSS of the process that forks over exec, so a child forked from this benchmark
    would report at least this benchmark's own size.
    """
    env = {**os.environ, "EVIDENCE_DATABASE_URL": url, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "evidence", "-q", *args]
    with tempfile.TemporaryDirectory() as folder:
        figures, errors = Path(folder) / "time", Path(folder) / "errors"
        if Path(GNU_TIME).exists():
            command = [GNU_TIME, "-f", "%U %S %M", "-o", str(figures), *command]
        start = time.perf_counter()
        with errors.open("wb") as sink:
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sink)
            _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            tail = errors.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"evidence {' '.join(args)}: {tail}")
        if figures.exists():
            user, system, peak_kb = figures.read_text().split()[-3:]
            return float(user) + float(system), wall, int(peak_kb) / 1024
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def size_mb(path: Path) -> float:
    """The size of a file, or of every file under a folder, in MB."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def run_size(
    folder: Path, claims: int, studies: int, records: Sequence[Any], baseline: Path | None
) -> list[Run]:
    """Build (or reuse) the database of one size and run every command on it."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'evidence.db'}"
    if not (folder / "built").exists():
        (folder / "evidence.db").unlink(missing_ok=True)
        start = time.perf_counter()
        url = build_database(folder, claims, studies, records)
        (folder / "built").write_text(f"{time.perf_counter() - start:.1f} s\n")
    found = []
    out = folder / "out"
    codes = [("", ROOT)] + ([(" (baseline)", baseline)] if baseline else [])
    for name, args, target in commands(out):
        for mark, code in codes:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            cpu, wall, peak = measure(args, url, code)
            found.append(Run(name + mark, claims, studies, cpu, wall, peak, size_mb(target)))
            say = f"  {claims} x {studies:,} {name}{mark}: {cpu:.2f} CPU-s, {peak:.0f} MB"
            print(say, file=sys.stderr)
    return found


# --- start-up -----------------------------------------------------------------------------------


def startup(code: Path = ROOT, tries: int = 5) -> dict[str, float]:
    """The least CPU seconds, of ``tries`` runs, of ``evidence --help`` and of ``evidence
    status`` on an empty (migrated) database."""
    from evidence.store.db import Database

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'empty.db'}"
        Database(url).dispose()
        found = {}
        for name, args in (("--help", ["--help"]), ("status, empty database", ["status"])):
            found[name] = min(_cpu(args, url, code) for _ in range(tries))
    return found


def _cpu(args: list[str], url: str, code: Path) -> float:
    env = {**os.environ, "EVIDENCE_DATABASE_URL": url, "PYTHONPATH": str(code)}
    child = subprocess.Popen(
        [sys.executable, "-m", "evidence", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_utime + usage.ru_stime


# --- Chromium -----------------------------------------------------------------------------------


def open_in_chromium(html: Path) -> dict[str, Any]:
    """Open ``html`` in headless Chromium: load time, study rows, errors (or why not)."""
    if not Path(CHROMIUM).exists():
        return {"opened": False, "why": f"{CHROMIUM} not installed"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"opened": False, "why": "playwright not installed"}
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        start = time.perf_counter()
        page.goto(html.as_uri(), wait_until="load", timeout=300_000)
        seconds = time.perf_counter() - start
        rows = page.locator("tr.study").count()
        height = page.evaluate("document.body.scrollHeight")
        browser.close()
    return {
        "opened": True,
        "load_s": round(seconds, 2),
        "study_rows": rows,
        "page_height_px": height,
        "html_mb": round(html.stat().st_size / 1e6, 2),
        "errors": errors,
    }


# --- tables ---------------------------------------------------------------------------------


def markdown(runs: list[Run], browser: dict[str, Any], source: str) -> str:
    """The figures as Markdown tables: one row per command and size, then the growth."""
    lines = [
        "### Reports and exports at scale",
        "",
        f"Records: {source}, repeated with new PMIDs; every claim links the same studies.",
        "Each command runs in a fresh process; CPU = user + system seconds of that process,",
        "peak = its maximum RSS. Growth: CPU (and peak) ratio to the previous size, beside the",
        "ratio of links.",
        "",
        "| command | claims x studies | CPU s | wall s | peak MB | output MB | CPU growth"
        " | peak growth | links growth |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous: dict[str, Run] = {}
    for run in sorted(runs, key=lambda r: (r.command != "report", r.command, r.links)):
        before = previous.get(run.command)
        growth = (
            (
                f"{run.cpu_s / before.cpu_s:.1f}x",
                f"{run.peak_mb / before.peak_mb:.1f}x",
                f"{run.links / before.links:.1f}x",
            )
            if before
            else ("", "", "")
        )
        lines.append(
            f"| {run.command} | {run.claims} x {run.studies:,} | {run.cpu_s:.2f} |"
            f" {run.wall_s:.2f} | {run.peak_mb:.0f} | {run.output_mb:.1f} | " + " | ".join(growth)
        )
        lines[-1] += " |"
        previous[run.command] = run
    lines += ["", _browser_line(browser), ""]
    return "\n".join(lines)


def _browser_line(browser: dict[str, Any]) -> str:
    if not browser.get("opened"):
        return f"Largest index.html in headless Chromium: not checked ({browser.get('why')})."
    return (
        f"Largest index.html ({browser['html_mb']} MB) in headless Chromium: loaded in"
        f" {browser['load_s']} s, {browser['study_rows']:,} study rows,"
        f" page {browser['page_height_px']:,} px high, {len(browser['errors'])} script errors."
    )


# --- entry points ---------------------------------------------------------------------------


def run(
    sizes: Sequence[tuple[int, int]], keep: Path | None, baseline: Path | None = None
) -> tuple[str, dict[str, Any]]:
    """Build each size's database (kept in ``keep`` for the next run), measure, check."""
    records, source = templates()
    base = keep or Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        found: list[Run] = []
        for claims, studies in sizes:
            found += run_size(base / f"{claims}x{studies}", claims, studies, records, baseline)
        claims, studies = max(sizes, key=lambda s: s[0] * s[1])
        largest = base / f"{claims}x{studies}"
        shutil.rmtree(largest / "out", ignore_errors=True)
        html = largest / "out" / "report"
        measure(["report", "--out", str(html)], f"sqlite:///{largest / 'evidence.db'}")
        browser = open_in_chromium(html / "index.html")
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    data = {"source": source, "runs": [asdict(r) for r in found], "browser": browser}
    return markdown(found, browser, source), data


def section(quick: bool) -> tuple[str, dict[str, Any]]:
    """The benchmark's Markdown section and figures (quick: the two smallest sizes)."""
    return run(QUICK_SIZES if quick else SIZES, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only 10 x 100 and 10 x 1,000")
    parser.add_argument("--sizes", help="e.g. 10x100,5x30000 (claims x studies)")
    parser.add_argument("--keep", type=Path, help="keep the databases here and reuse them")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON figures")
    parser.add_argument("--baseline", type=Path, help="also run this checkout's code")
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.sizes:
        sizes = tuple(
            (int(c), int(s)) for c, s in (part.split("x") for part in args.sizes.split(","))
        )
    text, data = run(sizes, args.keep, args.baseline)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
