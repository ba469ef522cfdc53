"""Annotation from prepared texts (issue 15) gives exactly what the old functions gave.

``tests/reference_stance`` is ``evidence.stance`` and ``services.annotate.annotation`` as they
were before the rewrite (each function splitting and tokenising the abstract itself). Every
fixture record and every record of the shared corpus is annotated against every claim of
``queries/*.toml`` (and an empty claim), plus hand-made edge cases, by both: the
annotation dicts must be equal, and so must the public functions' results.
"""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.reference_stance as reference
from evidence import stance
from evidence.domain.claims import load_claims
from evidence.domain.records import AbstractSection, Article, MeshHeading
from evidence.services.annotate import annotation
from evidence.sources.pubmed_xml.parser import parse_articles
from evidence.stance import suggest, text

ref_key = importlib.import_module("tests.reference_stance.key_sentence")
ref_relevance = importlib.import_module("tests.reference_stance.relevance")
ref_suggest = importlib.import_module("tests.reference_stance.suggest")
ref_text = importlib.import_module("tests.reference_stance.text")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
CORPUS = ROOT.parent / "shared" / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
Claim = tuple[str, tuple[str, ...]]


def claims() -> list[Claim]:
    """(statement, query-term words) of the claims we ship, as refresh annotates them."""
    out: list[Claim] = [("Ketamine infusions relieve chronic pain in adults.", ()), ("", ())]
    for path in sorted((ROOT / "queries").glob("*.toml")):
        for spec in load_claims(path).claims:
            terms = tuple(t for q in spec.queries for t in stance.query_terms(q.term))
            out.append((spec.statement, terms))
    return out


def edge_cases() -> Iterator[Article]:
    """Records the corpus may lack: no abstract, empty and odd sections, abbreviations."""
    yield Article(pmid="1", title="Ketamine for pain")
    yield Article(pmid="2", title="T", abstract="No. We did not e.g. find it. Vs. Fig. 2 ca. 3.")
    yield Article(pmid="3", title="", abstract="İ.e. Ketamine does not help. ΣΑΣ pain!")
    conclusions = AbstractSection("", "CONCLUSIONS", "CONCLUSIONS")
    yield Article(pmid="4", title="x", abstract="BACKGROUND: pain", abstract_sections=(
        AbstractSection("pain", "BACKGROUND", "BACKGROUND"), conclusions))  # fmt: skip
    yield Article(pmid="5", title="x", abstract_sections=(
        AbstractSection("Ketamine may help. It is unclear.", None, None),
        AbstractSection("Chronic pain fell. No difference.", "Conclusion", None)))  # fmt: skip
    mesh = (MeshHeading("Ketamine", "D007649", True, ("therapeutic use",), (False,)),)
    yield Article(pmid="6", title="Relief", abstract="Pain fell.", mesh_headings=mesh,
                  keywords=("NMDA receptor",))  # fmt: skip


def fixture_records() -> list[Article]:
    names = sorted(FIXTURES.glob("*.xml"))
    return [a for path in names for a in parse_articles(path.read_bytes())]


def assert_alike(articles: list[Article]) -> None:
    for statement, terms in claims():
        for article in articles:
            expected = reference.annotation(statement, terms, article)
            assert annotation(statement, terms, article) == expected, (statement, article.pmid)


def test_edge_cases_annotate_as_before() -> None:
    assert_alike(list(edge_cases()))


def test_fixture_records_annotate_as_before() -> None:
    articles = fixture_records()
    assert len(articles) > 5
    assert_alike(articles)


def test_corpus_annotates_as_before() -> None:
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} is absent")
    articles = parse_articles(gzip.decompress(CORPUS.read_bytes()))
    assert len(articles) > 3000
    assert_alike(articles)


def test_public_functions_answer_as_before() -> None:
    articles = [*edge_cases(), *fixture_records()]
    for statement, terms in claims()[:3]:
        for article in articles:
            ours_key = stance.key_sentence(statement, article)
            assert ours_key.__dict__ == ref_key.key_sentence(statement, article).__dict__
            assert stance.relevance(statement, terms, article) == ref_relevance.relevance(
                statement, terms, article
            )
            ours = suggest.read_evidence(statement, article, terms)
            assert ours.__dict__ == ref_suggest.read_evidence(statement, article, terms).__dict__
            suggestion = stance.suggest_stance(statement, article, query_terms=terms)
            expected = ref_suggest.suggest_stance(statement, article, query_terms=terms)
            assert suggestion.__dict__ == expected.__dict__
            assert suggest.conclusion_of(statement, article) == ref_suggest.conclusion_of(
                statement, article
            )


def test_text_helpers_answer_as_before() -> None:
    samples = [a.abstract for a in [*edge_cases(), *fixture_records()]]
    samples += ["E.G. this. I.E. that. ET AL. x", "no.", "Afri\u0307ca. Next"]
    for sample in samples:
        assert text.split_sentences(sample) == ref_text.split_sentences(sample)
        assert text.term_set(sample) == frozenset(ref_text.content_terms(sample))


def test_cue_weights_as_before() -> None:
    texts = [a.abstract for a in [*edge_cases(), *fixture_records()]]
    if CORPUS.exists():
        texts += [a.abstract for a in parse_articles(gzip.decompress(CORPUS.read_bytes()))]
    texts += ["Results were limited.", "LIMITED data. No Matter. Didn't", "N'T it"]
    pieces = [*texts, *(s for t in texts for s in text.split_sentences(t))]
    for piece in pieces:
        for kind in ("negative", "hedge"):
            assert suggest.cue_weight(kind, piece) == ref_suggest.cue_weight(kind, piece), piece
