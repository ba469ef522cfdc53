"""Hostile XML from the server: rejected with a clear error, quickly, and nothing stored."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidence.cli.main import cli
from tests.claims_files import one_query_claims
from tests.eutils_server import Fault

HEAD = b'<?xml version="1.0"?>\n'
LAUGHS = (
    HEAD
    + b'<!DOCTYPE PubmedArticleSet [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
    b"<ArticleTitle>&lol9;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    b"</PubmedArticleSet>"
)
PASSWD = (
    HEAD + b'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
    b"<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    b"</PubmedArticleSet>"
)
DEEP = (
    HEAD + b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
    b"<ArticleTitle>" + b"<i>" * 50_000 + b"x" + b"</i>" * 50_000 + b"</ArticleTitle>"
    b"</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback socket that must never receive a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.setblocking(False)
    yield sock
    sock.close()


def remote_dtd(port: int) -> bytes:
    return (
        HEAD + b"<!DOCTYPE PubmedArticleSet [<!ENTITY % remote SYSTEM "
        b'"http://127.0.0.1:' + str(port).encode() + b'/evil.dtd"> %remote;]>\n'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b"<ArticleTitle>t</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        b"</PubmedArticleSet>"
    )


@pytest.mark.parametrize("kind", ["billion-laughs", "external-entity", "remote-dtd", "deep"])
def test_hostile_efetch_is_rejected_and_nothing_is_stored(
    tmp_path: Path,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
    listener: socket.socket,
    kind: str,
) -> None:
    body = {
        "billion-laughs": LAUGHS,
        "external-entity": PASSWD,
        "remote-dtd": remote_dtd(listener.getsockname()[1]),
        "deep": DEEP,
    }[kind]
    claims = one_query_claims(tmp_path, "drug x[tiab]")
    server = eutils_server_factory(tiny_records, {"drug x[tiab]": sorted(tiny_records)})
    server.push(*[Fault.http(200, body, endpoint="efetch.fcgi")] * 5)
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "NCBI_API_KEY": "0123456789abcdef0123456789abcdef0123",
    }
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["refresh", str(claims), "--json"], env=env)
    assert time.monotonic() - started < 30
    assert result.exit_code == 3, result.output
    (query,) = json.loads(result.stdout)["queries"]
    assert query["status"] == "failed" and query["stored"] == 0
    assert "hostile XML" in query["message"] or "declares entities" in query["message"]
    assert len(server.requests_to("efetch.fcgi")) == 1  # refused at once, never retried
    assert "Traceback" not in result.stderr
    database = sqlite3.connect(tmp_path / "h.db")
    assert database.execute("select count(*) from articles").fetchone() == (0,)
    assert database.execute("select count(*) from claim_articles").fetchone() == (0,)
    dump = "\n".join(database.iterdump())
    assert "root:" not in dump and "lollollol" not in dump
    with pytest.raises(BlockingIOError):
        listener.accept()  # no connection was made to the DTD's host
