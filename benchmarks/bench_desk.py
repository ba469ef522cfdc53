"""Review desk render times for a claim with 10,000 linked studies (a benchmark, not a test).

A claims file with one claim is refreshed over the loopback E-utilities server with 10,000
records (each with a structured abstract), so every row is written by the real refresh and
store functions; 2,000 verdicts by two reviewers are recorded through
``services.review.record_verdict``. Then Flask's test client asks, N times each, for a study
card and for queue pages (default "to do", all studies, a search, a flag filter), and the
median server-side time is printed as a Markdown table.

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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.* when run as a script

from click.testing import CliRunner  # noqa: E402

from evidence.cli.main import cli  # noqa: E402
from evidence.services.review import record_verdict  # noqa: E402
from evidence.store.db import Database  # noqa: E402
from evidence.web.app import create_app, issue_login_url  # noqa: E402
from tests.claims_files import one_query_claims  # noqa: E402
from tests.desk_data import context_for, csrf_of, desk_record  # noqa: E402
from tests.eutils_server import EutilsServer  # noqa: E402

TERM = "ketamine[tiab] AND pain[tiab]"


def build(folder: Path, studies: int, judged: int) -> tuple[str, list[str]]:
    pmids = [str(50_000_000 + n) for n in range(studies)]
    designs = ["Meta-Analysis", "Randomized Controlled Trial", "Observational Study", "Review"]
    records = {
        pmid: desk_record(
            pmid,
            title=f"Drug X and pain relief in trial {n}",
            abstract=[
                ("BACKGROUND", f"Drug X was given to {n % 300 + 10} adults with chronic pain."),
                ("CONCLUSIONS", "Drug X relieves pain compared with placebo."),
            ],
            year=1990 + n % 35,
            types=[designs[n % len(designs)]] + (["Retracted Publication"] if n % 500 == 0 else []),
        )
        for n, pmid in enumerate(pmids)
    }
    claims = one_query_claims(folder, TERM, slug="bench-desk")
    url = f"sqlite:///{folder / 'evidence.db'}"
    with EutilsServer(records, {TERM: pmids}) as server:
        env = {
            "EVIDENCE_EUTILS_URL": server.url,
            "EVIDENCE_DATABASE_URL": url,
            "EVIDENCE_RATE_FILE": str(folder / "rate"),
            "NCBI_API_KEY": "0" * 36,  # 10 requests/s on the loopback server
        }
        result = CliRunner().invoke(cli, ["refresh", str(claims)], env=env)
        assert result.exit_code == 0, result.stderr
    with Database(url, create=False).session() as session:
        for n, pmid in enumerate(pmids[:judged]):
            verdict = ("supports", "contradicts", "mixed")[n % 3]
            reviewer = ("ann", "bob")[n % 2]
            record_verdict(session, "only", pmid, verdict, reviewer=reviewer, slug="bench-desk")
    return url, pmids


def median_ms(client: object, path: str, requests: int) -> float:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times)


def measure(studies: int, judged: int, requests: int) -> tuple[str, dict[str, Any]]:
    """Build the desk's database, time its pages: the Markdown table and the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVIDENCE_RATE_FILE"] = str(Path(tmp) / "rate")
        started = time.perf_counter()
        url, pmids = build(Path(tmp), studies, judged)
        built = time.perf_counter() - started
        app = create_app(context_for(url))
        client = app.test_client()
        page = client.get(issue_login_url(app, "http://localhost").removeprefix("http://localhost"))
        client.post("/name", data={"name": "ann", "csrf_token": csrf_of(page.text)})
        base = "/articles/bench-desk/claims/only"
        rows = [
            ("study card", f"{base}/studies/{pmids[len(pmids) // 2]}"),
            ("queue page 1, to do (verdict rules applied)", f"{base}/"),
            ("queue page 40, all studies (SQL LIMIT/OFFSET)", f"{base}/?state=all&page=40"),
            ("queue, search 'trial 77' in title/abstract", f"{base}/?state=all&q=trial+77"),
            ("queue, flag retracted, to do", f"{base}/?flag=retracted"),
        ]
        lines = [
            f"{studies:,} linked studies, {judged:,} verdicts; "
            f"median of {requests} requests (database built in {built:.0f} s)\n",
            "| page | median server-side time |",
            "| --- | ---: |",
        ]
        medians = {}
        for label, path in rows:
            client.get(path)  # warm up
            medians[label] = median_ms(client, path, requests)
            lines.append(f"| {label} | {medians[label]:.1f} ms |")
    figures = {"studies": studies, "verdicts": judged, "requests": requests, "median_ms": medians}
    return "\n".join(lines), figures


def section(quick: bool) -> tuple[str, dict[str, Any]]:
    """For ``python -m benchmarks``: 2,000 studies when quick, else 10,000."""
    return measure(2_000, 400, 10) if quick else measure(10_000, 2_000, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--judged", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    print(measure(args.studies, args.judged, args.requests)[0])


if __name__ == "__main__":
    main()
