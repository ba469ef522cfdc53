"""The loopback E-utilities server speaks NCBI's formats and misbehaves only on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from lxml import etree

from evidence.sources.eutils.esearch import parse_esearch
from tests.conftest import TINY_PUBMED_SET
from tests.eutils_server import EFETCH_HEADER, EutilsServer, Fault, load_records

ServerFactory = Callable[..., EutilsServer]
ENTREZ = Path("pubmed/sources/biopython__biopython/Tests/Entrez")


def xml(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(body, parser)


def get(server: EutilsServer, endpoint: str, **params: str) -> requests.Response:
    return requests.get(server.url + endpoint, params=params, timeout=5)


def post(server: EutilsServer, endpoint: str, **params: str) -> requests.Response:
    return requests.post(server.url + endpoint, data=params, timeout=5)


def test_load_records_splits_articles_and_books(tiny_records: dict[str, bytes]) -> None:
    assert list(tiny_records) == ["30000001", "30000002", "30000003"]
    assert tiny_records["30000003"].startswith(b"<PubmedBookArticle>")
    assert tiny_records["30000001"].startswith(b"<PubmedArticle>")
    assert b"Ketamine &amp; opioids" in tiny_records["30000002"]
    assert xml(tiny_records["30000002"]).findtext(".//ArticleTitle") == (
        "Ketamine & opioids \u2014 a meta-analysis."
    )
    doubled = TINY_PUBMED_SET.replace(b"Ketamine infusion", b"Second copy", 1)
    doubled = doubled.replace(
        b"</PubmedArticleSet>", tiny_records["30000001"] + b"</PubmedArticleSet>"
    )
    assert b"Second copy" in load_records(doubled)["30000001"]  # the first copy wins


def test_efetch_returns_known_records_in_requested_order(
    eutils_server_factory: ServerFactory, tiny_records: dict[str, bytes]
) -> None:
    server = eutils_server_factory(tiny_records, {})
    for send in (get, post):
        response = send(server, "efetch.fcgi", db="pubmed", id="30000003,404,30000001")
        assert response.status_code == 200
        assert response.content.startswith(EFETCH_HEADER)
        assert response.content.rstrip().endswith(b"</PubmedArticleSet>")
        root = xml(response.content)
        assert [e.tag for e in root] == ["PubmedBookArticle", "PubmedArticle"]
    assert [r.method for r in server.requests] == ["GET", "POST"]
    assert server.requests[1].form_params["id"] == "30000003,404,30000001"
    assert server.requests[1].url_params == {}


def test_efetch_without_ids_is_an_error_like_ncbi(eutils_server_factory: ServerFactory) -> None:
    server = eutils_server_factory({}, {})
    response = post(server, "efetch.fcgi", db="pubmed", id="")
    assert response.status_code == 400
    assert xml(response.content).findtext("ERROR") == "Empty id list - nothing todo"


def test_esearch_history_paging_and_limits(eutils_server_factory: ServerFactory) -> None:
    ids = [str(n) for n in range(100, 150)]
    server = eutils_server_factory({}, lambda term: ids if term == "t" else [])
    first = parse_esearch(
        post(server, "esearch.fcgi", db="pubmed", term="t", usehistory="y").content
    )
    assert (first.count, first.retmax, first.ids) == (50, 20, tuple(ids[:20]))
    assert first.webenv and first.query_key == "1" and first.query_translation == "t"

    paged = post(server, "esearch.fcgi", WebEnv=first.webenv, query_key="1", retstart="45")
    assert parse_esearch(paged.content).ids == tuple(ids[45:])
    too_far = parse_esearch(get(server, "esearch.fcgi", term="t", retstart="9999").content)
    assert too_far.error and too_far.error.startswith("Search Backend failed")
    lost = parse_esearch(post(server, "esearch.fcgi", WebEnv="MCID_x", query_key="1").content)
    assert lost.error == "Unable to obtain query #1"
    known_empty = parse_esearch(post(server, "esearch.fcgi", term="other").content)
    assert (known_empty.count, known_empty.errors) == (0, ())
    assert known_empty.warnings == ("OutputMessage: No items found.",)


@pytest.mark.shared
def test_esearch_answers_have_ncbi_shape(
    eutils_server_factory: ServerFactory, shared_dir: Path
) -> None:
    real_paged, real_empty = (
        shared_dir / ENTREZ / "esearch2.xml",
        shared_dir / ENTREZ / "esearch8.xml",
    )
    if not (real_paged.is_file() and real_empty.is_file()):
        pytest.skip(f"real esearch answers not found under {shared_dir / ENTREZ}")
    server = eutils_server_factory({}, {"cancer": ["1", "2"]})
    ours = post(server, "esearch.fcgi", db="pubmed", term="cancer", usehistory="y").content
    unknown = post(server, "esearch.fcgi", db="pubmed", term="abcXYZ").content
    for mine, theirs in ((ours, real_paged), (unknown, real_empty)):
        real = theirs.read_bytes()
        assert mine.split(b"<eSearchResult>")[0] == real.split(b"<eSearchResult>")[0]
        assert [e.tag for e in xml(mine)] == [e.tag for e in xml(real)]
    assert parse_esearch(unknown).errors == parse_esearch(real_empty.read_bytes()).errors


def test_faults_apply_in_order_and_to_their_endpoint(eutils_server_factory: ServerFactory) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    server.push(
        Fault.http(503, endpoint="efetch.fcgi"), Fault.http(429, headers={"Retry-After": "3"})
    )
    first = post(server, "esearch.fcgi", term="t")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert post(server, "esearch.fcgi", term="t").status_code == 200
    assert post(server, "efetch.fcgi", id="1").status_code == 503
    assert post(server, "efetch.fcgi", id="1").status_code == 200
    assert server.faults == [] and len(server.requests) == 4
    server.push(Fault.cut())
    with pytest.raises(requests.ConnectionError):
        post(server, "esearch.fcgi", term="t")


def test_count_override_changes_only_the_count(eutils_server_factory: ServerFactory) -> None:
    server = eutils_server_factory({}, {"t": ["1", "2"]}, count_override={"t": 20_000})
    page = parse_esearch(post(server, "esearch.fcgi", term="t").content)
    assert (page.count, page.ids) == (20_000, ("1", "2"))


@pytest.mark.shared
def test_shared_corpus_is_served(
    eutils_server_factory: ServerFactory, shared_corpus_records: dict[str, bytes]
) -> None:
    assert len(shared_corpus_records) >= 3_000
    wanted = list(shared_corpus_records)[-3:]
    server = eutils_server_factory(shared_corpus_records, {})
    root = xml(post(server, "efetch.fcgi", id=",".join(wanted)).content)
    assert [
        e.findtext("MedlineCitation/PMID") or e.findtext("BookDocument/PMID") for e in root
    ] == (wanted)
