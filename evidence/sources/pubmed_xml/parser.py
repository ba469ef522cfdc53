"""Parse PubMed efetch XML (``PubmedArticleSet``) into typed records.

Public API:

- ``parse(source)`` yields, in document order, an :class:`Article` for every
  ``PubmedArticle`` / ``PubmedBookArticle`` and a :class:`DeletedCitation` for every
  PMID under ``DeleteCitation``.
- ``parse_articles(source)`` is ``parse`` as a list, without the deleted citations
  (callers that care about deletions use ``parse`` and log them).

``source`` is the efetch body as ``bytes`` or a binary stream. Parsing is pure: nothing
but ``source`` is read, no network, no database. It streams with ``lxml.etree.iterparse``
and clears each record once built, so memory stays flat on large files.

Safety: entities are never resolved, no DTD is loaded, network access is off and
lxml's default depth/size limits stay on. A document whose DOCTYPE declares entities
(billion laughs, ``SYSTEM "file:///etc/passwd"``, remote parameter entities) is refused
with :class:`~evidence.domain.errors.ParseError`; so are malformed or truncated XML, excessive
nesting and documents that are not a ``PubmedArticleSet``. Records before the fault may
already have been yielded: treat a ``ParseError`` as a failed batch.

Field choices: the DOI is the record's own ``PubmedData/ArticleIdList`` doi (never an
``ArticleId`` of a cited reference), else a valid ``ELocationID``; values that are not
``10.<prefix>/<suffix>`` are skipped. Book chapters get the book title as ``journal``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO, Protocol, cast

from lxml import etree

from evidence.domain.errors import ParseError
from evidence.domain.records import Article, DeletedCitation
from evidence.sources.pubmed_xml.fields import (
    abstract_sections,
    abstract_text,
    article_id,
    authors,
    comments_corrections,
    doi,
    mesh_headings,
    pages,
    publication_types,
    with_legacy_affiliation,
)
from evidence.sources.pubmed_xml.xmltext import (
    Kids,
    first,
    first_year,
    flat_text,
    kids,
    normalise_space,
    printed_date,
    text,
    texts,
)

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_EVENT_TAGS = ("PubmedArticleSet", *_RECORD_TAGS)
_MAX_MESSAGE = 200


class _RecordEvents(Protocol):
    """What we use of ``lxml.etree.iterparse`` (untyped in lxml-stubs)."""

    root: etree._Element | None

    def __iter__(self) -> Iterator[tuple[str, etree._Element]]: ...


class _DeclaresEntities(Protocol):
    """``lxml.etree.DTD.entities()``, missing from lxml-stubs."""

    def entities(self) -> list[object]: ...


def parse(source: bytes | BinaryIO) -> Iterator[Article | DeletedCitation]:
    """Yield the records of an efetch ``PubmedArticleSet``; see the module docstring."""
    events = _iterparse(_as_stream(source))
    checked = False
    try:
        for event, element in events:
            if not checked:  # a first "start": the prolog is parsed, the content not yet
                _check_document(element.getroottree())
                checked = True
            if event == "end" and element.tag in _RECORD_TAGS:
                yield from _records(element)
                _release(element)
        if events.root is not None:
            _check_document(events.root.getroottree())
    except etree.XMLSyntaxError as error:
        raise ParseError(_syntax_message(error)) from error


def parse_articles(source: bytes | BinaryIO) -> list[Article]:
    """All articles of ``source`` as a list, deleted citations dropped."""
    return [record for record in parse(source) if isinstance(record, Article)]


def parse_stored(raw_record: bytes) -> list[Article]:
    """The article of one stored record's raw XML (a bare ``PubmedArticle`` element)."""
    return parse_articles(b"<PubmedArticleSet>" + raw_record + b"</PubmedArticleSet>")


def _as_stream(source: bytes | BinaryIO) -> BinaryIO:
    """A binary stream over ``source``; a str is refused (lxml would open it as a path/URL)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    if not hasattr(source, "read"):
        raise TypeError(f"parse() takes bytes or a binary stream, not {type(source).__name__}")
    return source


def _iterparse(stream: BinaryIO) -> _RecordEvents:
    """``iterparse`` over the set and record elements with every risky feature off."""
    events: _RecordEvents = etree.iterparse(
        stream,
        events=("start", "end"),
        tag=_EVENT_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    return events


def _check_document(tree: etree._ElementTree) -> None:
    """Refuse entity declarations and documents that are not efetch PubMed XML."""
    dtd = tree.docinfo.internalDTD
    if dtd is not None and cast(_DeclaresEntities, dtd).entities():
        raise ParseError("XML declares entities; refusing to parse it (not PubMed efetch output)")
    root_tag = tree.getroot().tag
    if root_tag not in _EVENT_TAGS:
        raise ParseError(f"not PubMed efetch XML: root element is <{root_tag[:50]}>")


def _release(record: etree._Element) -> None:
    """Free a handled record and everything before it, keeping memory flat."""
    record.clear()
    parent = record.getparent()
    if parent is not None:
        while record.getprevious() is not None:
            del parent[0]


def _syntax_message(error: etree.XMLSyntaxError) -> str:
    """One short line from lxml's error."""
    lines = (error.msg or str(error) or "unknown error").splitlines() or ["unknown error"]
    return f"malformed PubMed XML: {normalise_space(lines[0])[:_MAX_MESSAGE]}"


