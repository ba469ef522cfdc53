"""Review desk render times for a claim with 10,000 linked studies (a benchmark, not a test).

A claims file with one claim is refreshed over the loopback E-utilities server with 10,000
records (each with a structured abstract), so every row is written by the real refresh and
store functions; 2,000 verdicts by two reviewers are recorded through
``services.review.record_verdict``. Then Flask's test client asks, N times each, for a study
card, for queue pages (default "to do", all studies, a search, a flag filter) and for home,
and the median server-side wall and CPU times (after one warm-up request, which builds the
claim's index and home's summaries) are printed as a Markdown table. Home is also timed
right after a new verdict (its rows read, summaries made again), and so is the served HTML
report, ``SLOW_REQUESTS`` times each. Last, a third reviewer judges every tenth judged
study (a conflict where the first verdict differs) and the conflicts page is timed.
``section(quick)`` is the benchmark harness's entry.

    python benchmarks/bench_desk.py [--studies 10000] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.* when run as a script

from click.testing import CliRunner  # noqa: E402

from benchmarks.desk_setup import drug_x_records, refresh_env  # noqa: E402
from evidence.cli.main import cli  # noqa: E402
from evidence.services.review import record_verdict  # noqa: E402
from evidence.store.db import Database  # noqa: E402
from evidence.web.app import create_app, issue_login_url  # noqa: E402
from tests.claims_files import one_query_claims  # noqa: E402
from tests.desk_data import context_for, csrf_of  # noqa: E402
from tests.eutils_server import EutilsServer  # noqa: E402

TERM = "ketamine[tiab] AND pain[tiab]"
SLOW_REQUESTS = 5  # pages that read every study on each request (or after each verdict)


def build(folder: Path, studies: int, judged: int) -> tuple[str, list[str]]:
    pmids = [str(50_000_000 + n) for n in range(studies)]
    records = drug_x_records(pmids, retracted_every=500)
    claims = one_query_claims(folder, TERM, slug="bench-desk")
    url = f"sqlite:///{folder / 'evidence.db'}"
    with EutilsServer(records, {TERM: pmids}) as server:
        env = refresh_env(server.url, url, folder)
        result = CliRunner().invoke(cli, ["refresh", str(claims)], env=env)
        assert result.exit_code == 0, result.stderr
    with Database(url, create=False).session() as session:
        for n, pmid in enumerate(pmids[:judged]):
            verdict = ("supports", "contradicts", "mixed")[n % 3]
            reviewer = ("ann", "bob")[n % 2]
            record_verdict(session, "only", pmid, verdict, reviewer=reviewer, slug="bench-desk")
    return url, pmids


def add_conflicts(url: str, pmids: list[str], judged: int) -> int:
    """A third reviewer judges every tenth judged study "supports": where the first verdict
    differs, the pair is a conflict. Returns how many pairs cy judged."""
    chosen = pmids[:judged:10]
    with Database(url, create=False).session() as session:
        for pmid in chosen:
            record_verdict(session, "only", pmid, "supports", reviewer="cy", slug="bench-desk")
    return len(chosen)


def medians_ms(client: object, path: str, requests: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``requests`` GETs of ``path`` (the test client
    runs the app in this thread, so the process's CPU time is the request's)."""
    return medians_over(client, [path] * requests)


