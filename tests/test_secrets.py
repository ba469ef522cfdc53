"""The NCBI API key appears nowhere, whatever fails: stderr, logs, errors, database, reports."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidence.cli.main import cli
from tests.claims_files import one_query_claims
from tests.eutils_server import Fault

SENTINEL = "5e11e7c0ffee5e11e7c0ffee5e11e7c0ff01"  # shaped like a real 36-character key
ECHO = ('{"error":"API rate limit exceeded","api-key":"' + SENTINEL + '"}').encode()
FAULTS = {
    "429": [Fault.http(429, ECHO, {"Retry-After": "0"})] * 2,
    "5xx": [Fault.http(503, ECHO), Fault.http(500, ECHO)],
    "timeout": [Fault.slow(1.5)] * 2,
    "truncated": [Fault.truncate(0.5, endpoint="efetch.fcgi")] * 2,
    "cut": [Fault.cut()] * 2,
    "error-in-200": [Fault.error_200(f"Backend failed for key {SENTINEL}")] * 2,
    "400-echo": [Fault.http(400, f"<ERROR>Invalid api_key {SENTINEL}</ERROR>".encode())],
    "parser-error": [Fault.http(200, b"<PubmedArticleSet><PubmedArticle>", endpoint="efetch.fcgi")]
    * 2,
    "dns": [],
    "refused": [],
}


@pytest.mark.parametrize("path", sorted(FAULTS))
def test_sentinel_key_never_appears(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
    path: str,
) -> None:
    claims = one_query_claims(tmp_path, "drug x[tiab]")
    server = eutils_server_factory(tiny_records, {"drug x[tiab]": sorted(tiny_records)})
    server.push(*FAULTS[path])
    url = {"dns": "http://no-such-host.invalid/entrez/eutils/", "refused": closed_port_url()}.get(
        path, server.url
    )
    env = {
        "EVIDENCE_EUTILS_URL": url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "NCBI_API_KEY": SENTINEL,
        "EVIDENCE_TIMEOUT": "0.5",
        "EVIDENCE_MAX_ATTEMPTS": "2",
    }
    runner = CliRunner()
    refresh = runner.invoke(cli, ["-vv", "refresh", str(claims), "--json"], env=env)
    assert refresh.exit_code in (0, 1, 3), refresh.output
    assert "Traceback" not in refresh.stderr
    if path not in ("dns", "refused"):
        assert server.requests and server.requests[0].params["api_key"] == SENTINEL
    report_dir = tmp_path / "report"
    report = runner.invoke(cli, ["report", "--out", str(report_dir)], env=env)
    export = runner.invoke(cli, ["export"], env=env)
    texts = [refresh.stdout, refresh.stderr, report.output, export.output]
    texts.append("\n".join(sqlite3.connect(tmp_path / "s.db").iterdump()))
    texts += [p.read_text(encoding="utf-8") for p in report_dir.rglob("*") if p.is_file()]
    assert not [t for t in texts if SENTINEL in t]
    if path in ("dns", "refused"):  # unreachable: the refresh stops at once, exit 1
        assert refresh.exit_code == 1 and "cannot reach E-utilities at" in refresh.stderr


def closed_port_url() -> str:
    """A loopback URL on which nothing listens: connections are refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/entrez/eutils/"