def _records(element: etree._Element) -> Iterator[Article | DeletedCitation]:
    """The record(s) one matched element stands for."""
    if element.tag == "DeleteCitation":
        for pmid in texts(kids((element,)), "PMID"):
            yield DeletedCitation(pmid=pmid)
    elif element.tag == "PubmedBookArticle":
        yield _book_article(element)
    else:
        yield _journal_article(element)


def _journal_article(record: etree._Element) -> Article:
    """Build an :class:`Article` from a ``PubmedArticle``."""
    top = kids((record,))
    citation_element = _child(top, "MedlineCitation")
    citation = kids((citation_element,))
    article = kids((_child(citation, "Article"),))
    pmid, version = _pmid(citation, record.tag)
    journal = kids(article.get("Journal", ()))
    issue = kids(journal.get("JournalIssue", ()))
    pub_date = issue.get("PubDate")
    dates = kids(pub_date) if pub_date else {}
    info = kids(citation.get("MedlineJournalInfo", ()))
    sections = abstract_sections(article)
    ids = kids(kids(top.get("PubmedData", ())).get("ArticleIdList", ())).get("ArticleId", ())
    return Article(
        pmid=pmid,
        pmid_version=version,
        title=_title(article),
        record_type="PubmedArticle",
        abstract=abstract_text(sections),
        abstract_sections=sections,
        journal=text(journal, "Title"),
        journal_abbrev=text(journal, "ISOAbbreviation") or text(info, "MedlineTA"),
        issn=text(journal, "ISSN") or text(info, "ISSNLinking"),
        volume=text(issue, "Volume"),
        issue=text(issue, "Issue"),
        pages=pages(article),
        year=first_year(
            [
                text(dates, "Year"),
                text(dates, "MedlineDate"),
                text(kids(article.get("ArticleDate", ())), "Year"),
            ]
        ),
        pub_date=printed_date(kids(pub_date[:1]) if pub_date else None),
        authors=with_legacy_affiliation(authors(article.get("AuthorList", ())), article),
        doi=doi(ids, article.get("ELocationID", ())),
        pmc=article_id(ids, "pmc"),
        languages=texts(article, "Language"),
        publication_types=publication_types(
            kids(article.get("PublicationTypeList", ())).get("PublicationType", ())
        ),
        mesh_headings=mesh_headings(citation),
        keywords=texts(kids(citation.get("KeywordList", ())), "Keyword"),
        comments_corrections=comments_corrections(citation),
        medline_status=citation_element.get("Status"),
        raw_xml=etree.tostring(record, with_tail=False),
    )


def _book_article(record: etree._Element) -> Article:
    """Build an :class:`Article` from a ``PubmedBookArticle`` (a book or a chapter)."""
    top = kids((record,))
    document = kids((_child(top, "BookDocument"),))
    book = kids((_child(document, "Book"),))
    pmid, version = _pmid(document, record.tag)
    sections = abstract_sections(document)
    id_lists = [
        *kids(top.get("PubmedBookData", ())).get("ArticleIdList", ()),
        *document.get("ArticleIdList", ()),
    ]
    ids = kids(id_lists).get("ArticleId", ())
    pub_date = first(book, "PubDate")
    dates = kids(() if pub_date is None else (pub_date,))
    chapter_authors = authors(document.get("AuthorList", ()))
    return Article(
        pmid=pmid,
        pmid_version=version,
        title=_title(document) or text(book, "BookTitle") or "",
        record_type="PubmedBookArticle",
        abstract=abstract_text(sections),
        abstract_sections=sections,
        journal=text(book, "BookTitle"),
        volume=text(book, "Volume"),
        pages=pages(document),
        year=first_year([text(dates, "Year"), text(dates, "MedlineDate")]),
        pub_date=None if pub_date is None else printed_date(dates),
        authors=chapter_authors or authors(book.get("AuthorList", ())),
        doi=doi(ids, book.get("ELocationID", ())),
        pmc=article_id(ids, "pmc"),
        languages=texts(document, "Language"),
        publication_types=publication_types(document.get("PublicationType", ())),
        keywords=texts(kids(document.get("KeywordList", ())), "Keyword"),
        raw_xml=etree.tostring(record, with_tail=False),
    )


def _child(parent: Kids, tag: str) -> etree._Element:
    """The first child ``tag``, or an empty stand-in so lookups below simply find nothing."""
    found = first(parent, tag)
    return found if found is not None else etree.Element(tag)


def _pmid(parent: Kids, record_tag: str) -> tuple[str, int]:
    """The PMID and its version (1 unless stated)."""
    element = first(parent, "PMID")
    pmid = flat_text(element)
    if element is None or not pmid:
        raise ParseError(f"malformed PubMed XML: a <{record_tag}> has no PMID")
    version = element.get("Version", "1")
    return pmid, int(version) if version.isdigit() else 1


def _title(container: Kids) -> str:
    """ArticleTitle, else VernacularTitle (some non-English records leave the former empty)."""
    return text(container, "ArticleTitle") or text(container, "VernacularTitle") or ""
