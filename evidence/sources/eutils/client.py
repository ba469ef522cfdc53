"""The one E-utilities client: it owns NCBI etiquette.

Every request carries ``tool``, ``email`` and ``api_key``, is paced (3/s, 10/s with a
key), has connect/read timeouts, and is retried when the failure is transient. Every
request is a POST, so the API key is never part of a URL (``urllib3`` logs URLs at
DEBUG level) and long terms or id lists fit. Messages never contain the key.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from evidence.domain.deadline import Deadline
from evidence.domain.errors import (
    DeadlineExceededError,
    PermanentPubMedError,
    SourceUnreachableError,
    TransientPubMedError,
)
from evidence.domain.pmids import PmidArray
from evidence.domain.records import Article, DeletedCitation
from evidence.settings import EutilsSettings, redact
from evidence.sources.base import SearchResult, SliceInfo
from evidence.sources.eutils.esearch import EsearchPage
from evidence.sources.eutils.pacing import RateLimiter, backoff_delay, parse_retry_after
from evidence.sources.eutils.responses import BadBody, one_line, read_efetch, read_esearch
from evidence.sources.eutils.slicing import search_in_slices, shortfall, uid_range_term
from evidence.sources.eutils.transport import (
    HttpTransport,
    Reply,
    ResponseTooLarge,
    SlowResponse,
    retry_cause,
    unreachable_cause,
)

log = logging.getLogger("evidence.pubmed")

ESEARCH = "esearch.fcgi"
EFETCH = "efetch.fcgi"
ESEARCH_CAP = 9_999  # PubMed esearch can return only the first 9,999 ids of a search
MAX_PAGE_SIZE = 10_000
MAX_EFETCH_BATCH = 500
RETRY_DEADLINE = 300.0  # seconds one call may spend failing and waiting before giving up
DATETYPES = frozenset({"pdat", "edat", "mdat", "crdt"})  # as evidence.domain.claims accepts
_DATE = re.compile(r"[0-9]{4}(/[0-9]{1,2}(/[0-9]{1,2})?)?")
_PMID_DIGITS = 12
_PMID = re.compile(rf"[0-9]{{1,{_PMID_DIGITS}}}")
_ERROR_TEXT = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)

T = TypeVar("T")


@dataclass(frozen=True)
class FetchBatch:
    """One complete efetch answer for up to 500 ids, parsed once as it was checked."""

    requested: tuple[str, ...]
    records: tuple[Article | DeletedCitation, ...]
    requests: int
    retries: tuple[str, ...]


@dataclass
class ClientStats:
    """Requests sent and the cause of each retry (per client, or per call)."""

    requests: int = 0
    retries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Failure:
    """A transient failure of one attempt."""

    cause: str
    retry_after: float | None = None
    unreachable: bool = False  # no connection could be made at all
    silent: str | None = None  # the server is not answering: what happened ("timeout after 60 s")


def search_params(
    term: str,
    *,
    mindate: str | None = None,
    maxdate: str | None = None,
    datetype: str | None = None,
    sort: str | None = None,
) -> dict[str, str]:
    """The esearch parameters of a PubMed search; ValueError on unusable input."""
    if not term.strip():
        raise ValueError("empty search term")
    if (mindate is None) != (maxdate is None):
        raise ValueError("mindate and maxdate must be given together (NCBI ignores one alone)")
    params = {"db": "pubmed", "term": term}
    if datetype is not None:
        if datetype not in DATETYPES:
            raise ValueError(f"datetype must be one of {sorted(DATETYPES)}, got {datetype!r}")
        params["datetype"] = datetype
    if mindate is not None and maxdate is not None:
        for value in (mindate, maxdate):
            if not _DATE.fullmatch(value):
                raise ValueError(f"dates are YYYY, YYYY/MM or YYYY/MM/DD, got {value!r}")
        params.update(mindate=mindate, maxdate=maxdate)
    if sort:
        params["sort"] = sort
    return params


def clean_pmids(pmids: Sequence[str]) -> Sequence[str]:
    """Stripped, validated, de-duplicated PMIDs in their given order (a compact
    :class:`PmidArray` stays one: its ids are canonical digits, checked for length)."""
    if isinstance(pmids, PmidArray):
        if pmids.most_digits() > _PMID_DIGITS:
            raise ValueError(f"not PMIDs: over {_PMID_DIGITS} digits")
        return pmids.distinct()
    if isinstance(pmids, str | bytes):
        raise ValueError("pmids must be a sequence of ids, not one string")
    cleaned = tuple(dict.fromkeys(str(p).strip() for p in pmids))
    bad = [p for p in cleaned if not _PMID.fullmatch(p)]
    if bad:
        raise ValueError(f"not PMIDs: {', '.join(repr(p) for p in bad[:5])}")
    return cleaned


class EutilsClient:
    """Talks to E-utilities politely; see the module docstring."""

    def __init__(
        self,
        settings: EutilsSettings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        deadline: Deadline | None = None,
    ) -> None:
        self.settings = settings
        # The whole command's time budget: no request, retry or wait starts past it, and
        # each request's timeouts are cut to what is left of it.
        self.deadline = deadline
        self.stats = ClientStats()
        self._transport = HttpTransport(settings, session, clock)
        self._sleep = sleep
        self._limits = {ESEARCH: settings.max_esearch_bytes, EFETCH: settings.max_efetch_bytes}
        self._clock = clock
        # In real time the budget is shared, through a locked file, with every process
        # talking to this server; an injected (fake) clock paces this client alone.
        self._limiter = RateLimiter.across_processes(
            settings.requests_per_second, settings.shared_rate_file, clock, sleep
        )
        self._random = random.Random()

    def esearch(
        self,
        term: str,
        *,
        mindate: str | None = None,
        maxdate: str | None = None,
        datetype: str | None = None,
        sort: str | None = None,
        page_size: int = 5000,
    ) -> SearchResult:
        """Search PubMed and page through every id; over 9,999, search in PMID slices."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        params = search_params(term, mindate=mindate, maxdate=maxdate, datetype=datetype, sort=sort)
        tally = ClientStats()
        first_params = {**params, **_first_page(page_size)}
        first, first_ids = self._search_ids(first_params, page_size, tally)
        pmids: Sequence[str] = first_ids
        slices: tuple[SliceInfo, ...] = ()
        if first.count > ESEARCH_CAP:
            probe = partial(self._ranged, params, 0, tally)
            pages = partial(self._ranged, params, page_size, tally)
            pmids, slices = search_in_slices(first.count, ESEARCH_CAP, probe, pages)
        short = shortfall(first.count, len(pmids), slices)
        return SearchResult(
            term=term,
            count=first.count,
            pmids=pmids,
            query_translation=first.query_translation,
            warnings=first.warnings,
            errors=first.errors,
            params={**first_params, **self._etiquette(with_key=False)},
            requests=tally.requests,
            retries=tuple(tally.retries),
            complete=not short,
            slices=slices,
            shortfall=short,
        )

    def efetch(self, pmids: Sequence[str], *, batch_size: int = 500) -> Iterator[FetchBatch]:
        """POST the ids in batches; yield one complete ``PubmedArticleSet`` per batch."""
        if not 1 <= batch_size <= MAX_EFETCH_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_EFETCH_BATCH}, got {batch_size}")
        return self._fetch_batches(clean_pmids(pmids), batch_size)

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        self._transport.close()

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- searching and fetching -------------------------------------------------

    def _ranged(
        self, params: Mapping[str, str], page_size: int, tally: ClientStats, lo: int, hi: int
    ) -> tuple[int, tuple[str, ...]]:
        """Count (``page_size`` 0: one probe) or page the search within PMIDs ``lo..hi``."""
        ranged = {**params, "term": uid_range_term(params["term"], lo, hi)}
        if page_size == 0:
            return self._request(ESEARCH, {**ranged, "retmax": "0"}, read_esearch, tally).count, ()
        first, ids = self._search_ids({**ranged, **_first_page(page_size)}, page_size, tally)
        return first.count, ids

    def _search_ids(
        self, first_params: Mapping[str, str], page_size: int, tally: ClientStats
    ) -> tuple[EsearchPage, tuple[str, ...]]:
        """First page (with history) and, up to the cap, every id in PubMed order.

        A search over the cap stops at its first page: esearch splits it in PMID slices.
        """
        first = self._request(ESEARCH, first_params, read_esearch, tally)
        ids = dict.fromkeys(first.ids)
        limit = first.count if first.count <= ESEARCH_CAP else 0
        retstart = len(first.ids)
        paging = _paging_params(first_params, first)
        while retstart < limit:
            retmax = min(page_size, limit - retstart)
            page_params = {**paging, "retstart": str(retstart), "retmax": str(retmax)}
            page = self._request(ESEARCH, page_params, read_esearch, tally)
            if not page.ids:
                break
            ids.update(dict.fromkeys(page.ids))
            retstart += len(page.ids)
        return first, tuple(ids)

    def _fetch_batches(self, pmids: Sequence[str], batch_size: int) -> Iterator[FetchBatch]:
        for start in range(0, len(pmids), batch_size):
            batch = tuple(pmids[start : start + batch_size])
            tally = ClientStats()
            params = {"db": "pubmed", "retmode": "xml", "id": ",".join(batch)}
            records = self._request(EFETCH, params, read_efetch, tally)
            yield FetchBatch(batch, records, tally.requests, tuple(tally.retries))

    # -- etiquette ----------------------------------------------------------------

    def _etiquette(self, *, with_key: bool) -> dict[str, str]:
        params = {"tool": self.settings.tool}
        if self.settings.email:
            params["email"] = self.settings.email
        if with_key and self.settings.api_key:
            params["api_key"] = self.settings.api_key.reveal()
        return params

    def _safe(self, text: str) -> str:
        return redact(text, self.settings.api_key)

    def _request(
        self,
        endpoint: str,
        params: Mapping[str, str],
        read: Callable[[bytes], T],
        tally: ClientStats,
    ) -> T:
        """Send one logical request: pace, retry transient failures, raise the rest."""
        sent = {**params, **self._etiquette(with_key=True)}
        attempts = max(1, self.settings.max_attempts)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self._check_deadline(endpoint, attempt)
            outcome = self._attempt(endpoint, sent, read, tally)
            if not isinstance(outcome, _Failure):
                return outcome
            delay = outcome.retry_after
            if delay is None:
                delay = backoff_delay(attempt, self._random.random)
            self._check_deadline(endpoint, attempt + 1, outcome.cause)
            if attempt >= attempts or self._clock() - started + delay > RETRY_DEADLINE:
                break
            self._check_deadline(endpoint, attempt + 1, outcome.cause, delay)
            tally.retries.append(outcome.cause)
            self.stats.retries.append(outcome.cause)
            self._say_retrying(endpoint, outcome, delay, attempt, attempts)
            self._sleep(delay)
        if outcome.unreachable:
            raise self._unreachable(outcome.cause, attempt)
        message = (
            f"PubMed {endpoint} failed after {attempt} attempt(s)"
            f" ({_describe(params)}): {outcome.cause}"
        )
        raise TransientPubMedError(self._safe(message))

    def _check_deadline(
        self, endpoint: str, attempt: int, cause: str | None = None, delay: float = 0.0
    ) -> None:
        """Raise DeadlineExceededError when attempt ``attempt`` (after ``delay``) is too late."""
        if self.deadline is None or self.deadline.remaining() > delay:
            return
        doing = f"{endpoint} attempt {attempt}" if attempt > 1 else f"an {endpoint} request"
        after = f" (after {cause})" if cause else ""
        raise DeadlineExceededError(f"{self.deadline.label} ran out before {doing}{after}")

    def _say_retrying(
        self, endpoint: str, failure: _Failure, delay: float, attempt: int, attempts: int
    ) -> None:
        """A server that stops answering is named at once (WARNING); other retries at INFO."""
        if failure.silent is not None and attempt == 1:
            more = attempts - attempt
            log.warning(
                "E-utilities at %s is not answering (%s); retrying %d more time%s",
                self._host(),
                failure.silent,
                more,
                "" if more == 1 else "s",
            )
        log.info("retrying %s in %.2fs after %s", endpoint, delay, failure.cause)

    def _host(self) -> str:
        return urlsplit(self.settings.base_url).netloc or self.settings.base_url

    def _unreachable(self, cause: str, attempts: int) -> SourceUnreachableError:
        """One line naming the host and what to check (never the key)."""
        host = self._host()
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return SourceUnreachableError(
            self._safe(
                f"cannot reach E-utilities at {host}: {cause}{tries}; check the network, any"
                " proxy (HTTPS_PROXY), or EVIDENCE_EUTILS_URL / --eutils-url;"
                " offline? try `make demo`"
            )
        )

    def _attempt(
        self,
        endpoint: str,
        sent: Mapping[str, str],
        read: Callable[[bytes], T],
        tally: ClientStats,
    ) -> T | _Failure:
        """One HTTP exchange: a value, a transient failure, or PermanentPubMedError."""
        self._limiter.wait()
        tally.requests += 1
        self.stats.requests += 1
        start = self._clock()
        budget = None if self.deadline is None else max(self.deadline.remaining(), 0.001)
        cap = self._limits[endpoint]
        try:
            reply = self._transport.post(endpoint, sent, budget=budget, max_bytes=cap)
        except ResponseTooLarge as exc:
            raise PermanentPubMedError(
                self._reject(
                    endpoint,
                    sent,
                    f"{exc}; refused, nothing stored (the limit is a setting:"
                    f" EVIDENCE_MAX_{endpoint.split('.')[0].upper()}_BYTES)",
                )
            ) from None
        except requests.RequestException as exc:
            log.debug(
                "POST %s -> %s after %.3fs", endpoint, type(exc).__name__, self._clock() - start
            )
            return self._transport_failure(endpoint, exc)
        status, body = reply.status, reply.body
        log.debug(
            "POST %s -> HTTP %d (%d bytes) in %.3fs",
            endpoint,
            status,
            len(body),
            self._clock() - start,
        )
        failure = self._judge_status(endpoint, sent, reply)
        if failure is not None:
            return failure
        try:
            return read(body)
        except BadBody as bad:
            if bad.transient:
                return _Failure(self._safe(bad.cause))
            raise PermanentPubMedError(self._reject(endpoint, sent, bad.cause)) from None

    def _transport_failure(self, endpoint: str, exc: requests.RequestException) -> _Failure:
        """A failure worth retrying, or raise: unreachable server, or hopeless request."""
        unreachable = unreachable_cause(exc)
        if unreachable is not None:
            cause, retry = unreachable
            if not retry:
                raise self._unreachable(cause, 1) from None
            # A refused connection ends in one error line soon enough; a host that lets
            # connections time out is "not answering", said at once.
            return _Failure(cause, unreachable=True, silent=self._silence(exc))
        transient = retry_cause(exc)
        if transient is None:
            raise PermanentPubMedError(
                self._safe(f"PubMed {endpoint} request failed: {type(exc).__name__}")
            ) from None
        return _Failure(transient, silent=self._silence(exc))

    def _silence(self, exc: requests.RequestException) -> str | None:
        """What a server that does not answer did, for the warning; None for other failures."""
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return f"connection timed out after {self.settings.connect_timeout:g} s"
        if isinstance(exc, SlowResponse):
            return f"answer not complete after {self.settings.request_deadline:g} s"
        if isinstance(exc, requests.Timeout):
            return f"timeout after {self.settings.read_timeout:g} s"
        if isinstance(exc, requests.ConnectionError) and unreachable_cause(exc) is None:
            return "the connection was dropped"
        return None

    def _judge_status(
        self, endpoint: str, sent: Mapping[str, str], response: Reply
    ) -> _Failure | None:
        """None for 2xx; a transient failure for 429/5xx; raise for other statuses."""
        status = response.status
        if 200 <= status < 300:
            return None
        if status == 429:
            return _Failure("HTTP 429", parse_retry_after(response.headers.get("Retry-After")))
        if 500 <= status < 600 and status not in (501, 505):
            return _Failure(f"HTTP {status}")
        hint = _body_hint(response.body)
        cause = f"HTTP {status}" + (f": {hint}" if hint else "")
        raise PermanentPubMedError(self._reject(endpoint, sent, cause))

    def _reject(self, endpoint: str, sent: Mapping[str, str], cause: str) -> str:
        return self._safe(f"PubMed {endpoint} rejected the request ({_describe(sent)}): {cause}")


