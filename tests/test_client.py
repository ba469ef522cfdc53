"""EutilsClient against the loopback E-utilities server: paging, batching, etiquette, retries."""

from __future__ import annotations

import itertools
import logging
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from evidence.domain.errors import PermanentPubMedError, PubMedError, TransientPubMedError
from evidence.settings import EutilsSettings
from evidence.sources.eutils.client import EutilsClient
from evidence.sources.eutils.esearch import parse_esearch
from evidence.sources.eutils.pacing import RateLimiter, backoff_delay, parse_retry_after
from evidence.sources.eutils.responses import BadBody, read_esearch
from tests.conftest import FakeTime
from tests.eutils_server import EutilsServer, Fault, synthetic_record

KEY = "SENTINEL-KEY-123"
ServerFactory = Callable[..., EutilsServer]
ClientFactory = Callable[..., EutilsClient]


def pmids(n: int, start: int = 20_000_000) -> list[str]:
    return [str(start + i) for i in range(n)]


def records_for(ids: list[str]) -> dict[str, bytes]:
    return {pmid: synthetic_record(pmid) for pmid in ids}


def batch_pmids(batch: Any) -> list[str]:
    """The PMIDs of a batch's parsed records, in order."""
    return [r.pmid for r in batch.records]


# -- esearch -------------------------------------------------------------------------


