"""The rate-limit benchmark's server refuses what NCBI would: past 3 requests per sliding
second without an API key, past 10 with one."""

from __future__ import annotations

import requests

from benchmarks.bench_refresh_rate import RateLimitedRepeatedServer
from benchmarks.bench_refresh_scale import RepeatedRecords

TEMPLATE = (
    b'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">1</PMID>'
    b"<Article><ArticleTitle>A template.</ArticleTitle></Article></MedlineCitation>"
    b'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">1</ArticleId></ArticleIdList>'
    b"</PubmedData></PubmedArticle>"
)


def burst(server: RateLimitedRepeatedServer, count: int, **extra: str) -> list[int]:
    """``count`` esearch requests at once (well within one second); their status codes."""
    url = server.url + "esearch.fcgi"
    with requests.Session() as http:
        return [
            http.get(url, params={"db": "pubmed", "term": "x", **extra}).status_code
            for _ in range(count)
        ]


def test_past_three_a_second_without_a_key_is_refused() -> None:
    with RateLimitedRepeatedServer(RepeatedRecords([TEMPLATE], 5)) as server:
        assert isinstance(server, RateLimitedRepeatedServer)
        codes = burst(server, 12)
    assert codes[:3] == [200, 200, 200]
    assert 429 in codes  # a loaded machine still sends 4 within a second
    assert server.rejected == len(server.refused_at) == codes.count(429)


def test_a_key_allows_ten_a_second() -> None:
    with RateLimitedRepeatedServer(RepeatedRecords([TEMPLATE], 5)) as server:
        assert isinstance(server, RateLimitedRepeatedServer)
        codes = burst(server, 10, api_key="k")
    assert codes == [200] * 10
    assert server.rejected == 0 and server.refused_at == []


def test_grown_records_join_the_answer() -> None:
    with RateLimitedRepeatedServer(RepeatedRecords([TEMPLATE], 5)) as server:
        assert isinstance(server, RateLimitedRepeatedServer)
        server.grow(RepeatedRecords([TEMPLATE], 8))
        assert server.search_ids("ketamine chronic pain benchmark") == [
            str(50_000_000 + i) for i in range(8)
        ]
