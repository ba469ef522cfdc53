"""The single-pass parser gives exactly the records the ElementPath parser gave.

``tests/reference_parser`` is the parser as it was before the rewrite (one ElementPath
lookup per field); the production parser groups each element's children once instead.
Both must agree on every record: the shared corpus (3,150 real records, skipped when
absent), the fixtures, and records whose structure hypothesis shuffles (duplicated,
dropped, re-parented and commented elements: where "the first match" and "every match"
of a path start to matter).
"""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from evidence.domain.errors import ParseError
from evidence.domain.records import Article, DeletedCitation
from evidence.sources.pubmed_xml.parser import parse
from tests.reference_parser.parser import parse as reference_parse
from tests.test_parser_corpus import corpus_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pubmed"
Outcome = list[tuple[Article | DeletedCitation, bytes | None]] | str


def outcome(parser: object, source: bytes) -> Outcome:
    """The records with their raw XML (which Article equality leaves out), or the
    ParseError's message."""
    try:
        return [(record, raw_xml(record)) for record in parser(source)]  # type: ignore[operator]
    except ParseError as error:
        return f"ParseError: {error}"


def raw_xml(record: Article | DeletedCitation) -> bytes | None:
    """The stored bytes of an article (``None`` for a deleted citation)."""
    return record.raw_xml if isinstance(record, Article) else None


@pytest.mark.shared
def test_every_corpus_record_agrees_with_the_reference() -> None:
    path = corpus_path()
    if not path.is_file():
        pytest.skip(f"../shared/pubmed corpus not present: {path} (set EVIDENCE_SHARED_DIR)")
    corpus = gzip.decompress(path.read_bytes())
    ours, theirs = list(parse(corpus)), list(reference_parse(corpus))
    assert len(ours) == len(theirs) == 3150
    differ = [b.pmid for a, b in zip(ours, theirs, strict=True) if a != b]
    assert differ == []
    raw_differ = [b.pmid for a, b in zip(ours, theirs, strict=True) if raw_xml(a) != raw_xml(b)]
    assert raw_differ == []  # Article equality leaves raw_xml out (compare=False)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_every_fixture_agrees_with_the_reference(name: str) -> None:
    source = (FIXTURES / name).read_bytes()
    ours = outcome(parse, source)
    assert ours == outcome(reference_parse, source)
    assert ours  # not vacuous: each fixture holds records


def shuffled(source: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """The document with elements doubled (altered), dropped, moved under a sibling, or a
    comment put before them."""
    root = etree.fromstring(source, etree.XMLParser(load_dtd=False, no_network=True))
    for kind, pick, other in edits:
        elements = [e for e in root.iter() if isinstance(e.tag, str)][1:]
        if not elements:
            break
        element = elements[pick % len(elements)]
        parent = element.getparent()
        if parent is None:
            continue
        if kind == 0:  # a second, different copy: "first" and "last" now differ
            twin = copy.deepcopy(element)
            for node in twin.iter():
                node.text = f"{node.text or ''}{other}"
                for name in node.attrib:
                    node.set(name, f"{node.get(name)}{other}")
            element.addnext(twin)
        elif kind == 1:
            parent.remove(element)
        elif kind == 2:
            siblings = [s for s in parent if s is not element and isinstance(s.tag, str)]
            if siblings:
                siblings[other % len(siblings)].append(element)
        else:
            element.addprevious(etree.Comment("moved"))
    return etree.tostring(root)


EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 50)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.xml"))), edits=EDITS)
def test_shuffled_structures_agree_with_the_reference(
    name: str, edits: list[tuple[int, int, int]]
) -> None:
    source = shuffled((FIXTURES / name).read_bytes(), edits)
    assert outcome(parse, source) == outcome(reference_parse, source)
