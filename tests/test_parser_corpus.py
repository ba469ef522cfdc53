"""The parser against 3,150 real efetch records, checked by independent extractions.

The corpus (``../shared/pubmed/corpus/efetch-distinct.xml.gz``, or
``$EVIDENCE_SHARED_DIR/pubmed/corpus/...``) joins every distinct PubmedArticle and
PubmedBookArticle found in public repositories into one PubmedArticleSet, from 1990s
records to 2025 ones. Record counts and PMIDs are checked against regular expressions
over the raw text; titles, abstracts and DOIs against Bio.Entrez's own parser.

Known differences, handled explicitly and nowhere else:

- Bio.Entrez reads every record with the 2025 DTD named in the DOCTYPE. It must run with
  ``validate=False`` (old records carry ``DateCreated`` and other retired elements) and it
  still rejects two pre-2014 shapes outright (``ValueError: Unexpected item``): the
  ``Article/Affiliation`` element and ``CommentsCorrections`` without a list. Neither
  is compared here, so :func:`entrez_compatible` deletes them before Entrez sees the bytes.
- Entrez keeps inline markup (``<i>``, ``<sup>``, MathML) as literal tags inside the text;
  with ``escape=True`` the real text is escaped, so stripping tags and unescaping gives
  the same text our parser flattens. Both sides are then whitespace-collapsed.
"""

from __future__ import annotations

import gzip
import html
import io
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evidence.domain.records import Article, DeletedCitation
from evidence.sources.pubmed_xml.parser import parse

pytestmark = pytest.mark.shared

EXPECTED_RECORDS = 3150  # per ../shared/pubmed/MANIFEST.md
RECORD = re.compile(rb"<(PubmedArticle|PubmedBookArticle)(?:\s[^>]*)?>(.*?)</\1>", re.S)
FIRST_PMID = re.compile(rb"<PMID(?:\s[^>]*)?>\s*([0-9]+)\s*</PMID>")
TAG = re.compile(r"<[^>]+>")
DOI = re.compile(r"10\.[0-9]+/\S.*")  # the parser's documented rule: other values are not DOIs


