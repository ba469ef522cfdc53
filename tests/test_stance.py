"""Relevance, key sentence and stance suggestions (``evidence.stance``)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from evidence.domain.records import AbstractSection, Article, MeshHeading
from evidence.stance import (
    METHOD,
    StanceParams,
    key_sentence,
    query_terms,
    ranking_key,
    relevance,
    suggest_stance,
)
from evidence.stance.text import split_sentences

CLAIM = "Ketamine reduces depressive symptoms"
BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_stance.py"


def study(conclusion: str, *, title: str = "Ketamine for depressive symptoms") -> Article:
    """A structured abstract about ketamine and depression ending in ``conclusion``."""
    return Article(
        pmid="1",
        title=title,
        abstract_sections=(
            AbstractSection("Ketamine is an NMDA antagonist.", "BACKGROUND", "BACKGROUND"),
            AbstractSection(
                "Ketamine reduced depressive symptoms at day 1 in the pilot arm.",
                "RESULTS",
                "RESULTS",
            ),
            AbstractSection(conclusion, "CONCLUSIONS", "CONCLUSIONS"),
        ),
        mesh_headings=(MeshHeading("Ketamine"), MeshHeading("Depression")),
    )


UNRELATED = Article(
    pmid="2",
    title="Soil nitrogen in alpine meadows",
    abstract="Nitrogen cycling in alpine soils was measured. Grazing altered nitrogen pools.",
    mesh_headings=(MeshHeading("Soil"), MeshHeading("Nitrogen")),
)


def test_query_terms_strip_tags_booleans_quotes() -> None:
    term = '("Ketamine"[mh] OR ketamine[tiab]) AND (NMDA[tiab] OR "N-methyl-D-aspartate"[tiab])'
    assert query_terms(term) == ("ketamin", "nmda", "methyl", "aspartat")


def test_query_terms_drop_wildcards_and_not() -> None:
    assert query_terms("depress*[tiab] NOT rats[mh]") == ("depress", "rat")


@pytest.mark.parametrize(
    "conclusion",
    [
        "Ketamine did not reduce depressive symptoms compared with placebo.",
        "There was no significant difference in depressive symptoms between groups.",
        "Ketamine failed to improve depression scores.",
    ],
)
def test_negation_contradicts(conclusion: str) -> None:
    suggestion = suggest_stance(CLAIM, study(conclusion))
    assert suggestion.stance == "contradicts"
    assert suggestion.cues
    assert all(cue in conclusion.lower() for cue in suggestion.cues)


def test_significant_reduction_supports() -> None:
    conclusion = "Ketamine significantly reduced depressive symptoms within 24 hours."
    suggestion = suggest_stance(CLAIM, study(conclusion))
    assert suggestion.stance == "supports"
    assert suggestion.sentence == conclusion


@pytest.mark.parametrize(
    "conclusion",
    [
        "The effect of ketamine on depressive symptoms is unclear; further studies are needed.",
        "Evidence on ketamine for depressive symptoms remains inconclusive.",
        "Ketamine may reduce depressive symptoms, but it is not yet clear for how long.",
    ],
)
def test_hedges_are_inconclusive(conclusion: str) -> None:
    assert suggest_stance(CLAIM, study(conclusion)).stance == "inconclusive"


def test_unrelated_abstract_is_not_relevant() -> None:
    suggestion = suggest_stance(CLAIM, UNRELATED)
    assert suggestion.stance == "not-relevant"
    assert suggestion.cues == ()


def test_suggestion_is_labelled_machine() -> None:
    suggestion = suggest_stance(CLAIM, study("Ketamine reduced depressive symptoms."))
    assert suggestion.method == METHOD
    assert "machine suggestion" in suggestion.method
    assert suggestion.version


def test_key_sentence_prefers_conclusions() -> None:
    conclusion = "Ketamine is a promising option in this population."
    sentence = key_sentence(CLAIM, study(conclusion))
    assert sentence.text == conclusion
    assert sentence.section_label == "CONCLUSIONS"


def test_key_sentence_unstructured_picks_best_overlap() -> None:
    article = Article(
        pmid="3",
        title="t",
        abstract=(
            "We enrolled 40 adults. Ketamine reduced depressive symptoms. Follow-up was short."
        ),
    )
    assert key_sentence(CLAIM, article).text == "Ketamine reduced depressive symptoms."
    assert key_sentence(CLAIM, Article(pmid="4", title="Only a title")).section_label == "TITLE"


def test_relevance_ranks_matching_above_unrelated() -> None:
    terms = ('"Ketamine"[mh] OR ketamine[tiab]',)
    matching = relevance(CLAIM, terms, study("Ketamine helps."))
    unrelated = relevance(CLAIM, terms, UNRELATED)
    assert 0.0 <= unrelated < matching <= 1.0
    assert unrelated == 0.0
    # ketamine, depressive, symptom in title/MeSH; "reduce" only in the abstract
    assert matching == pytest.approx((3 + 0.7) / 4)


def test_relevance_idf_over_candidates_weights_rare_terms() -> None:
    shared_only = Article(pmid="5", title="Ketamine infusion", abstract="Ketamine dosing.")
    candidates = [study("x"), shared_only, UNRELATED]
    plain = relevance(CLAIM, (), shared_only)
    weighted = relevance(CLAIM, (), shared_only, candidates=candidates)
    assert weighted < plain


def test_split_sentences_keeps_abbreviations() -> None:
    text = "Drugs, e.g. ketamine, were used (Smith et al. 2010). Results vs. placebo differed."
    assert len(split_sentences(text)) == 2


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_stance", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared
def test_pubmedqa_odd_split_beats_majority(shared_dir: Path) -> None:
    path = shared_dir / "pubmedqa" / "data" / "ori_pqal.json"
    if not path.is_file():
        pytest.skip(f"PubMedQA not found at {path} (set EVIDENCE_SHARED_DIR)")
    bench = _bench()
    data = bench.load(path)
    even = [bench.GOLD[i["final_decision"]] for p, i in data.items() if int(p) % 2 == 0]
    majority = Counter(even).most_common(1)[0][0]
    gold, predicted = [], []
    for pmid, item in data.items():
        if int(pmid) % 2 == 1:
            gold.append(bench.GOLD[item["final_decision"]])
            article = bench.to_article(pmid, item)
            predicted.append(suggest_stance(item["QUESTION"], article).stance)
    ours = bench.scores(gold, predicted)
    baseline = bench.scores(gold, [majority] * len(gold))
    assert ours["accuracy"] > baseline["accuracy"] + 0.1
    assert ours["macro_f1"] > baseline["macro_f1"]


def test_negated_claim_flips_when_asked() -> None:
    claim = "Ketamine does not reduce depressive symptoms"
    article = study("Ketamine did not reduce depressive symptoms.")
    assert suggest_stance(claim, article).stance == "contradicts"
    flipped = suggest_stance(claim, article, StanceParams(flip_negated_claim=True))
    assert flipped.stance == "supports"


def test_ranking_orders_by_level_then_relevance() -> None:
    studies = {"rct-low": (2, 0.3), "rct-high": (2, 0.9), "meta": (1, 0.1), "notice": (None, 1.0)}
    order = sorted(studies, key=lambda name: ranking_key(*studies[name]))
    assert order == ["meta", "rct-high", "rct-low", "notice"]
