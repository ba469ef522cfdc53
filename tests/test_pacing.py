"""Pacing shared across processes: SharedRateLimiter, its file, and two real refreshes."""

from __future__ import annotations

import itertools
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from evidence.settings import Settings
from evidence.sources.eutils.client import EutilsClient
from evidence.sources.eutils.pacing import (
    FUTURE_TOLERANCE,
    PACING_MARGIN,
    RateLimiter,
    SharedRateLimiter,
)
from tests.conftest import FakeTime
from tests.eutils_server import EutilsServer, synthetic_records

INTERVAL = (1 + PACING_MARGIN) / 3  # no API key: 3 requests/s, kept a little under
JITTER = 0.03  # server-side timestamps carry a little thread-scheduling jitter
QUERIES = 4
IDS_PER_QUERY = 3


def shared(path: Path, fake: FakeTime, rate: float = 3.0) -> SharedRateLimiter:
    return SharedRateLimiter(rate, path, fake.clock, fake.sleep)


# -- SharedRateLimiter with a fake clock ---------------------------------------------------


def test_two_limiters_on_one_file_pace_as_one(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "eutils.rate"
    first, second = shared(path, fake), shared(path, fake)
    assert first.wait() == 0.0
    assert second.wait() == pytest.approx(INTERVAL)  # the other one just started
    assert first.wait() == pytest.approx(INTERVAL)
    fake.now += 0.1
    assert second.wait() == pytest.approx(INTERVAL - 0.1)
    fake.now += 5.0
    assert first.wait() == 0.0
    assert float(path.read_text()) == pytest.approx(fake.now)  # the start of the last request
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_limiter_on_another_file_does_not_wait(tmp_path: Path) -> None:
    fake = FakeTime()
    shared(tmp_path / "a.rate", fake).wait()
    assert shared(tmp_path / "b.rate", fake).wait() == 0.0
    assert shared(tmp_path / "a.rate", fake).wait() == pytest.approx(INTERVAL)


@pytest.mark.parametrize("content", [b"", b"garbage\n", b"nan", b"inf", b"\xff\xfe1", b"1e999"])
def test_an_empty_or_corrupt_file_means_no_previous_request(tmp_path: Path, content: bytes) -> None:
    fake = FakeTime()
    path = tmp_path / "eutils.rate"
    path.write_bytes(content)
    limiter = shared(path, fake)
    assert limiter.wait() == 0.0
    assert float(path.read_text()) == pytest.approx(fake.now)  # repaired
    assert shared(path, fake).wait() == pytest.approx(INTERVAL)


def test_a_stamp_far_in_the_future_is_ignored(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "eutils.rate"
    path.write_text(f"{fake.now + FUTURE_TOLERANCE + 3600}\n")
    assert shared(path, fake).wait() == 0.0
    assert float(path.read_text()) == pytest.approx(fake.now)


def test_a_stamp_slightly_ahead_costs_at_most_one_interval(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "eutils.rate"
    path.write_text(f"{fake.now + FUTURE_TOLERANCE - 1}\n")  # the clock stepped back
    assert shared(path, fake).wait() == pytest.approx(INTERVAL)
    assert fake.sleeps == pytest.approx([INTERVAL])


@pytest.mark.parametrize("kind", ["missing directory", "symlink"])
def test_an_unusable_file_falls_back_to_pacing_this_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    fake = FakeTime()
    path = tmp_path / "missing-dir" / "eutils.rate"
    if kind == "symlink":  # someone else's link in a shared temp dir is never followed
        path = tmp_path / "eutils.rate"
        path.symlink_to(tmp_path / "elsewhere")
    limiter = shared(path, fake)
    with caplog.at_level(logging.WARNING, logger="evidence.pubmed"):
        waits = [limiter.wait() for _ in range(3)]
    assert waits == pytest.approx([0.0, INTERVAL, INTERVAL])
    warnings = [r for r in caplog.records if "cannot share the request budget" in r.message]
    assert len(warnings) == 1
    assert not (tmp_path / "elsewhere").exists()


def test_shared_pacing_keeps_a_margin_under_the_limit(tmp_path: Path) -> None:
    fake = FakeTime()
    assert shared(tmp_path / "x.rate", fake, rate=10.0).interval == pytest.approx(0.105)
    assert RateLimiter(10.0, fake.clock, fake.sleep).interval == pytest.approx(0.1)
    assert SharedRateLimiter(3.0, tmp_path / "x.rate", margin=0.0).interval == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        RateLimiter(3.0, fake.clock, fake.sleep, margin=-0.01)


# -- which limiter the client gets ----------------------------------------------------


def test_real_time_shares_a_file_and_fake_time_paces_alone(tmp_path: Path) -> None:
    fake = FakeTime()
    path = tmp_path / "eutils.rate"
    assert type(RateLimiter.across_processes(3.0, path, fake.clock, fake.sleep)) is RateLimiter
    assert type(RateLimiter.across_processes(3.0, path, time.monotonic, fake.sleep)) is RateLimiter
    limiter = RateLimiter.across_processes(3.0, path, time.monotonic, time.sleep)
    assert isinstance(limiter, SharedRateLimiter) and limiter.path == path


def test_fake_time_clients_never_touch_the_rate_file(
    tmp_path: Path,
    eutils_server_factory: Callable[..., EutilsServer],
    eutils_client_factory: Callable[..., EutilsClient],
    fake_time: FakeTime,
) -> None:
    server = eutils_server_factory({}, {"t": ["1", "2", "3"]})
    fake_file, real_file = tmp_path / "fake.rate", tmp_path / "real.rate"
    eutils_client_factory(server, rate_file=fake_file).esearch("t", page_size=1)
    assert fake_time.sleeps == pytest.approx([1 / 3, 1 / 3])  # paced alone, on fake time
    assert not fake_file.exists()
    eutils_client_factory(server, real_time=True, rate_file=real_file).esearch("t")
    assert real_file.exists()


def test_the_rate_file_is_per_host_and_port_unless_set() -> None:
    uid = os.getuid()
    loopback = Settings.from_env({"EVIDENCE_EUTILS_URL": "http://127.0.0.1:8123/entrez/eutils/"})
    assert loopback.eutils.shared_rate_file.name == f"evidence-eutils-127.0.0.1-8123-{uid}.rate"
    ncbi = Settings.from_env({}).eutils.shared_rate_file
    assert ncbi.name == f"evidence-eutils-eutils.ncbi.nlm.nih.gov-443-{uid}.rate"
    chosen = Settings.from_env({"EVIDENCE_RATE_FILE": "/var/tmp/x.rate"}).eutils
    assert chosen.shared_rate_file == Path("/var/tmp/x.rate")


# -- two real refreshes against one loopback server --------------------------------------


def claims_toml() -> str:
    queries = "".join(
        f'\n[[claims.queries]]\nlabel = "q{i}"\nterm = "pacing query {i}"\n' for i in range(QUERIES)
    )
    return (
        '[article]\nslug = "pacing"\ntitle = "Pacing"\n\n[[claims]]\nid = "paced"\n'
        f'statement = "Two refreshes share one budget."\n{queries}'
    )


def query_ids(term: str) -> list[str]:
    """Each query its own ids, so every query costs an esearch and an efetch."""
    index = int(term.rsplit(" ", 1)[-1]) if term.startswith("pacing query ") else 99
    return [str(40_000_000 + index * 100 + j) for j in range(IDS_PER_QUERY)]


def start_server() -> EutilsServer:
    ids = [i for q in range(QUERIES) for i in query_ids(f"pacing query {q}")]
    return EutilsServer(synthetic_records(ids), query_ids).start()


def run_two_refreshes(tmp_path: Path, server: EutilsServer, rate_files: Sequence[Path]) -> None:
    """Launch one ``python -m evidence refresh`` per rate file at once; wait for all."""
    claims = tmp_path / "claims.toml"
    claims.write_text(claims_toml())
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NCBI_", "EVIDENCE_"))}
    processes = []
    for name, rate_file in zip("ab", rate_files, strict=True):
        env = {
            **base,
            "EVIDENCE_EUTILS_URL": server.url,
            "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.db'}",
            "EVIDENCE_RATE_FILE": str(rate_file),
            "EVIDENCE_TOOL": f"process-{name}",
        }
        command = [sys.executable, "-m", "evidence", "-q", "refresh", str(claims)]
        processes.append(
            subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
        )
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err


def starts_by_process(server: EutilsServer) -> dict[str, list[float]]:
    starts: dict[str, list[float]] = {}
    for request in server.requests:
        starts.setdefault(request.params["tool"], []).append(request.time)
    return starts


def busiest(times: Sequence[float], window: float) -> int:
    """The most request starts in any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    return max(sum(1 for u in ordered if t <= u < t + window) for t in ordered)


def test_two_refreshes_together_stay_within_three_requests_per_second(tmp_path: Path) -> None:
    per_request = 2 * QUERIES  # one esearch and one efetch per query
    with start_server() as server:
        run_two_refreshes(tmp_path, server, [tmp_path / "shared.rate"] * 2)
    starts = starts_by_process(server)
    assert sorted(starts) == ["process-a", "process-b"]
    assert [len(t) for t in starts.values()] == [per_request, per_request]
    a, b = starts.values()
    assert max(a[0], b[0]) < min(a[-1], b[-1]), "the two refreshes must have overlapped"
    times = sorted(a + b)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # One late arrival (a busy machine) shortens the next gap: judge the typical gap, the
    # busiest second and the whole span, which hold whatever the scheduling jitter.
    assert statistics.median(gaps) >= INTERVAL - JITTER, gaps
    # Each process's first request may leave late while the other is still starting up
    # (imports take the CPU on a 2-core machine), which shortens the gap after it: judge
    # the busiest second and the span once both run.
    steady = sorted(a[1:] + b[1:])
    assert busiest(steady, 1.0 - JITTER) <= 3
    assert steady[-1] - steady[0] >= (len(steady) - 1) * INTERVAL - JITTER


def test_control_separate_rate_files_exceed_three_requests_per_second(tmp_path: Path) -> None:
    with start_server() as server:
        run_two_refreshes(tmp_path, server, [tmp_path / "a.rate", tmp_path / "b.rate"])
    starts = starts_by_process(server)
    a, b = starts.values()
    assert max(a[0], b[0]) < min(a[-1], b[-1]), "the two refreshes must have overlapped"
    assert busiest(a + b, 1.0 - JITTER) > 3
