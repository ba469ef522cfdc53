"""NLM baseline/update files, record by record, and what the mirror's index keeps of each.

A file is read as a stream (gzip or plain), cut into records at their element boundaries by a
byte scan (``<PubmedArticle>``, ``<PubmedBookArticle>``, ``<DeleteCitation>``: these never nest),
so each record's own bytes are kept as they are for :meth:`MirrorSource.fetch`, where the shared
parser (:mod:`evidence.sources.pubmed_xml.parser`) reads them with every safety on. The index
fields are taken from the record head (before ``<ReferenceList>``) with anchored patterns: the
import runs at tens of MB/s, flat in memory whatever the file size.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Protocol

import lz4.block

from evidence.domain.errors import MirrorLoadError
from evidence.domain.mirror import (
    LANGUAGES,
    DeletedRecord,
    Prepared,
    PreparedRecord,
    date_number,
    printed_date_number,
    record_key,
    values,
    words,
)

BLOCK = 1 << 20


class _Channel(Protocol):
    def put(self, item: object) -> None: ...


_OPEN = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)(?=[\s>/])")
_ROOT = re.compile(rb"<(PubmedArticleSet|MedlineCitationSet)[\s>]")
_PMID = re.compile(rb"<PMID(?:\s[^>]*)?>\s*(\d+)\s*</PMID>")
_PMID_VERSION = re.compile(rb'<PMID\s[^>]*Version="(\d+)"')
_TAGS = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _entity(match: re.Match[str]) -> str:
    """XML's meaning of an entity reference (not HTML's: ``&#153;`` is U+0099, not a ™)."""
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    except (ValueError, OverflowError):
        return ""


_KEYWORD = re.compile(rb"<Keyword(?:\s[^>]*)?>(.*?)</Keyword>", re.DOTALL)
_PUB_TYPE = re.compile(rb"<PublicationType(?:\s[^>]*)?>([^<]*)</PublicationType>")
_LANGUAGE = re.compile(rb"<Language>([^<]*)</Language>")
_JOURNAL = re.compile(rb"<(Title|ISOAbbreviation|ISSN|ISSNLinking|MedlineTA)(?:\s[^>]*)?>([^<]*)</")
_MESH = re.compile(rb"<(DescriptorName|QualifierName)(\s[^>]*)?>([^<]*)</")
_AUTHOR = re.compile(
    rb"<Author(?:\s[^>]*)?>\s*(?:<LastName>([^<]*)</LastName>\s*(?:<ForeName>([^<]*)</ForeName>\s*)?"
    rb"(?:<Initials>([^<]*)</Initials>)?|<CollectiveName>(.*?)</CollectiveName>)",
    re.DOTALL,
)
_PART = re.compile(rb"<(Year|Month|Day|MedlineDate)>([^<]*)</")
_MAJOR = b'MajorTopicYN="Y"'


