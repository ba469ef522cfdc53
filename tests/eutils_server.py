"""A loopback E-utilities server (esearch.fcgi, efetch.fcgi) for end-to-end tests.

It answers in NCBI's XML formats, logs every request, and misbehaves on demand:
push :class:`Fault` objects to ``server.faults`` and the next matching requests get
them instead of the normal answer.

Records carry a modification date (``mdates``: from the record's ``DateRevised``, else
2000/01/01); esearch honours ``datetype`` (``mdat``, ``pdat``, ``edat``) with
``mindate``/``maxdate`` at day precision, ``AND lo:hi[mdat]`` range terms (also ``[pdat]``,
``[edat]``), ``(1[uid] OR 2[uid] ...)`` id lists and ORed known terms. The ``datetype``
parameter filters by ``mdat`` only unless ``date_params`` names ``pdat``/``edat`` too (the
fixture searches of older tests pretend every record is within the claims' pdat ranges).
The corpus can change between runs: :meth:`EutilsServer.revise` replaces a record and moves
its date, :meth:`EutilsServer.add_record` adds one; ``searches`` (a dict) can be edited in place.
A record without a publication or entry date is kept by a ``pdat``/``edat`` filter.
"""

from __future__ import annotations

import calendar
import gzip
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" ?>\n'
ESEARCH_HEADER = XML_DECLARATION + (
    b"<!DOCTYPE eSearchResult PUBLIC "
    b'"-//NLM//DTD esearch 20060628//EN" '
    b'"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_HEADER = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC '
    b'"-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
EFETCH_FOOTER = b"</PubmedArticleSet>\n"
RETSTART_LIMIT_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed,"
    " ESearch can only retrieve the first 9,999 records matching the query."
)
SEARCH_CAP = 9_999
# "<base> AND lo:hi[uid]", the base in parentheses or not: how a search is cut in PMID slices
UID_RANGE = re.compile(
    r"^(?P<base>.*)\s+AND\s+(?P<lo>[0-9]+):(?P<hi>[0-9]+)\[uid\]\s*$", re.DOTALL | re.IGNORECASE
)
# "<base> AND lo:hi[mdat]" (or [pdat], [edat], [dp]): a date range as a term
DATE_RANGE = re.compile(
    r"^(?P<base>.*)\s+AND\s+(?P<lo>[0-9]{4}(?:/[0-9]{1,2}){0,2}):"
    r"(?P<hi>[0-9]{4}(?:/[0-9]{1,2}){0,2})\[(?P<field>mdat|pdat|edat|dp|crdt)\]\s*$",
    re.DOTALL | re.IGNORECASE,
)
UID_LIST = re.compile(r"^\(?\s*[0-9]+\[uid\](?:\s+OR\s+[0-9]+\[uid\])*\s*\)?$", re.I)
DEFAULT_MDATE = "2000/01/01"
MONTHS = {calendar.month_abbr[i].lower(): i for i in range(1, 13)}
Day = tuple[int, int, int]
Searches = Mapping[str, Sequence[str]] | Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; ``params`` merges URL query and form body."""

    method: str
    endpoint: str
    params: dict[str, str]
    url_params: dict[str, str]
    form_params: dict[str, str]
    time: float


@dataclass(frozen=True)
class Fault:
    """How to misbehave for one request; build with the class methods."""

    kind: str = "respond"  # respond | cut | truncate
    status: int = 200
    body: bytes | None = None  # None: the normal answer
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    keep: float = 0.5  # truncate: fraction of the normal body sent
    declare_full_length: bool = False  # truncate: Content-Length of the whole body
    endpoint: str | None = None  # only for this endpoint ("efetch.fcgi"...)
    gate: threading.Event | None = None  # hold the answer until the test sets it (60 s at most)

    @classmethod
    def http(
        cls, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None, **kw: Any
    ) -> Fault:
        """Answer with this status, body and headers."""
        return cls(status=status, body=body, headers=dict(headers or {}), **kw)

    @classmethod
    def error_200(cls, message: str, root: str = "eSearchResult", **kw: Any) -> Fault:
        """A 200 whose body is NCBI's in-band ``<ERROR>``."""
        body = f"<{root}>\n\t<ERROR>{escape(message)}</ERROR>\n</{root}>\n".encode()
        header = ESEARCH_HEADER if root == "eSearchResult" else XML_DECLARATION
        return cls(body=header + body, **kw)

    @classmethod
    def cut(cls, **kw: Any) -> Fault:
        """Close the connection without answering."""
        return cls(kind="cut", **kw)

    @classmethod
    def truncate(cls, keep: float = 0.5, *, declare_full_length: bool = False, **kw: Any) -> Fault:
        """Send only the first ``keep`` fraction of the normal answer, then close."""
        return cls(kind="truncate", keep=keep, declare_full_length=declare_full_length, **kw)

    @classmethod
    def held(cls, gate: threading.Event, **kw: Any) -> Fault:
        """Hold the normal answer until ``gate`` is set: the client waits as long as the test."""
        return cls(gate=gate, **kw)

    @classmethod
    def slow(cls, seconds: float, **kw: Any) -> Fault:
        """Wait before sending the normal answer (for read timeouts)."""
        return cls(delay=seconds, **kw)


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=UTF-8"