def test_esearch_pages_through_the_history_in_pubmed_order(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = pmids(10)
    server = eutils_server_factory({}, {"ketamine[tiab]": ids})
    result = eutils_client_factory(server).esearch("ketamine[tiab]", page_size=3)

    assert result.pmids == tuple(ids)
    assert (result.count, result.complete, result.requests, result.retries) == (10, True, 4, ())
    sent = [r.params for r in server.requests_to("esearch.fcgi")]
    assert [p["retstart"] for p in sent] == ["0", "3", "6", "9"]
    assert [p["retmax"] for p in sent] == ["3", "3", "3", "1"]
    assert sent[0]["usehistory"] == "y" and sent[0]["term"] == "ketamine[tiab]"
    webenvs = {p.get("WebEnv") for p in sent[1:]}
    assert len(webenvs) == 1
    webenv = webenvs.pop()
    assert webenv and webenv not in repr(result)
    assert all(p["query_key"] == "1" and "term" not in p for p in sent[1:])


def test_esearch_over_the_cap_stops_at_the_first_page_and_searches_in_pmid_slices(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = pmids(12_000)[::-1]  # PubMed's default order: highest (newest) PMIDs first
    server = eutils_server_factory({}, {"pain": ids})
    result = eutils_client_factory(server).esearch("pain")

    assert (result.count, result.complete, result.shortfall) == (12_000, True, ())
    assert result.pmids == tuple(ids)  # slices come highest PMIDs first
    assert len(result.slices) > 1 and all(s.count <= 9_999 for s in result.slices)
    sent = [r.params for r in server.requests]
    assert sent[0]["term"] == "pain"
    assert all(p.get("term", "").startswith("(pain) AND ") for p in sent[1:] if "term" in p)
    assert result.requests == len(sent)  # the probes are counted


def test_count_override_simulates_a_huge_search(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {"pain": pmids(30)}, count_override={"pain": 25_000})
    result = eutils_client_factory(server).esearch("pain", page_size=20)
    assert (result.count, len(result.pmids), result.complete) == (25_000, 30, False)


def test_esearch_drops_duplicates_and_flags_the_shortfall(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {"t": ["3", "2", "2", "1"]})
    result = eutils_client_factory(server).esearch("t", page_size=2)
    assert result.pmids == ("3", "2", "1") and not result.complete


def test_phrase_not_found_is_reported_not_raised(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {})
    result = eutils_client_factory(server).esearch("abcXYZ")
    assert (result.count, result.pmids, result.complete, result.requests) == (0, (), True, 1)
    assert result.errors == ("PhraseNotFound: abcXYZ",)
    assert result.warnings == ("OutputMessage: No items found.",)


def test_search_params_are_recorded_without_the_key(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    client = eutils_client_factory(server, api_key=KEY)
    result = client.esearch(
        "t", mindate="2020/01", maxdate="2024", datetype="edat", sort="pub_date"
    )

    assert result.params == {
        "db": "pubmed",
        "term": "t",
        "datetype": "edat",
        "mindate": "2020/01",
        "maxdate": "2024",
        "sort": "pub_date",
        "usehistory": "y",
        "retstart": "0",
        "retmax": "5000",
        "tool": "evidence",
        "email": "tests@example.org",
    }
    assert server.requests[0].params == {**result.params, "api_key": KEY}


@pytest.mark.parametrize(
    "term, kwargs",
    [
        (" ", {}),
        ("t", {"mindate": "2020"}),
        ("t", {"mindate": "2020-01-01", "maxdate": "2021"}),
        ("t", {"datetype": "published"}),
        ("t", {"page_size": 0}),
        ("t", {"page_size": 10_001}),
    ],
)
def test_bad_search_arguments_fail_before_any_request(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    term: str,
    kwargs: dict[str, Any],
) -> None:
    server = eutils_server_factory({}, {})
    with pytest.raises(ValueError):
        eutils_client_factory(server).esearch(term, **kwargs)
    assert server.requests == []


# -- efetch --------------------------------------------------------------------------


def test_efetch_posts_batches_of_at_most_500_ids(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = pmids(1_201)
    server = eutils_server_factory(records_for(ids), {})
    batches = list(eutils_client_factory(server).efetch(ids, batch_size=500))

    assert [len(b.requested) for b in batches] == [500, 500, 201]
    assert [pmid for b in batches for pmid in b.requested] == ids
    for batch in batches:
        assert batch_pmids(batch) == list(batch.requested)
        assert (batch.requests, batch.retries) == (1, ())
    sent = server.requests_to("efetch.fcgi")
    assert [r.method for r in sent] == ["POST"] * 3
    assert all(r.url_params == {} for r in sent)
    assert [r.form_params["id"] for r in sent] == [",".join(b.requested) for b in batches]
    assert {(r.params["db"], r.params["retmode"]) for r in sent} == {("pubmed", "xml")}


@pytest.mark.parametrize(
    "ids, batch_size", [(["1"], 501), (["1"], 0), ("12345", 10), (["12a"], 10), ([""], 10)]
)
def test_bad_efetch_arguments_fail_at_call_time(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    ids: Any,
    batch_size: int,
) -> None:
    server = eutils_server_factory({}, {})
    with pytest.raises(ValueError):
        eutils_client_factory(server).efetch(ids, batch_size=batch_size)
    assert server.requests == []


def test_efetch_of_nothing_sends_nothing_and_unknown_ids_give_an_empty_set(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {})
    client = eutils_client_factory(server)
    assert list(client.efetch([])) == [] and server.requests == []
    (batch,) = client.efetch(["99999999", "99999999"])
    assert batch.requested == ("99999999",) and batch_pmids(batch) == []


# -- etiquette -----------------------------------------------------------------------


def test_every_request_carries_tool_email_and_key_outside_the_url(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    ids = pmids(5)
    server = eutils_server_factory(records_for(ids), {"t": ids})
    client = eutils_client_factory(server, api_key=KEY)
    list(client.efetch(client.esearch("t", page_size=2).pmids, batch_size=2))

    assert len(server.requests) == 6
    for request in server.requests:
        assert request.params["tool"] == "evidence"
        assert request.params["email"] == "tests@example.org"
        assert request.params["api_key"] == KEY
        assert request.url_params == {}
    assert client.stats.requests == 6 and client.stats.retries == []


def test_without_key_and_email_only_tool_is_sent(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    eutils_client_factory(server, email=None).esearch("t")
    assert server.requests[0].params["tool"] == "evidence"
    assert "api_key" not in server.requests[0].params
    assert "email" not in server.requests[0].params


@pytest.mark.parametrize("api_key, n, interval", [(None, 4, 1 / 3), (KEY, 6, 1 / 10)])
def test_requests_are_paced_in_real_time(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    api_key: str | None,
    n: int,
    interval: float,
) -> None:
    server = eutils_server_factory({}, {"t": pmids(n)})
    eutils_client_factory(server, api_key=api_key, real_time=True).esearch("t", page_size=1)

    times = [r.time for r in server.requests]
    assert len(times) == n
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Server-side timestamps carry thread-scheduling jitter (one late arrival shortens the
    # next gap), so judge the typical gap and the whole span; unpaced gaps are ~1 ms.
    assert statistics.median(gaps) >= interval - 0.02, gaps
    assert times[-1] - times[0] >= (n - 1) * interval - 0.03


def test_rate_limiter_spaces_request_starts() -> None:
    fake = FakeTime()
    limiter = RateLimiter(3.0, fake.clock, fake.sleep)
    assert limiter.wait() == 0.0
    assert limiter.wait() == pytest.approx(1 / 3)
    fake.now += 0.1
    assert limiter.wait() == pytest.approx(1 / 3 - 0.1)
    fake.now += 5.0
    assert limiter.wait() == 0.0
    assert fake.sleeps == pytest.approx([1 / 3, 1 / 3 - 0.1])
    assert RateLimiter(10.0, fake.clock, fake.sleep).interval == pytest.approx(0.1)
    with pytest.raises(ValueError):
        RateLimiter(0, fake.clock, fake.sleep)


def test_backoff_grows_is_jittered_and_capped() -> None:
    assert [backoff_delay(n, lambda: 1.0) for n in (1, 2, 3, 7, 20)] == [0.5, 1, 2, 30, 30]
    assert [backoff_delay(n, lambda: 0.0) for n in (1, 2, 20)] == [0.25, 0.5, 15]


@pytest.mark.parametrize(
    "header, seconds",
    [("2", 2.0), (" 0.5 ", 0.5), ("120", 60.0), ("soon", None), ("-1", None), (None, None)],
)
def test_retry_after_is_read_in_seconds_and_capped(header: str | None, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


# -- retries -------------------------------------------------------------------------

BACKEND_FAILED = "Search Backend failed: Database is not available"
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Service maintenance</h1></body></html>"


def run(client: EutilsClient, endpoint: str, ids: list[str]) -> list[str]:
    """Search (esearch) or fetch (efetch) ``ids``; return the PMIDs obtained."""
    if endpoint == "esearch":
        return list(client.esearch("t").pmids)
    return [pmid for batch in client.efetch(ids) for pmid in batch_pmids(batch)]


@pytest.mark.parametrize(
    "endpoint, fault, cause",
    [
        ("esearch", Fault.http(503, HTML_PAGE), "HTTP 503"),
        ("efetch", Fault.http(502), "HTTP 502"),
        ("esearch", Fault.error_200(BACKEND_FAILED), f"ERROR in 200: {BACKEND_FAILED}"),
        ("esearch", Fault.http(200, HTML_PAGE), "HTML body"),
        ("esearch", Fault.http(200, b'{"error":"Internal"}'), "JSON body"),
        ("efetch", Fault.http(200, b""), "empty body"),
        ("efetch", Fault.http(200, b"Error reading from remote server"), "bad efetch XML"),
        ("efetch", Fault.truncate(0.6), "truncated body"),
        ("efetch", Fault.truncate(0.6, declare_full_length=True), "ChunkedEncodingError"),
        ("efetch", Fault.cut(), "ConnectionError"),
    ],
)
def test_transient_failure_is_retried_after_a_backoff(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    fake_time: FakeTime,
    endpoint: str,
    fault: Fault,
    cause: str,
) -> None:
    ids = pmids(3)
    server = eutils_server_factory(records_for(ids), {"t": ids})
    client = eutils_client_factory(server, api_key=KEY)
    server.push(fault)

    assert run(client, endpoint, ids) == ids
    assert len(server.requests) == 2
    assert [c[: len(cause)] for c in client.stats.retries] == [cause]
    assert 0.25 <= fake_time.sleeps[0] <= 0.5


def test_read_timeout_is_retried(
    eutils_server_factory: ServerFactory, eutils_client_factory: ClientFactory
) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    client = eutils_client_factory(server, read_timeout=0.2)
    server.push(Fault.slow(1.0))
    result = client.esearch("t")
    assert result.pmids == ("1",) and result.retries == ("Timeout",) and result.requests == 2


@pytest.mark.parametrize(
    "retry_after, low, high", [("2", 2.0, 2.0), ("120", 60, 60), ("x", 0.25, 0.5)]
)
def test_429_honours_retry_after(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    fake_time: FakeTime,
    retry_after: str,
    low: float,
    high: float,
) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    client = eutils_client_factory(server)
    body = b'{"error":"API rate limit exceeded","count":"4","limit":"3"}'
    server.push(Fault.http(429, body, {"Retry-After": retry_after}))
    result = client.esearch("t")
    assert result.retries == ("HTTP 429",) and result.pmids == ("1",)
    assert low <= fake_time.sleeps[0] <= high


@pytest.mark.parametrize(
    "endpoint, fault, expected",
    [
        ("esearch", Fault.http(400, b"<eSearchResult><ERROR>Invalid query</ERROR>"), "HTTP 400"),
        ("efetch", Fault.http(404, HTML_PAGE), "HTTP 404"),
        (
            "efetch",
            Fault.error_200("Empty id list - nothing todo", root="eFetchResult"),
            "Empty id list",
        ),
        ("esearch", Fault.error_200("Invalid query syntax near '('"), "Invalid query"),
        (
            "esearch",
            Fault.error_200("Search Backend failed: 'retstart' cannot be larger than 9998."),
            "cannot be larger than 9998",
        ),
    ],
)
def test_permanent_failure_is_raised_without_retry(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    fake_time: FakeTime,
    endpoint: str,
    fault: Fault,
    expected: str,
) -> None:
    server = eutils_server_factory(records_for(["1"]), {"t": ["1"]})
    client = eutils_client_factory(server, api_key=KEY)
    server.push(fault)
    with pytest.raises(PermanentPubMedError) as caught:
        run(client, endpoint, ["1"])
    assert expected in str(caught.value) and f"{endpoint}.fcgi" in str(caught.value)
    assert len(server.requests) == 1 and fake_time.sleeps == []


def test_exhausted_attempts_raise_a_one_line_transient_error(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    fake_time: FakeTime,
) -> None:
    server = eutils_server_factory({}, {"t": ["1"]})
    client = eutils_client_factory(server, api_key=KEY, max_attempts=3)
    server.push(*[Fault.http(503)] * 3)
    with pytest.raises(TransientPubMedError) as caught:
        client.esearch("ketamine\nchronic pain")
    message = str(caught.value)
    assert "\n" not in message
    assert "esearch.fcgi" in message and "3 attempt" in message and message.endswith("HTTP 503")
    assert len(server.requests) == 3 and client.stats.retries == ["HTTP 503", "HTTP 503"]
    assert 0.25 <= fake_time.sleeps[0] <= 0.5 and 0.5 <= fake_time.sleeps[1] <= 1.0


@pytest.mark.parametrize(
    "faults, error",
    [
        (
            [Fault.http(429, b'{"api-key":"' + KEY.encode() + b'"}', {"Retry-After": "1"})] * 2,
            TransientPubMedError,
        ),
        ([Fault.error_200(f"Backend failed for {KEY}")] * 2, TransientPubMedError),
        ([Fault.http(400, f"<ERROR>Invalid api_key {KEY}</ERROR>".encode())], PermanentPubMedError),
        ([Fault.cut()] * 2, TransientPubMedError),
    ],
)
def test_the_key_appears_in_no_error_and_no_log_record(
    eutils_server_factory: ServerFactory,
    eutils_client_factory: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    faults: list[Fault],
    error: type[PubMedError],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    server = eutils_server_factory({}, {"t": ["1"]})
    client = eutils_client_factory(server, api_key=KEY, max_attempts=2)
    server.push(*faults)
    with pytest.raises(error) as caught:
        client.esearch("t")

    assert server.requests[0].params["api_key"] == KEY  # the key was really used
    texts = [str(caught.value), repr(caught.value), repr(client.settings), repr(client.stats)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records and not [t for t in texts if KEY in t]
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    if "Invalid api_key" in str(caught.value) or "Backend failed" in str(caught.value):
        assert "***" in str(caught.value)


def test_a_given_session_is_used_and_left_open(
    eutils_server_factory: ServerFactory, fake_time: FakeTime
) -> None:
    class Tracking(requests.Session):
        sent = 0
        closed = False

        def send(self, *args: Any, **kwargs: Any) -> requests.Response:
            self.sent += 1
            return super().send(*args, **kwargs)

        def close(self) -> None:
            self.closed = True
            super().close()

    server = eutils_server_factory({}, {"t": ["1"]})
    session = Tracking()
    settings = EutilsSettings(base_url=server.url)
    with EutilsClient(settings, session=session, sleep=fake_time.sleep) as client:
        client.esearch("t")
    assert session.sent == 1 and not session.closed
    session.close()


# -- esearch XML on real NCBI answers ------------------------------------------------

ENTREZ = Path("pubmed/sources/biopython__biopython/Tests/Entrez")


@pytest.mark.shared
@pytest.mark.parametrize(
    "name, count, ids, webenv, errors, warnings",
    [
        ("esearch1.xml", 63, 20, False, (), ()),
        ("esearch2.xml", 42249, 100, True, (), ()),
        (
            "esearch8.xml",
            0,
            0,
            False,
            ("PhraseNotFound: abcXYZ",),
            ("OutputMessage: No items found.",),
        ),
    ],
)
def test_parse_real_esearch_answers(
    shared_dir: Path,
    name: str,
    count: int,
    ids: int,
    webenv: bool,
    errors: tuple[str, ...],
    warnings: tuple[str, ...],
) -> None:
    path = shared_dir / ENTREZ / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    page = read_esearch(path.read_bytes())
    assert (page.count, len(page.ids), page.errors, page.warnings) == (count, ids, errors, warnings)
    assert bool(page.webenv and page.query_key == "1") is webenv
    assert page.query_translation and page.error is None


@pytest.mark.shared
def test_real_esearch_error_is_permanent(shared_dir: Path) -> None:
    path = shared_dir / "pubmed/sources/Klortho__Eutils-JSON/samples/esearch.baderror.xml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert parse_esearch(path.read_bytes()).error == "Invalid db name specified: fleegle"
    with pytest.raises(BadBody) as caught:
        read_esearch(path.read_bytes())
    assert not caught.value.transient