def corpus_path() -> Path:
    """Where the shared corpus lives: $EVIDENCE_SHARED_DIR, else ../shared next to the repo."""
    shared = os.environ.get("EVIDENCE_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).resolve().parents[2] / "shared"
    return base / "pubmed" / "corpus" / "efetch-distinct.xml.gz"


@dataclass(frozen=True)
class Parsed:
    """Our parser's output on the corpus and how long it took."""

    articles: list[Article]
    deleted: list[DeletedCitation]
    seconds: float


@pytest.fixture(scope="module")
def corpus() -> bytes:
    path = corpus_path()
    if not path.is_file():
        pytest.skip(f"../shared/pubmed corpus not present: {path} (set EVIDENCE_SHARED_DIR)")
    return gzip.decompress(path.read_bytes())


@pytest.fixture(scope="module")
def parsed(corpus: bytes) -> Parsed:
    started = time.perf_counter()
    records = list(parse(io.BytesIO(corpus)))
    seconds = time.perf_counter() - started
    articles = [r for r in records if isinstance(r, Article)]
    deleted = [r for r in records if isinstance(r, DeletedCitation)]
    return Parsed(articles, deleted, seconds)


Expected = tuple[str, str | None, list[tuple[str | None, str]]]  # title, DOI, sections


@dataclass(frozen=True)
class Entrez:
    """PMID -> what Bio.Entrez read, and how long ``Entrez.read`` took."""

    records: dict[str, Expected]
    seconds: float


@pytest.fixture(scope="module")
def entrez(corpus: bytes) -> Entrez:
    bio_entrez = pytest.importorskip("Bio.Entrez")
    compatible = entrez_compatible(corpus)
    started = time.perf_counter()
    result = bio_entrez.read(io.BytesIO(compatible), validate=False, escape=True)
    seconds = time.perf_counter() - started
    records = {}
    for record in result["PubmedArticle"]:
        records[str(record["MedlineCitation"]["PMID"])] = from_entrez_article(record)
    for record in result["PubmedBookArticle"]:
        records[str(record["BookDocument"]["PMID"])] = from_entrez_book(record)
    return Entrez(records, seconds)


def entrez_compatible(xml: bytes) -> bytes:
    """Drop the two pre-2014 elements Bio.Entrez rejects (see module docstring)."""
    xml = re.sub(
        rb"(<AffiliationInfo>\s*)?<Affiliation>.*?</Affiliation>",
        lambda m: m.group(0) if m.group(1) else b"",
        xml,
        flags=re.S,
    )
    return re.sub(rb"<CommentsCorrections>.*?</CommentsCorrections>", b"", xml, flags=re.S)


def text(value: object) -> str:
    """Entrez string (escaped text plus literal markup tags) -> plain collapsed text."""
    return " ".join(html.unescape(TAG.sub("", str(value))).split())


def of_type(elements: Iterable[Any], attribute: str, value: str) -> Iterator[str]:
    return (text(e) for e in elements if e.attributes.get(attribute) == value)


def sections(container: Any) -> list[tuple[str | None, str]]:
    parts = container.get("Abstract", {}).get("AbstractText", [])
    return [(p.attributes.get("Label") or None, text(p)) for p in parts]


def from_entrez_article(record: Any) -> Expected:
    article = record["MedlineCitation"]["Article"]
    title = text(article.get("ArticleTitle", "")) or text(article.get("VernacularTitle", ""))
    dois = list(of_type(record.get("PubmedData", {}).get("ArticleIdList", []), "IdType", "doi"))
    dois += [
        text(e)
        for e in article.get("ELocationID", [])
        if e.attributes.get("EIdType") == "doi" and e.attributes.get("ValidYN") != "N"
    ]
    return title, next((d for d in dois if DOI.fullmatch(d)), None), sections(article)


def from_entrez_book(record: Any) -> Expected:
    document = record["BookDocument"]
    title = (
        text(document.get("ArticleTitle", ""))
        or text(document.get("VernacularTitle", ""))
        or text(document["Book"]["BookTitle"])
    )
    id_lists = [*record.get("PubmedBookData", {}).get("ArticleIdList", [])]
    id_lists += document.get("ArticleIdList", [])
    dois = [d for d in of_type(id_lists, "IdType", "doi") if DOI.fullmatch(d)]
    return title, (dois[0] if dois else None), sections(document)


def test_every_record_parses(corpus: bytes, parsed: Parsed) -> None:
    start_tags = len(re.findall(rb"<(?:PubmedArticle|PubmedBookArticle)[\s>]", corpus))
    assert start_tags == EXPECTED_RECORDS
    assert len(parsed.articles) == start_tags
    assert parsed.deleted == []
    books = sum(a.record_type == "PubmedBookArticle" for a in parsed.articles)
    assert books == len(re.findall(rb"<PubmedBookArticle[\s>]", corpus))


def test_no_pmid_is_lost(corpus: bytes, parsed: Parsed) -> None:
    expected = []
    for match in RECORD.finditer(corpus):
        pmid = FIRST_PMID.search(match.group(2))
        assert pmid, match.group(0)[:200]
        expected.append(pmid.group(1).decode())
    assert len(expected) == EXPECTED_RECORDS
    assert sorted(a.pmid for a in parsed.articles) == sorted(expected)


def test_titles_match_bio_entrez(parsed: Parsed, entrez: Entrez) -> None:
    assert len(entrez.records) == len(parsed.articles)
    pairs = {a.pmid: (a.title, entrez.records[a.pmid][0]) for a in parsed.articles}
    assert {pmid: pair for pmid, pair in pairs.items() if pair[0] != pair[1]} == {}
    assert all(a.title for a in parsed.articles)


def test_dois_match_bio_entrez(parsed: Parsed, entrez: Entrez) -> None:
    pairs = {a.pmid: (a.doi, entrez.records[a.pmid][1]) for a in parsed.articles}
    assert {pmid: pair for pmid, pair in pairs.items() if pair[0] != pair[1]} == {}
    assert sum(doi is not None for doi, _ in pairs.values()) > 1800  # not vacuous


def test_abstracts_match_bio_entrez(parsed: Parsed, entrez: Entrez) -> None:
    pairs = {
        a.pmid: ([(s.label, s.text) for s in a.abstract_sections], entrez.records[a.pmid][2])
        for a in parsed.articles
    }
    assert {pmid: pair for pmid, pair in pairs.items() if pair[0] != pair[1]} == {}
    assert sum(bool(a.abstract) for a in parsed.articles) > 2600  # MANIFEST: ~2,700
