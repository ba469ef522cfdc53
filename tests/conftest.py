"""Shared fixtures. Keep each fixture small and documented; append new ones by topic."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from evidence.settings import EutilsSettings, Secret
from evidence.sources.eutils.client import EutilsClient
from tests.db_support import (  # noqa: F401  (store fixtures)
    database_factory,
    database_url,
    postgres_url,
)
from tests.desk_browser import browser, desk  # noqa: F401  (browser fixtures)
from tests.desk_data import desk_db, desk_template  # noqa: F401  (review desk fixtures)
from tests.eutils_server import EutilsServer, Searches, load_records

TESTS_DIR = Path(__file__).resolve().parent

# Three small records in efetch's format (two articles, one book) for transport tests.
TINY_PUBMED_SET = b"""<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" \
"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">30000001</PMID>
<Article PubModel="Print"><Journal><Title>Pain Medicine</Title></Journal>
<ArticleTitle>Ketamine infusion for chronic pain: a randomized trial.</ArticleTitle>
<Abstract><AbstractText>Ketamine reduced pain scores at 4 weeks.</AbstractText></Abstract>
</Article></MedlineCitation><PubmedData><ArticleIdList>
<ArticleId IdType="pubmed">30000001</ArticleId></ArticleIdList></PubmedData></PubmedArticle>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">30000002</PMID>
<Article PubModel="Print"><Journal><Title>Anesthesiology</Title></Journal>
<ArticleTitle>Ketamine &amp; opioids &#x2014; a meta-analysis.</ArticleTitle>
</Article></MedlineCitation><PubmedData><ArticleIdList>
<ArticleId IdType="pubmed">30000002</ArticleId></ArticleIdList></PubmedData></PubmedArticle>
<PubmedBookArticle><BookDocument><PMID Version="1">30000003</PMID>
<ArticleIdList><ArticleId IdType="bookaccession">NBK0001</ArticleId></ArticleIdList>
<Book><BookTitle book="test">Chronic pain</BookTitle></Book></BookDocument>
<PubmedBookData><ArticleIdList><ArticleId IdType="pubmed">30000003</ArticleId></ArticleIdList>
</PubmedBookData></PubmedBookArticle>
</PubmedArticleSet>
"""


class FakeTime:
    """A clock that only moves when ``sleep`` is called; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The team's shared data directory (``$EVIDENCE_SHARED_DIR`` or ``../shared``)."""
    return Path(os.environ.get("EVIDENCE_SHARED_DIR") or TESTS_DIR.parents[1] / "shared")


@pytest.fixture(scope="session")
def shared_corpus_records(shared_dir: Path) -> dict[str, bytes]:
    """PMID -> record bytes for the 3,150 real records of the shared corpus."""
    path = shared_dir / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
    if not path.is_file():
        pytest.skip(f"shared PubMed corpus not found at {path} (set EVIDENCE_SHARED_DIR)")
    return load_records(path.read_bytes())


@pytest.fixture(scope="session")
def fixture_records() -> dict[str, bytes]:
    """PMID -> record bytes from every ``tests/fixtures/pubmed/*.xml``."""
    files = sorted((TESTS_DIR / "fixtures" / "pubmed").glob("*.xml"))
    if not files:
        pytest.skip("no tests/fixtures/pubmed/*.xml files yet")
    records: dict[str, bytes] = {}
    for path in files:
        for pmid, record in load_records(path.read_bytes()).items():
            records.setdefault(pmid, record)
    return records


@pytest.fixture(scope="session")
def tiny_records() -> dict[str, bytes]:
    """PMID -> record bytes for the three records of ``TINY_PUBMED_SET``."""
    return load_records(TINY_PUBMED_SET)


@pytest.fixture
def eutils_server_factory() -> Iterator[Callable[..., EutilsServer]]:
    """``make(records, searches, **kw)`` starts a loopback E-utilities server (stopped after)."""
    servers: list[EutilsServer] = []

    def make(
        records: Mapping[str, bytes] | None = None,
        searches: Searches | None = None,
        **kw: Any,
    ) -> EutilsServer:
        server = EutilsServer(records or {}, searches if searches is not None else {}, **kw)
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    """A fake clock/sleep pair: backoff and pacing waits are recorded, not slept."""
    return FakeTime()


@pytest.fixture
def eutils_client_factory(
    fake_time: FakeTime, tmp_path: Path
) -> Iterator[Callable[..., EutilsClient]]:
    """``make(server, api_key=None, real_time=False, **settings)`` -> a client for that server.

    By default the client sleeps on ``fake_time`` (instant); ``real_time=True`` really waits.
    """
    clients: list[EutilsClient] = []

    def make(
        server: EutilsServer,
        *,
        api_key: str | None = None,
        real_time: bool = False,
        **settings: Any,
    ) -> EutilsClient:
        options: dict[str, Any] = {
            "email": "tests@example.org",
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            "rate_file": tmp_path / "eutils.rate",  # real-time pacing: no file left in /tmp
            **settings,
        }
        config = EutilsSettings(
            base_url=server.url, api_key=Secret(api_key) if api_key else None, **options
        )
        if real_time:
            client = EutilsClient(config)
        else:
            client = EutilsClient(config, sleep=fake_time.sleep, clock=fake_time.clock)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(autouse=True)
def _isolated_rate_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs in tests pace through a rate file of their own, not one left in /tmp."""
    monkeypatch.setenv("EVIDENCE_RATE_FILE", str(tmp_path / "cli.rate"))
