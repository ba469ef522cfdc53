"""Parse one ESearch XML answer (``eSearchResult``) into an :class:`EsearchPage`. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from evidence.domain.errors import ParseError


@dataclass(frozen=True)
class EsearchPage:
    """One page of an esearch answer, as NCBI sent it.

    ``error`` holds the text of ``<ERROR>`` elements: the request failed. ``errors``
    (``ErrorList``, e.g. ``PhraseNotFound``) and ``warnings`` (``WarningList``) do not
    make a search fail.
    """

    count: int
    retmax: int
    retstart: int
    ids: tuple[str, ...]
    query_key: str | None = None
    webenv: str | None = None
    query_translation: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None


def safe_xml(body: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD loading, no entity expansion, no network."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML: {exc}") from None


def parse_esearch(body: bytes) -> EsearchPage:
    """Read an ``eSearchResult`` document; raise :class:`ParseError` if it is not one."""
    root = safe_xml(body)
    if root.tag != "eSearchResult":
        raise ParseError(f"expected eSearchResult, got <{root.tag}>")
    return EsearchPage(
        count=_int(root, "Count"),
        retmax=_int(root, "RetMax"),
        retstart=_int(root, "RetStart"),
        ids=tuple(text for text in (element_text(e) for e in root.iterfind("IdList/Id")) if text),
        query_key=_child_text(root, "QueryKey"),
        webenv=_child_text(root, "WebEnv"),
        query_translation=_child_text(root, "QueryTranslation"),
        errors=_messages(root, "ErrorList"),
        warnings=_messages(root, "WarningList"),
        error="; ".join(element_text(e) for e in root.iterfind("ERROR")) or None,
    )


def element_text(element: etree._Element) -> str:
    """All text of an element, whitespace collapsed to single spaces."""
    parts = (t if isinstance(t, str) else t.decode() for t in element.itertext())
    return " ".join("".join(parts).split())


def _child_text(root: etree._Element, tag: str) -> str | None:
    child = root.find(tag)
    return (element_text(child) or None) if child is not None else None


def _int(root: etree._Element, tag: str) -> int:
    text = _child_text(root, tag)
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ParseError(f"esearch <{tag}> is not a number: {text[:40]!r}") from None


def _messages(root: etree._Element, list_tag: str) -> tuple[str, ...]:
    """``ErrorList``/``WarningList`` children as ``"Tag: text"``."""
    return tuple(
        f"{child.tag}: {element_text(child)}"
        for child in root.iterfind(f"{list_tag}/*")
        if isinstance(child.tag, str)
    )