def _first_page(page_size: int) -> dict[str, str]:
    return {"usehistory": "y", "retstart": "0", "retmax": str(min(page_size, ESEARCH_CAP))}


def _paging_params(first_params: Mapping[str, str], first: EsearchPage) -> dict[str, str]:
    """Later pages read the stored result (WebEnv) when NCBI gave one, else re-run the term."""
    if first.webenv and first.query_key:
        paging = {"db": "pubmed", "WebEnv": first.webenv, "query_key": first.query_key}
        if "sort" in first_params:
            paging["sort"] = first_params["sort"]
        return paging
    return {k: v for k, v in first_params.items() if k not in ("usehistory", "retstart", "retmax")}


def _describe(params: Mapping[str, str]) -> str:
    """A short, key-free description of a request for messages."""
    parts = []
    if "term" in params:
        parts.append(f"term={one_line(params['term'], 80)!r}")
    if "WebEnv" in params:
        parts.append("history page")
    if params.get("retstart", "0") != "0":
        parts.append(f"retstart={params['retstart']}")
    if "id" in params:
        ids = params["id"].split(",")
        parts.append(f"{len(ids)} ids from {ids[0]}")
    return ", ".join(parts) or "no parameters"


def _body_hint(body: bytes) -> str:
    """The ``<ERROR>`` text of a body, else its start, on one line."""
    match = _ERROR_TEXT.search(body[:20_000])
    text = match.group(1) if match else body[:300]
    return one_line(text.decode("utf-8", "replace"), 160)