def open_stream(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it is gzip (by its magic bytes, not its name)."""
    raw = path.open("rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


def scan(stream: BinaryIO, block: int = BLOCK) -> Iterator[bytes]:
    """Each record element's bytes, in file order, reading ``block`` bytes at a time."""
    buffer = b""
    checked = False
    while True:
        chunk = stream.read(block)
        buffer += chunk
        if not checked:  # the first block (1 MB, or the whole file) holds the root element
            _check_root(buffer)
            checked = True
        pos = 0
        while True:
            match = _OPEN.search(buffer, pos)
            if match is None:
                pos = max(pos, len(buffer) - 32)  # keep a possibly cut opening tag
                break
            tag = match.group(1)
            if buffer[match.end() : match.end() + 16].lstrip().startswith(b"/>"):
                pos = match.end()
                continue
            close = b"</" + tag + b">"
            end = buffer.find(close, match.end())
            if end < 0:
                pos = match.start()
                break
            end += len(close)
            yield buffer[match.start() : end]
            pos = end
        buffer = buffer[pos:]
        if not chunk:
            if _OPEN.search(buffer):
                raise MirrorLoadError("truncated PubMed XML: the last record is not closed")
            return


def _check_root(head: bytes) -> None:
    if _ROOT.search(head) is None:
        raise MirrorLoadError("not an NLM PubMed XML file: no <PubmedArticleSet> near its start")
    if b"<!ENTITY" in head:
        raise MirrorLoadError("XML declares entities; refusing it (not an NLM PubMed file)")


def compress(raw: bytes) -> bytes:
    """A record's XML as stored."""
    return bytes(lz4.block.compress(raw, store_size=True))


def decompress(stored: bytes) -> bytes:
    """A stored record's XML."""
    return bytes(lz4.block.decompress(stored))


def prepare(raw: bytes) -> list[Prepared]:
    """What the index keeps of one record element (a DeleteCitation may list several PMIDs)."""
    if raw.startswith(b"<DeleteCitation"):
        return [DeletedRecord(int(p)) for p in _PMID.findall(raw)]
    head = raw.split(b"<ReferenceList", 1)[0]
    pmid_match = _PMID.search(head)
    if pmid_match is None:
        raise MirrorLoadError("malformed PubMed XML: a record has no PMID")
    pmid = int(pmid_match.group(1))
    version_match = _PMID_VERSION.search(head, 0, pmid_match.end())
    version = int(version_match.group(1)) if version_match else 1
    book = raw.startswith(b"<PubmedBookArticle")
    fields = _Fields(head, book)
    dates = fields.dates
    return [
        PreparedRecord(
            key=record_key(pmid, version),
            pmid=pmid,
            version=version,
            record_type="PubmedBookArticle" if book else "PubmedArticle",
            dp=dates.get(b"PubDate") or dates.get(b"ArticleDate"),
            edat=dates.get(b"history:entrez"),
            crdt=dates.get(b"history:pubmed") or dates.get(b"history:entrez"),
            mdat=dates.get(b"DateRevised") or dates.get(b"DateCompleted"),
            raw=compress(raw),
            texts=fields.texts(),
        )
    ]


def index_texts(head: bytes, book: bool = False) -> tuple[str, ...]:
    """The text of each index field (:data:`evidence.domain.mirror.FIELDS`)."""
    return _Fields(head, book).texts()


def _block(head: bytes, start_tag: bytes, end_tag: bytes, start: int = 0) -> tuple[int, int]:
    """Where the first ``start_tag ... end_tag`` lies in ``head`` ((-1, -1) if absent)."""
    begin = head.find(start_tag, start)
    if begin < 0:
        return -1, -1
    end = head.find(end_tag, begin)
    return begin, (end + len(end_tag) if end >= 0 else len(head))


def _elements(head: bytes, tag: bytes, begin: int = 0, end: int = -1) -> Iterator[bytes]:
    """The content of every non-empty ``<tag ...>...</tag>`` in ``head[begin:end]``."""
    opening, closing = b"<" + tag, b"</" + tag + b">"
    end = len(head) if end < 0 else end
    start = head.find(opening, begin, end)
    while start >= 0:
        tag_end = head.find(b">", start)
        if tag_end < 0:
            return
        after = head[start + len(opening) : start + len(opening) + 1]
        if after in (b">", b" ", b"\t", b"\n", b"\r") and head[tag_end - 1] != 47:  # not "/>"
            close_end = head.find(closing, tag_end)
            if close_end < 0:
                return
            yield head[tag_end + 1 : close_end]
            start = head.find(opening, close_end + len(closing), end)
        else:
            start = head.find(opening, tag_end, end)


class _Fields:
    """What the index uses of a record head: each element kind looked for in its own block."""

    def __init__(self, head: bytes, book: bool) -> None:
        self.book = book
        self.found: dict[bytes, list[str]] = {}
        article_end = head.find(b"</Article>")
        if article_end < 0:
            article_end = len(head)
        for tag in (b"ArticleTitle", b"VernacularTitle", b"BookTitle"):
            titles = [t for t in map(_clean, _elements(head, tag, 0, article_end)) if t]
            if titles:
                self.found[tag] = titles
        abstracts = [t for t in (_clean(c) for c in _elements(head, b"AbstractText")) if t]
        if abstracts:
            self.found[b"AbstractText"] = abstracts
        self._texts(b"Keyword", _KEYWORD, head, b"<KeywordList", b"</KeywordList>")
        self._texts(  # in a PublicationTypeList, or (books) right under BookDocument
            b"PublicationType",
            _PUB_TYPE,
            head,
            b"<PublicationType",
            b"</PublicationType>",
            repeat=True,
            clean=_clean_value,
        )
        self._texts(
            b"Language", _LANGUAGE, head, b"<Language", b"</Language>", repeat=True,
            clean=_clean_value,
        )  # fmt: skip
        begin, end = _block(head, b"<Journal>", b"</Journal>")
        if begin >= 0:
            self._take(_JOURNAL.findall(head, begin, end))
        begin, end = _block(head, b"<MedlineJournalInfo", b"</MedlineJournalInfo>")
        if begin >= 0:
            self._take(_JOURNAL.findall(head, begin, end))
        self.headings: list[str] = []
        self.major: list[str] = []
        self.qualifiers: list[str] = []
        begin, end = _block(head, b"<MeshHeadingList", b"</MeshHeadingList>")
        if begin >= 0:
            self._mesh(head[begin:end])
        self.authors: list[str] = []
        begin, end = _block(head, b"<AuthorList", b"</AuthorList>")
        while begin >= 0:
            for last, fore, initials, collective in _AUTHOR.findall(head, begin, end):
                name = collective or last + b" " + (initials or fore)
                self.authors.append(_clean(name))
            begin, end = _block(head, b"<AuthorList", b"</AuthorList>", end)
        self.dates: dict[bytes, int | None] = {}
        for tag in (b"PubDate", b"ArticleDate", b"DateRevised", b"DateCompleted"):
            begin, end = _block(head, b"<" + tag, b"</" + tag + b">")
            if begin >= 0:
                self.dates[tag] = _date(head[begin:end])
        for status in (b"entrez", b"pubmed"):
            begin, end = _block(head, b'PubStatus="' + status + b'"', b"</PubMedPubDate>")
            if begin >= 0:
                self.dates[b"history:" + status] = _date(head[begin:end])

    def _take(self, found: list[tuple[bytes, bytes]]) -> None:
        for tag, content in found:
            text = _clean_value(content)
            if text:
                self.found.setdefault(tag, []).append(text)

    def _texts(
        self,
        tag: bytes,
        pattern: re.Pattern[bytes],
        head: bytes,
        start_tag: bytes | None = None,
        end_tag: bytes | None = None,
        *,
        repeat: bool = False,
        clean: Callable[[bytes], str] | None = None,
    ) -> None:
        if start_tag is None or end_tag is None:
            begin, end = 0, len(head)
        else:
            begin, end = _block(head, start_tag, end_tag)
            if begin < 0:
                return
            if repeat:
                end = head.rfind(end_tag) + len(end_tag)
        texts = [t for t in map(clean or _clean, pattern.findall(head, begin, end)) if t]
        if texts:
            self.found.setdefault(tag, []).extend(texts)

    def _mesh(self, block: bytes) -> None:
        heading_major = False
        for tag, attrs, content in _MESH.findall(block):
            name = _clean_value(content)
            if tag == b"DescriptorName":
                self.headings.append(name)
                heading_major = _MAJOR in attrs
                if heading_major:
                    self.major.append(name)
            else:
                self.qualifiers.append(name)
                if _MAJOR in attrs and not heading_major and self.headings:
                    heading_major = True
                    self.major.append(self.headings[-1])

    def get(self, tag: bytes) -> list[str]:
        return self.found.get(tag, [])

    def texts(self) -> tuple[str, ...]:
        title = self.get(b"ArticleTitle") or self.get(b"VernacularTitle")
        if self.book:
            title = title + self.get(b"BookTitle")
        languages = [code.lower() for code in self.get(b"Language")]
        journals = [
            *self.get(b"Title")[:1],
            *(
                text
                for tag in (b"ISOAbbreviation", b"MedlineTA", b"ISSN", b"ISSNLinking")
                for text in self.get(tag)
            ),
        ]
        return (
            words(" ".join(title)),
            words(" ".join(self.get(b"AbstractText"))),
            words(" ".join(self.get(b"Keyword"))),
            values(self.headings),
            values(self.major),
            values(self.qualifiers),
            values(self.get(b"PublicationType")),
            " ".join(
                dict.fromkeys(v for code in languages for v in (code, LANGUAGES.get(code, "")) if v)
            ),
            words(" ; ".join(self.authors)),
            values(journals),
        )


@lru_cache(maxsize=1 << 16)
def _clean_value(raw: bytes) -> str:
    """:func:`_clean` for values that repeat (MeSH headings, qualifiers), cached."""
    return _clean(raw)


def _clean(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if "<" in text:
        text = _TAGS.sub("", text)
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text.strip()


@lru_cache(maxsize=1 << 16)
def _date(block: bytes) -> int | None:
    """A date element's YYYYMMDD, cached: the same few thousand dates recur in every file."""
    parts = {name: value.decode("ascii", "replace") for name, value in _PART.findall(block)}
    if b"MedlineDate" in parts:
        return printed_date_number(parts[b"MedlineDate"])
    return date_number(parts.get(b"Year"), parts.get(b"Month"), parts.get(b"Day"))


def prepared_batches(
    path: Path, skip: int = 0, size: int = 2000
) -> Iterator[tuple[int, list[Prepared]]]:
    """``(records read so far, the batch)``: the file's records after the first ``skip``."""
    with open_stream(path) as stream:
        done = 0
        batch: list[Prepared] = []
        for raw in scan(stream):
            done += 1
            if done <= skip:
                continue
            batch.extend(prepare(raw))
            if done % size == 0:
                yield done, batch
                batch = []
        if batch or done > skip:
            yield done, batch


def produce(path: str, skip: int, size: int, channel: _Channel) -> None:
    """A worker process's loop: put each batch of :func:`prepared_batches` on ``channel``,
    then ``None``; an error is put as its message. Lives here, so the worker imports only
    this module (not the database layers)."""
    try:
        for item in prepared_batches(Path(path), skip, size):
            channel.put(item)
        channel.put(None)
    except Exception as exc:  # handed to the parent, which raises it
        channel.put(f"{Path(path).name}: {exc}")