def medians_over(client: object, paths: list[str]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one GET of each of ``paths``."""
    walls, cpus = [], []
    for path in paths:
        wall, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path)  # type: ignore[attr-defined]
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(walls), statistics.median(cpus)


def slow_pages(
    client: object, url: str, pmids: list[str], judged: int
) -> dict[str, tuple[float, float]]:
    """Home right after a new verdict (its rows read, the views summarised again), and the
    served report: medians of ``SLOW_REQUESTS`` requests each."""
    walls, cpus = [], []
    for pmid in pmids[judged : judged + SLOW_REQUESTS]:
        with Database(url, create=False).session() as session:
            record_verdict(session, "only", pmid, "supports", reviewer="bob", slug="bench-desk")
        wall, cpu = medians_over(client, ["/"])
        walls.append(wall)
        cpus.append(cpu)
    report = medians_over(client, ["/articles/bench-desk/report"] * SLOW_REQUESTS)
    return {
        f"home right after a new verdict (its rows added; {SLOW_REQUESTS} requests)": (
            statistics.median(walls),
            statistics.median(cpus),
        ),
        f"report page, served HTML report ({SLOW_REQUESTS} requests)": report,
    }


def measure(studies: int, judged: int, requests: int) -> tuple[str, dict[str, object]]:
    """Build the database, time the pages: a Markdown table and the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVIDENCE_RATE_FILE"] = str(Path(tmp) / "rate")
        started = time.perf_counter()
        url, pmids = build(Path(tmp), studies, judged)
        built = time.perf_counter() - started
        context = context_for(url)
        app = create_app(context)
        client = app.test_client()
        page = client.get(issue_login_url(app, "http://localhost").removeprefix("http://localhost"))
        client.post("/name", data={"name": "ann", "csrf_token": csrf_of(page.text)})
        base = "/articles/bench-desk/claims/only"
        pages = [
            ("study card", f"{base}/studies/{pmids[len(pmids) // 2]}"),
            ("queue page 1, to do (verdict rules applied)", f"{base}/"),
            ("queue page 40, all studies", f"{base}/?state=all&page=40"),
            (
                "queue, search 'trial 77' in title/abstract (remembered)",
                f"{base}/?state=all&q=trial+77",
            ),
            ("queue, flag retracted, to do", f"{base}/?flag=retracted"),
            ("home (every article's conclusions and progress, remembered)", "/"),
        ]
        lines = [
            f"{studies:,} linked studies, {judged:,} verdicts; median of {requests} requests "
            f"after one warm-up (database built in {built:.0f} s)",
            "",
            "| page | median wall time | median CPU time |",
            "| --- | ---: | ---: |",
        ]
        pages_figures: dict[str, dict[str, float]] = {}
        figures: dict[str, object] = {
            "studies": studies,
            "verdicts": judged,
            "pages": pages_figures,
        }
        for label, path in pages:
            client.get(path)  # warm up: the claim's index is built once
            wall, cpu = medians_ms(client, path, requests)
            lines.append(f"| {label} | {wall:.1f} ms | {cpu:.1f} ms |")
            pages_figures[label] = {"wall_ms": round(wall, 2), "cpu_ms": round(cpu, 2)}
        fresh = [f"{base}/?state=all&q=trial+{700 + n}" for n in range(requests)]
        wall, cpu = medians_over(client, fresh)
        lines.append(
            f"| queue, a new search each request (SQL LIKE) | {wall:.1f} ms | {cpu:.1f} ms |"
        )
        pages_figures["queue, new search"] = {"wall_ms": round(wall, 2), "cpu_ms": round(cpu, 2)}
        for label, (wall, cpu) in slow_pages(client, url, pmids, judged).items():
            lines.append(f"| {label} | {wall:.1f} ms | {cpu:.1f} ms |")
            pages_figures[label] = {"wall_ms": round(wall, 2), "cpu_ms": round(cpu, 2)}
        cy = add_conflicts(url, pmids, judged)  # after the queue pages: their data is unchanged
        label = f"conflicts page ({cy} pairs judged by a third reviewer)"
        path = "/articles/bench-desk/conflicts"
        client.get(path)
        wall, cpu = medians_ms(client, path, requests)
        lines.append(f"| {label} | {wall:.1f} ms | {cpu:.1f} ms |")
        pages_figures["conflicts page"] = {"wall_ms": round(wall, 2), "cpu_ms": round(cpu, 2)}
        context.close()
    return "\n".join(lines), figures


def section(quick: bool) -> tuple[str, dict[str, object]]:
    """The benchmark harness's section: 10,000 studies (2,000 with ``quick``)."""
    studies = 2_000 if quick else 10_000
    return measure(studies, studies // 5, 10 if quick else 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--judged", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    table, _ = measure(args.studies, args.judged, args.requests)
    print(table)


if __name__ == "__main__":
    main()
