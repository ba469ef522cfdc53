"""Judge E-utilities answer bodies: usable, worth a retry, or a permanent failure. Pure."""

from __future__ import annotations

import re

from evidence.domain.errors import ParseError
from evidence.domain.records import Article, DeletedCitation
from evidence.sources.eutils.esearch import EsearchPage, parse_esearch
from evidence.sources.pubmed_xml.parser import parse

# <ERROR> texts that retrying cannot fix. Checked before anything else, so that
# "Search Backend failed: ... 'retstart' cannot be larger than 9998" is permanent.
_PERMANENT_ERRORS = re.compile(
    r"empty id list|nothing to ?do|nothing to store|invalid db name|invalid query"
    r"|query syntax|syntax error|unable to parse|cannot be larger than|invalid uid"
    r"|neither query_key nor id|unable to obtain query|cannot retrieve query"
    r"|failed to understand id|some ids have invalid value",
    re.IGNORECASE,
)
_CAUSE_LENGTH = 160
# libxml2's own limits: what a server sends that trips them is an attack, not a glitch.
_HOSTILE_ERRORS = re.compile(r"amplification|excessive depth|huge input", re.IGNORECASE)
# libxml2 refuses these without huge_tree; retrying cannot change the answer
_TOO_BIG_ERRORS = re.compile(r"text node too long|huge text node|xmlSAX2Characters", re.I)
_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class BadBody(Exception):
    """A body that is not the answer asked for; ``transient`` says if a retry may help."""

    def __init__(self, cause: str, *, transient: bool) -> None:
        super().__init__(cause)
        self.cause = cause
        self.transient = transient


def one_line(text: str, limit: int = _CAUSE_LENGTH) -> str:
    """Collapse whitespace and shorten, for causes and messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_permanent_error(message: str) -> bool:
    """True for an in-band ``<ERROR>`` that no retry can fix (bad input)."""
    return bool(_PERMANENT_ERRORS.search(message))


def error_in_200(message: str) -> BadBody:
    """The failure for an ``<ERROR>`` element inside a 200 answer."""
    return BadBody(f"ERROR in 200: {one_line(message)}", transient=not is_permanent_error(message))


def check_not_hostile(body: bytes) -> None:
    """Refuse a document whose prolog declares entities: NCBI never sends one (permanent)."""
    root_start = re.search(rb"<(?![?!])", body)
    prolog = body[: root_start.start()] if root_start else body
    if _ENTITY_DECLARATION.search(prolog):
        raise BadBody("hostile XML: the document declares entities", transient=False)


def check_not_error_page(body: bytes) -> None:
    """Reject empty bodies and HTML/JSON pages where XML was expected (all transient)."""
    head = body.lstrip()[:200].lower()
    if not head:
        raise BadBody("empty body", transient=True)
    if b"<!doctype html" in head or b"<html" in head:
        raise BadBody("HTML body", transient=True)
    if head.startswith((b"{", b"[")):
        text = one_line(body[:200].decode("utf-8", "replace"))
        raise BadBody(f"JSON body: {text}", transient=True)


def read_esearch(body: bytes) -> EsearchPage:
    """An esearch page, or :class:`BadBody` (``<ERROR>``, cut or foreign body)."""
    check_not_error_page(body)
    check_not_hostile(body)
    try:
        page = parse_esearch(body)
    except ParseError as exc:
        raise _unparsable(body, exc, "esearch") from None
    if page.error:
        raise error_in_200(page.error)
    return page


def read_efetch(body: bytes) -> tuple[Article | DeletedCitation, ...]:
    """The records of a complete ``PubmedArticleSet`` (possibly empty), parsed once: the
    streaming parser that builds the records also proves the document whole. Else
    :class:`BadBody` (``<ERROR>``, cut, foreign or hostile body)."""
    check_not_error_page(body)
    check_not_hostile(body)
    head = body[:4000]
    if b"<PubmedArticleSet" not in head:
        errors = [one_line(m.decode("utf-8", "replace")) for m in _ERROR.findall(body[:20_000])]
        if errors:
            raise error_in_200("; ".join(errors))
        if not body.strip():
            raise BadBody("empty efetch answer", transient=True)
    try:
        return tuple(parse(body))
    except ParseError as exc:
        raise _unparsable(body, exc, "efetch") from None


def _unparsable(body: bytes, exc: ParseError, endpoint: str) -> BadBody:
    """Classify XML that did not parse: hostile (permanent), truncated or garbled (transient)."""
    reason = one_line(str(exc), 100)
    if _HOSTILE_ERRORS.search(reason):
        return BadBody(f"hostile XML: {reason}", transient=False)
    if _TOO_BIG_ERRORS.search(reason):
        return BadBody(f"an element too large to parse: {reason}", transient=False)
    opened = endpoint == "efetch" and b"<PubmedArticleSet" in body[:2000]
    if opened and not body.rstrip().endswith(b"</PubmedArticleSet>"):
        return BadBody("truncated body", transient=True)
    return BadBody(f"bad {endpoint} XML: {reason}", transient=True)
