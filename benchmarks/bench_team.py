"""Ten reviewers judging on one PostgreSQL ledger while a refresh runs (issue 14's
concurrency run; a benchmark, not a test).

A claim with ``--studies`` linked studies is refreshed into a fresh PostgreSQL database
(``EVIDENCE_TEST_POSTGRES_URL``'s server) over the loopback E-utilities server; ten reviewer
accounts are added; ``evidence serve`` runs in its own process (waitress, team mode). Ten
client threads sign in with name and password, then each judges ``--verdicts`` studies:
GET the card (its CSRF token), POST the verdict, follow to the next study. Meanwhile
``evidence refresh`` runs in another process and links ``--new`` more studies. Then the
database must hold exactly the verdicts the clients were told were recorded (none lost,
none twice), and no answer may have been a 5xx. Printed: the POSTs' latency (median, p95,
max), the 5xx count, lost and duplicated verdicts, and whether the refresh overlapped.

    python benchmarks/bench_team.py [--reviewers 10] [--verdicts 30] [--studies 600]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.* when run as a script

import requests  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.desk_setup import drug_x_records, refresh_env  # noqa: E402
from evidence.services import accounts  # noqa: E402
from evidence.store.db import Database  # noqa: E402
from evidence.store.models import Verdict  # noqa: E402
from tests.claims_files import one_query_claims  # noqa: E402
from tests.desk_data import csrf_of  # noqa: E402
from tests.eutils_server import EutilsServer  # noqa: E402

TERM = "drug x[tiab] AND pain[tiab]"
SLUG = "bench-team"
PASSWORD = "a long enough benchmark password"
VERDICTS = ("supports", "contradicts", "mixed", "inconclusive", "not-relevant")
CARD = re.compile(r'data-pmid="(\d+)"')


@dataclass
class Reviewer:
    """One simulated reviewer: what it was told was recorded, and how long each POST took."""

    name: str
    recorded: list[tuple[str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)  # perf_counter when each POST returned
    errors: list[str] = field(default_factory=list)


def fresh_database(admin_url: str) -> str:
    name = f"evidence_bench_{uuid.uuid4().hex[:12]}"
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def evidence(env: dict[str, str], *args: str, **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "evidence", *args], env=env, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            requests.get(url + "/login", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"the desk did not start at {url}")


def judge(base: str, reviewer: Reviewer, verdicts: int, start: threading.Event) -> None:
    client = requests.Session()
    token = csrf_of(client.get(base + "/login", timeout=30).text)
    form = {"name": reviewer.name, "password": PASSWORD, "csrf_token": token}
    signed = client.post(base + "/login", data=form, allow_redirects=False, timeout=30)
    if signed.status_code >= 400:
        reviewer.errors.append(f"sign-in: {signed.status_code}")
        return
    start.wait()
    queue = client.get(f"{base}/articles/{SLUG}/claims/only/?state=mine", timeout=30)
    found = re.search(r'<tr[^>]*data-pmid="(\d+)"', queue.text)
    if found is None:
        reviewer.errors.append("empty queue")
        return
    card_url = f"{base}/articles/{SLUG}/claims/only/studies/{found.group(1)}?state=mine"
    for n in range(verdicts):
        card = client.get(card_url, timeout=60)
        if card.status_code >= 500:
            reviewer.errors.append(f"card: {card.status_code}")
        pmid = CARD.search(card.text.split('<article class="card"', 1)[-1])
        if card.status_code != 200 or pmid is None:
            reviewer.errors.append(f"card {card_url}: {card.status_code}")
            return
        verdict = VERDICTS[(n + len(reviewer.name)) % len(VERDICTS)]
        action = card_url.split("?")[0] + "/verdict?state=mine"
        started = time.perf_counter()
        answer = client.post(
            action,
            data={"verdict": verdict, "csrf_token": csrf_of(card.text)},
            allow_redirects=False,
            timeout=60,
        )
        reviewer.answered.append(time.perf_counter())
        reviewer.latencies.append((reviewer.answered[-1] - started) * 1000)
        if answer.status_code != 302:
            reviewer.errors.append(f"verdict: {answer.status_code}")
            continue
        reviewer.recorded.append((card_url.split("/")[-1].split("?")[0], verdict))
        nxt = answer.headers.get("Location", "")
        if "/studies/" not in nxt:
            return  # nothing left to judge for this reviewer
        card_url = requests.compat.urljoin(base + "/", nxt)


def watch(refresh: subprocess.Popen[bytes], ended: list[float], outputs: list[bytes]) -> None:
    """Wait for the refresh (reading its stderr), noting when it ended."""
    _, err = refresh.communicate()
    ended.append(time.perf_counter())
    outputs.append(err)


def measure(reviewers: int, verdicts: int, studies: int, new: int) -> tuple[str, dict[str, Any]]:
    admin_url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not admin_url:
        return "EVIDENCE_TEST_POSTGRES_URL is not set: the team benchmark needs PostgreSQL.", {}
    url = fresh_database(admin_url)
    pmids = [str(60_000_000 + n) for n in range(studies + new)]
    records = drug_x_records(pmids)
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            EutilsServer(records, {TERM: pmids[:studies]}) as server,
        ):
            folder = Path(tmp)
            claims = one_query_claims(folder, TERM, slug=SLUG)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                **refresh_env(server.url, url, folder),
                "EVIDENCE_SECRET_KEY": "bench-team-" + uuid.uuid4().hex,
            }
            first = evidence(env, "refresh", str(claims), stderr=subprocess.PIPE)
            _, err = first.communicate()
            assert first.returncode == 0, err.decode()
            with Database(url, create=False).session(write=True) as session:
                for n in range(reviewers):
                    accounts.add_account(session, f"reviewer{n}", "reviewer", PASSWORD)
            port = free_port()
            desk = evidence(
                env,
                "serve",
                "--port",
                str(port),
                "--threads",
                "12",
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_for(base)
                server.searches[TERM] = pmids  # the refresh will link the new studies
                people = [Reviewer(f"reviewer{n}") for n in range(reviewers)]
                start = threading.Event()
                threads = [
                    threading.Thread(target=judge, args=(base, r, verdicts, start)) for r in people
                ]
                for thread in threads:
                    thread.start()
                time.sleep(1.0)  # every reviewer signed in
                refresh = evidence(env, "refresh", str(claims), stderr=subprocess.PIPE)
                began = time.perf_counter()
                ended: list[float] = []
                outputs: list[bytes] = []
                watcher = threading.Thread(target=watch, args=(refresh, ended, outputs))
                watcher.start()
                start.set()
                for thread in threads:
                    thread.join()
                wall = time.perf_counter() - began
                overlapped = refresh.poll() is None
                watcher.join()
                err = outputs[0]
                refresh_code = refresh.returncode
                refresh_s = ended[0] - began
                during = sum(1 for r in people for t in r.answered if t <= ended[0])
                # 4: finished, and a conclusion changed (the reviewers judged meanwhile)
                refresh_ok = refresh_code in (0, 4)
            finally:
                desk.terminate()
                _, desk_err = desk.communicate(timeout=30)
        with Database(url, create=False).session() as session:
            rows = list(session.execute(select(Verdict.reviewer, Verdict.pmid, Verdict.verdict)))
            linked = session.execute(
                text("select count(*) from claim_articles where active")
            ).scalar()
    finally:
        drop_database(admin_url, url)
    told = Counter((r.name, p, v) for r in people for p, v in r.recorded)
    stored = Counter((r[0], r[1], r[2]) for r in rows)
    lost = sum((told - stored).values())
    extra = sum((stored - told).values())
    latencies = sorted(x for r in people for x in r.latencies)
    errors = [e for r in people for e in r.errors]
    server_errors = [e for e in errors if ": 5" in e]
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    figures = {
        "reviewers": reviewers,
        "verdicts_posted": len(latencies),
        "verdicts_stored": len(rows),
        "lost": lost,
        "duplicated_or_unexpected": extra,
        "server_errors": len(server_errors),
        "other_errors": errors[:10],
        "post_ms_median": round(statistics.median(latencies), 1) if latencies else None,
        "post_ms_p95": round(p95, 1),
        "post_ms_max": round(latencies[-1], 1) if latencies else None,
        "wall_s": round(wall, 1),
        "refresh_overlapped": overlapped,
        "refresh_s": round(refresh_s, 1),
        "posts_during_refresh": during,
        "refresh_ok": refresh_ok,
        "refresh_exit_code": refresh_code,
        "linked_after": linked,
        "studies_before": studies,
    }
    table = "\n".join(
        [
            f"{reviewers} reviewers x {verdicts} verdicts over HTTP (waitress, 12 threads, "
            f"PostgreSQL) while `evidence refresh` linked {new} more studies to the claim "
            f"({studies} before).",
            "",
            "| figure | value |",
            "| --- | ---: |",
            f"| verdict POSTs | {len(latencies)} |",
            f"| verdict rows stored | {len(rows)} |",
            f"| lost (told recorded, not stored) | {lost} |",
            f"| duplicated or unexpected rows | {extra} |",
            f"| 5xx answers | {len(server_errors)} |",
            f"| POST latency, median | {figures['post_ms_median']} ms |",
            f"| POST latency, p95 | {figures['post_ms_p95']} ms |",
            f"| POST latency, max | {figures['post_ms_max']} ms |",
            f"| refresh still running when the reviewers finished | {overlapped} |",
            f"| refresh wall time; verdict POSTs answered while it ran | {refresh_s:.1f} s;"
            f" {during} |",
            f"| refresh exit code (0 or 4: finished); studies linked after | {refresh_code};"
            f" {linked} |",
            f"| wall time of the judging | {wall:.1f} s |",
        ]
    )
    if refresh_code != 0:
        table += "\n\nrefresh stderr: " + err.decode()[-500:]
    if desk_err:
        table += "\n\nserver stderr (tail): " + desk_err.decode()[-300:]
    return table, figures


def section(quick: bool) -> tuple[str, dict[str, Any]]:
    """The benchmark harness's section."""
    return measure(10, 10 if quick else 30, 300 if quick else 600, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--verdicts", type=int, default=30)
    parser.add_argument("--studies", type=int, default=600)
    parser.add_argument("--new", type=int, default=200)
    args = parser.parse_args()
    table, _ = measure(args.reviewers, args.verdicts, args.studies, args.new)
    print(table)


if __name__ == "__main__":
    main()