class EutilsServer:
    """Speaks enough E-utilities for the client; see the module docstring.

    ``searches`` maps a term to its ids (PubMed order); a term ending in ``AND lo:hi[uid]``
    gets its base term's ids within ``lo..hi`` (``AND lo:hi[mdat]``: those modified then).
    ``count_override`` claims another Count for
    an exact term. ``unlisted`` ids are counted but never listed (a backend losing records).
    """

    def __init__(
        self,
        records: Mapping[str, bytes],
        searches: Searches,
        *,
        count_override: Mapping[str, int] | None = None,
        unlisted: Collection[str] = (),
        mdates: Mapping[str, str] | None = None,
        date_params: Collection[str] = ("mdat",),
    ) -> None:
        self.records = dict(records)
        self.mdates: dict[str, str] = {p: _record_mdate(x) for p, x in self.records.items()}
        self.mdates.update(mdates or {})
        self._dates: dict[str, dict[str, Day | None]] = {}
        self.date_params = frozenset(date_params)
        self.searches = searches
        self.count_override = dict(count_override or {})
        self.unlisted = frozenset(unlisted)
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self._history: dict[str, dict[str, list[str]]] = {}
        self._lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL ending with ``/``, like ``https://eutils.ncbi.nlm.nih.gov/entrez/eutils/``."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/entrez/eutils/"

    def start(self) -> EutilsServer:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.eutils = self
        httpd = self._httpd
        self._thread = threading.Thread(target=lambda: httpd.serve_forever(0.01), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EutilsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def revise(self, pmid: str, record: bytes, mdate: str | None = None) -> None:
        """Replace ``pmid``'s record and move its modification date (default: today, UTC)."""
        self.add_record(pmid, record, mdate)

    def add_record(self, pmid: str, record: bytes, mdate: str | None = None) -> None:
        """Add (or replace) a record, modified on ``mdate`` (``YYYY/MM/DD``; default today)."""
        with self._lock:
            self.records[pmid] = record
            self.mdates[pmid] = mdate or datetime.now(UTC).strftime("%Y/%m/%d")
            self._dates.pop(pmid, None)

    def push(self, *faults: Fault) -> None:
        """Queue faults for the next requests (in order)."""
        with self._lock:
            self.faults.extend(faults)

    def requests_to(self, endpoint: str) -> list[LoggedRequest]:
        """Logged requests for ``esearch.fcgi`` or ``efetch.fcgi``."""
        return [r for r in self.requests if r.endpoint == endpoint]

    # -- called by the handler ----------------------------------------------------

    def log_and_take_fault(self, request: LoggedRequest) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            for index, fault in enumerate(self.faults):
                if fault.endpoint in (None, request.endpoint):
                    return self.faults.pop(index)
        return None

    def answer(self, endpoint: str, params: Mapping[str, str]) -> Answer:
        if endpoint == "esearch.fcgi":
            return self._esearch(params)
        if endpoint == "efetch.fcgi":
            return self._efetch(params)
        return Answer(404, b"<html><body>404 Not Found</body></html>", "text/html")

    def search_ids(self, term: str) -> list[str] | None:
        """The ids of a term in PubMed order; None when the term is unknown.

        A term mapped exactly wins over reading it as a date or PMID range of another.
        """
        if not callable(self.searches) and term in self.searches:
            return list(self.searches[term])
        dated = DATE_RANGE.match(term)
        if dated is not None:
            ids = self.search_ids(_unwrap(dated["base"].strip()))
            kind = {"dp": "pdat", "crdt": "edat"}.get(dated["field"].lower(), dated["field"])
            return None if ids is None else self.in_dates(ids, kind, dated["lo"], dated["hi"])
        if UID_LIST.match(term.strip()):
            listed = re.findall(r"([0-9]+)\[uid\]", term, re.I)
            return [i for i in dict.fromkeys(listed) if i in self.records]
        ranged = UID_RANGE.match(term)
        if ranged is not None:
            base = ranged["base"].strip()
            lo, hi = int(ranged["lo"]), int(ranged["hi"])
            ids = self.search_ids(base[1:-1]) if base[:1] + base[-1:] == "()" else None
            ids = ids if ids is not None else self.search_ids(base)
            return None if ids is None else [i for i in ids if i.isdigit() and lo <= int(i) <= hi]
        try:
            if callable(self.searches):
                return list(self.searches(term))
            return list(self.searches[term])
        except KeyError:
            return self._ored(term)

    def _ored(self, term: str) -> list[str] | None:
        """``(a) OR (b) ...`` of known terms: the union, in order; None if any is unknown."""
        bare = _unwrap(term.strip())
        parts = _top_level_or(bare)
        if len(parts) < 2:
            return self.search_ids(bare) if bare != term.strip() else None
        found: dict[str, None] = {}
        for part in parts:
            ids = self.search_ids(_unwrap(part))
            if ids is None:
                return None
            found.update(dict.fromkeys(ids))
        return list(found)

    def in_dates(self, ids: Sequence[str], kind: str, lo: str, hi: str) -> list[str]:
        """The ids whose ``kind`` date (mdat, pdat, edat) is within ``lo..hi`` (days)."""
        start, end = _day(lo, end=False), _day(hi, end=True)
        kept = []
        for pmid in ids:
            day = self._date(pmid, kind)
            if (day is None and kind != "mdat") or (day is not None and start <= day <= end):
                kept.append(pmid)
        return kept

    def _date(self, pmid: str, kind: str) -> Day | None:
        if kind == "mdat":
            mdate = self.mdates.get(pmid)
            return _day(mdate, end=False) if mdate else None
        with self._lock:
            if pmid not in self._dates:
                self._dates[pmid] = _record_dates(self.records.get(pmid, b""))
            return self._dates[pmid].get(kind)

    def _esearch(self, params: Mapping[str, str]) -> Answer:
        if params.get("db", "pubmed") != "pubmed":
            return _esearch_error(f"Invalid db name specified: {params['db']}")
        term = params.get("term", "").strip()
        webenv, query_key = params.get("WebEnv"), params.get("query_key")
        if not term and not query_key:
            return _esearch_error("Empty term and query_key - nothing todo")
        retstart = _int(params.get("retstart"), 0)
        retmax = min(_int(params.get("retmax"), 20), 10_000)
        if retstart > SEARCH_CAP - 1:
            return _esearch_error(RETSTART_LIMIT_ERROR)
        ids, known = self._resolve(term, webenv, query_key)
        if ids is None:
            return _esearch_error(f"Unable to obtain query #{query_key}")
        datetype, lo, hi = params.get("datetype"), params.get("mindate"), params.get("maxdate")
        kind = (datetype or "pdat").lower()
        if lo and hi and kind in self.date_params:
            ids = self.in_dates(ids, kind, lo, hi)
        count = self.count_override.get(term, len(ids))
        history = ""
        if params.get("usehistory") == "y":
            webenv, query_key = self._store(webenv, ids)
            history = f"<QueryKey>{query_key}</QueryKey><WebEnv>{webenv}</WebEnv>"
        listed = [i for i in ids if i not in self.unlisted] if self.unlisted else ids
        page = listed[:SEARCH_CAP][retstart : retstart + retmax]
        body = _esearch_xml(count, retstart, page, history, term or f"#{query_key}", known)
        return Answer(200, body)

    def _resolve(
        self, term: str, webenv: str | None, query_key: str | None
    ) -> tuple[list[str] | None, bool]:
        """(ids, term known): the term's ids, the stored set's, or their intersection."""
        stored: list[str] | None = None
        if query_key:
            with self._lock:
                stored = self._history.get(webenv or "", {}).get(query_key)
            if stored is None:
                return None, True
        if not term:
            return stored, True
        ids = self.search_ids(term)
        found = ids if ids is not None else []
        if stored is not None:
            keep = set(stored)
            found = [i for i in found if i in keep]
        return found, ids is not None

    def _store(self, webenv: str | None, ids: list[str]) -> tuple[str, str]:
        with self._lock:
            if not webenv or webenv not in self._history:
                webenv = "MCID_" + secrets.token_hex(12)
                self._history[webenv] = {}
            sets = self._history[webenv]
            query_key = str(len(sets) + 1)
            sets[query_key] = list(ids)
        return webenv, query_key

    def _efetch(self, params: Mapping[str, str]) -> Answer:
        if params.get("query_key"):
            with self._lock:
                stored = self._history.get(params.get("WebEnv", ""), {}).get(params["query_key"])
            if stored is None:
                return _efetch_error(200, f"Unable to obtain query #{params['query_key']}")
            start = _int(params.get("retstart"), 0)
            ids = stored[start : start + _int(params.get("retmax"), 20)]
        else:
            ids = [i.strip() for i in params.get("id", "").replace("\n", ",").split(",")]
            ids = [i for i in ids if i]
            if not ids:
                return _efetch_error(400, "Empty id list - nothing todo")
        wanted = [i for i in dict.fromkeys(ids) if i in self.records]
        return Answer(
            200, EFETCH_HEADER + b"".join(self.records[i] + b"\n" for i in wanted) + EFETCH_FOOTER
        )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    eutils: EutilsServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (timeouts, cut tests) are not errors here."""


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length))

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the server keeps its own log."""

    def _handle(self, body: bytes) -> None:
        split = urlsplit(self.path)
        url_params = dict(parse_qsl(split.query, keep_blank_values=True))
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        endpoint = split.path.rsplit("/", 1)[-1]
        logged = LoggedRequest(
            self.command, endpoint, {**url_params, **form}, url_params, form, time.monotonic()
        )
        eutils = self.server.eutils
        fault = eutils.log_and_take_fault(logged)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.gate is not None:
            fault.gate.wait(60)
        if fault is not None and fault.kind == "cut":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "respond" and fault.body is not None:
            answer = Answer(fault.status, fault.body, _sniff_type(fault.body))
        else:
            answer = eutils.answer(endpoint, logged.params)
        headers = dict(fault.headers) if fault is not None else {}
        if fault is not None and fault.kind == "truncate":
            self._send_truncated(answer, fault)
            return
        self._send(answer.status, answer.body, {"Content-Type": answer.content_type, **headers})

    def _send(self, status: int, body: bytes, headers: Mapping[str, str], length: int = -1) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length < 0 else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_truncated(self, answer: Answer, fault: Fault) -> None:
        kept = answer.body[: int(len(answer.body) * fault.keep)]
        length = len(answer.body) if fault.declare_full_length else len(kept)
        self._send(answer.status, kept, {"Content-Type": answer.content_type}, length)
        self.close_connection = True


def _unwrap(term: str) -> str:
    """``term`` without parentheses around the whole of it."""
    while term.startswith("(") and term.endswith(")") and _closes_at_end(term):
        term = term[1:-1].strip()
    return term


def _closes_at_end(term: str) -> bool:
    depth = 0
    for index, char in enumerate(term):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(term) - 1:
            return False
    return True


def _top_level_or(term: str) -> list[str]:
    """``term`` split on ``OR`` outside parentheses and quotes."""
    parts, depth, start, quoted = [], 0, 0, False
    index = 0
    while index < len(term):
        char = term[index]
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and term[index : index + 4] == " OR ":
            parts.append(term[start:index].strip())
            start = index + 4
            index += 3
        index += 1
    parts.append(term[start:].strip())
    return parts


def _day(value: str, *, end: bool) -> Day:
    """``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` as a day: the first (or last) day it covers."""
    parts = [int(p) for p in value.split("/")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else (12 if end else 1)
    day = parts[2] if len(parts) > 2 else (31 if end else 1)
    return (year, month, day)


def _record_mdate(record: bytes) -> str:
    """A record's modification date: its ``DateRevised``, else ``DEFAULT_MDATE``."""
    dates = _record_dates(record)
    revised = dates.get("mdat")
    return "/".join(f"{n:02d}" for n in revised) if revised else DEFAULT_MDATE


def _record_dates(record: bytes) -> dict[str, Day | None]:
    """mdat (DateRevised), pdat (PubDate) and edat (entrez/pubmed history date) of a record."""
    try:
        root = etree.fromstring(record, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    history = "PubmedData/History/PubMedPubDate[@PubStatus='{}']"
    edat = root.find(history.format("entrez"))
    if edat is None:
        edat = root.find(history.format("pubmed"))
    pdat = root.find(".//JournalIssue/PubDate")
    if pdat is None:
        pdat = root.find(".//Book/PubDate")
    return {
        "mdat": _element_day(root.find("MedlineCitation/DateRevised")),
        "pdat": _element_day(pdat),
        "edat": _element_day(edat),
    }


def _element_day(element: etree._Element | None) -> Day | None:
    if element is None:
        return None
    year = (
        element.findtext("Year")
        or (re.match(r"\s*([0-9]{4})", element.findtext("MedlineDate") or "") or [None, None])[1]
    )
    if not year:
        return None
    month_text = (element.findtext("Month") or "1").strip()
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text[:3].lower(), 1)
    day_text = (element.findtext("Day") or "1").strip()
    return (int(year), month, int(day_text) if day_text.isdigit() else 1)


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _sniff_type(body: bytes) -> str:
    head = body.lstrip()[:100].lower()
    if head.startswith((b"{", b"[")):
        return "application/json"
    if b"html" in head:
        return "text/html; charset=UTF-8"
    return "text/xml; charset=UTF-8"


def _esearch_error(message: str) -> Answer:
    body = f"<eSearchResult>\n\t<ERROR>{escape(message)}</ERROR>\n</eSearchResult>\n"
    return Answer(200, ESEARCH_HEADER + body.encode())


def _efetch_error(status: int, message: str) -> Answer:
    body = f"<eFetchResult>\n\t<ERROR>{escape(message)}</ERROR>\n</eFetchResult>\n"
    return Answer(status, XML_DECLARATION + body.encode())


def _esearch_xml(
    count: int, retstart: int, ids: Sequence[str], history: str, term: str, known: bool
) -> bytes:
    """NCBI's esearch shape: Count, RetMax, RetStart, [QueryKey, WebEnv], IdList, ..."""
    id_list = (
        "<IdList>\n" + "".join(f"<Id>{i}</Id>\n" for i in ids) + "</IdList>" if ids else "<IdList/>"
    )
    tail = ""
    if count == 0:
        if not known:
            tail += f"<ErrorList><PhraseNotFound>{escape(term)}</PhraseNotFound></ErrorList>"
        tail += "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
    body = (
        f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax>"
        f"<RetStart>{retstart}</RetStart>{history}{id_list}<TranslationSet/>"
        f"<QueryTranslation>{escape(term)}</QueryTranslation>{tail}</eSearchResult>\n"
    )
    return ESEARCH_HEADER + body.encode()


def load_records(xml: bytes) -> dict[str, bytes]:
    """Split a PubmedArticleSet (gzip or plain) into PMID -> serialized record (first wins)."""
    if xml[:2] == b"\x1f\x8b":
        xml = gzip.decompress(xml)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(xml, parser)
    records: dict[str, bytes] = {}
    for element in root.iterchildren("PubmedArticle", "PubmedBookArticle"):
        pmid = element.findtext("MedlineCitation/PMID") or element.findtext("BookDocument/PMID")
        if pmid and pmid.strip() not in records:
            records[pmid.strip()] = etree.tostring(element, encoding="utf-8", with_tail=False)
    return records


def synthetic_records(pmids: Iterable[str]) -> dict[str, bytes]:
    """PMID -> :func:`synthetic_record` for many ids (25,000 take ~0.1 s and ~10 MB)."""
    return {pmid: synthetic_record(pmid) for pmid in pmids}


def synthetic_record(pmid: str, title: str | None = None) -> bytes:
    """A minimal, well-formed PubmedArticle for tests that only need many ids."""
    title = escape(title or f"Synthetic article {pmid}.")
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal><Title>Test'
        f"</Title></Journal><ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation>"
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f"</ArticleIdList></PubmedData></PubmedArticle>"
    ).encode()
