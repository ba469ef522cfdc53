"""Bounded downloads: an answer over its endpoint's limit is refused at once (never
retried, nothing stored, the endpoint and the size named), memory stays bounded by the
limit whatever the server sends, and XML that cannot heal by retrying is permanent."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from tests.claims_files import one_query_claims
from tests.eutils_server import EFETCH_FOOTER, EFETCH_HEADER, ESEARCH_HEADER, Fault

ROOT = Path(__file__).resolve().parents[1]
TERM = "drug x[tiab]"
IDS = b"".join(f"<Id>{40_000_000 + i}</Id>".encode() for i in range(50_000))
BIG_ESEARCH = ESEARCH_HEADER + b"<eSearchResult><Count>50000</Count><IdList>" + IDS


def refresh(tmp_path: Path, server: Any, **env: str) -> Result:
    claims = one_query_claims(tmp_path, TERM)
    environment = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
        **env,
    }
    return CliRunner().invoke(cli, ["refresh", str(claims), "--json"], env=environment)


def stored(tmp_path: Path) -> int:
    return int(
        sqlite3.connect(tmp_path / "b.db").execute("select count(*) from articles").fetchone()[0]
    )


@pytest.mark.parametrize("endpoint", ["esearch.fcgi", "efetch.fcgi"])
def test_an_answer_over_the_limit_is_refused_at_once(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
    endpoint: str,
) -> None:
    server = eutils_server_factory(tiny_records, {TERM: sorted(tiny_records)})
    body = BIG_ESEARCH if endpoint == "esearch.fcgi" else EFETCH_HEADER + b" " * 300_000
    server.push(*[Fault.http(200, body, endpoint=endpoint)] * 5)
    limits = {"EVIDENCE_MAX_ESEARCH_BYTES": "200000", "EVIDENCE_MAX_EFETCH_BYTES": "200000"}
    result = refresh(tmp_path, server, **limits)
    assert result.exit_code == 3 and "Traceback" not in result.output
    (query,) = json.loads(result.stdout)["queries"]
    assert query["status"] == "failed"
    assert f"PubMed {endpoint} rejected" in query["message"]
    assert "answer over 200,000 bytes" in query["message"]  # the size, and the setting
    assert f"EVIDENCE_MAX_{endpoint.split('.')[0].upper()}_BYTES" in query["message"]
    assert len(server.requests_to(endpoint)) == 1  # never retried
    assert stored(tmp_path) == 0


def test_a_huge_text_node_is_permanent_not_retried(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> None:
    pmid = sorted(tiny_records)[0]
    huge = (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article><ArticleTitle>"
        + "x" * 11_000_000  # over libxml2's 10 MB text node limit
        + "</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    ).encode()
    server = eutils_server_factory(tiny_records, {TERM: [pmid]})
    server.push(
        *[Fault.http(200, EFETCH_HEADER + huge + EFETCH_FOOTER, endpoint="efetch.fcgi")] * 5
    )
    result = refresh(tmp_path, server)
    assert result.exit_code == 3
    (query,) = json.loads(result.stdout)["queries"]
    assert query["status"] == "failed" and "too large to parse" in query["message"]
    assert len(server.requests_to("efetch.fcgi")) == 1
    assert stored(tmp_path) == 0


class _Endless(BaseHTTPRequestHandler):
    """Answers every POST with an endless esearch body (chunked, no Content-Length)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<Id>12345678</Id>" * 4096
        try:
            self._send(ESEARCH_HEADER + b"<eSearchResult><Count>1</Count><IdList>")
            for _ in range(40_000):  # up to ~2.7 GB if nobody stops reading
                self._send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def endless() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/entrez/eutils/"
    server.shutdown()


def test_memory_stays_bounded_whatever_the_server_sends(tmp_path: Path, endless: str) -> None:
    script = (
        "import sys\n"
        "from evidence.settings import Settings\n"
        "from evidence.sources.eutils.client import EutilsClient\n"
        "from evidence.domain.errors import PubMedError\n"
        "client = EutilsClient(Settings.from_env().eutils)\n"
        "try:\n"
        "    client.esearch('drug x[tiab]')\n"
        "except PubMedError as error:\n"
        "    print(str(error))\n"
        # VmHWM, not ru_maxrss: Linux keeps the parent's peak (pytest's) across exec in the latter
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(int(status) // 1024)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EVIDENCE_EUTILS_URL": endless,
        "EVIDENCE_RATE_FILE": str(tmp_path / "rate"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    message, peak_mb = done.stdout.strip().splitlines()
    assert "answer over 16,777,216 bytes" in message
    assert int(peak_mb) < 300, f"peak RSS {peak_mb} MB"
