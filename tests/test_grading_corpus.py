"""The grading rules on the 3,150 real records of the shared corpus.

What is asserted is checkable from the records themselves: publication types that decide
a design by themselves, retraction links, and a handful of PMIDs looked at by hand.
Counts (5 retracted papers, 3 retraction notices, 43 RCTs ...) are those of
``efetch-distinct.xml.gz`` as of the 2026 corpus; a new corpus may need new numbers.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from evidence.domain.records import Article
from evidence.grading import DESIGNS, RULES_VERSION, Flag, Grade, flags, grade
from evidence.grading.terms import NEUTRAL_PUBLICATION_TYPES, fold
from evidence.sources.pubmed_xml.parser import parse_articles

pytestmark = pytest.mark.shared

Graded = list[tuple[Article, Grade, frozenset[Flag]]]

# Publication types that the rule table puts before an RCT/case report (see docs/grading.md).
_BEFORE_DESIGNS = {
    "Retraction of Publication",
    "Published Erratum",
    "Editorial",
    "Comment",
    "News",
    "In Vitro",
}


@pytest.fixture(scope="module")
def graded(shared_dir: Path) -> Graded:
    """Every corpus record with its grade and flags (parsed once for this module)."""
    path = shared_dir / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
    if not path.is_file():
        pytest.skip(f"shared PubMed corpus not found at {path} (set EVIDENCE_SHARED_DIR)")
    articles = parse_articles(gzip.decompress(path.read_bytes()))
    return [(a, grade(a), flags(a)) for a in articles]


def _types(article: Article) -> set[str]:
    return set(article.publication_type_names)


def _mesh(article: Article) -> set[str]:
    return {m.descriptor for m in article.mesh_headings}


def _animal_only(article: Article) -> bool:
    return "Animals" in _mesh(article) and "Humans" not in _mesh(article)


def _where(graded: Graded, test: Callable[[Article], bool]) -> Graded:
    return [row for row in graded if test(row[0])]


def test_every_record_gets_a_grade(graded: Graded) -> None:
    assert len(graded) == 3150
    for article, result, _ in graded:
        assert result.design in DESIGNS, article.pmid
        assert result.level == DESIGNS[result.design].level
        assert result.reason, article.pmid
        assert result.rules_version == RULES_VERSION


def test_randomized_trials_grade_as_rct(graded: Graded) -> None:
    trials = _where(
        graded,
        lambda a: (
            "Randomized Controlled Trial" in _types(a)
            and not _types(a) & {"Meta-Analysis", "Systematic Review", *_BEFORE_DESIGNS}
            and not _animal_only(a)
        ),
    )
    assert len(trials) == 43
    assert [a.pmid for a, g, _ in trials if g.design != "rct"] == []


def test_case_reports_grade_as_case_report(graded: Graded) -> None:
    reports = _where(
        graded,
        lambda a: (
            "Case Reports" in _types(a)
            and not _types(a) & {"Randomized Controlled Trial", "Clinical Trial", *_BEFORE_DESIGNS}
            and not _animal_only(a)
        ),
    )
    assert len(reports) > 400
    assert [a.pmid for a, g, _ in reports if g.design != "case-report"] == []


def test_retracted_publications_are_flagged(graded: Graded) -> None:
    retracted = _where(graded, lambda a: "Retracted Publication" in _types(a))
    assert sorted(a.pmid for a, _, _ in retracted) == [
        "11543891",
        "30865236",
        "31541003",
        "8655018",
        "8863847",
    ]
    assert all(Flag.RETRACTED in f and Flag.RETRACTION_NOTICE not in f for _, _, f in retracted)
    linked = _where(
        graded, lambda a: any(c.ref_type == "RetractionIn" for c in a.comments_corrections)
    )
    assert linked and all(Flag.RETRACTED in f for _, _, f in linked)


def test_retraction_notices_are_notices_not_retracted(graded: Graded) -> None:
    notices = _where(graded, lambda a: "Retraction of Publication" in _types(a))
    assert sorted(a.pmid for a, _, _ in notices) == ["11600210", "32629467", "9634358"]
    for article, result, found in notices:
        assert (result.design, result.level) == ("retraction-notice", None), article.pmid
        assert Flag.RETRACTION_NOTICE in found and Flag.RETRACTED not in found


def test_errata_are_notices(graded: Graded) -> None:
    errata = _where(graded, lambda a: "Published Erratum" in _types(a))
    assert len(errata) == 9
    assert all(g.design == "erratum" and Flag.ERRATUM in f for _, g, f in errata)


def test_as_topic_trials_are_not_rcts(graded: Graded) -> None:
    about_trials = _where(
        graded,
        lambda a: (
            "Randomized Controlled Trials as Topic" in _mesh(a)
            and "Randomized Controlled Trial" not in _types(a)
        ),
    )
    assert len(about_trials) >= 10
    assert [a.pmid for a, g, _ in about_trials if g.design == "rct"] == []


def test_animal_only_records_are_preclinical(graded: Graded) -> None:
    animal = _where(graded, lambda a: _animal_only(a) and not _types(a) & _BEFORE_DESIGNS)
    assert len(animal) > 300
    assert [a.pmid for a, g, _ in animal if g.design not in {"animal", "in-vitro"}] == []


def test_provisional_exactly_when_not_indexed(graded: Graded) -> None:
    neutral = NEUTRAL_PUBLICATION_TYPES
    for article, result, _ in graded:
        unindexed = not article.mesh_headings and fold(article.publication_type_names) <= neutral
        notice = result.design in {"retraction-notice", "erratum"}
        assert result.provisional == (unindexed and not notice), article.pmid
        assert result.reason.startswith("wording") == result.provisional


def test_distribution(graded: Graded, capsys: pytest.CaptureFixture[str]) -> None:
    designs = Counter(g.design for _, g, _ in graded)
    for expected in (
        "rct",
        "controlled-trial",
        "clinical-trial",
        "cohort",
        "case-control",
        "cross-sectional",
        "case-report",
        "guideline",
        "narrative-review",
        "animal",
        "in-vitro",
        "retraction-notice",
        "erratum",
    ):
        assert designs[expected] > 0, expected
    assert designs["meta-analysis"] + designs["systematic-review"] > 0
    assert designs["editorial"] + designs["comment"] + designs["letter"] > 0
    provisional = Counter(g.design for _, g, _ in graded if g.provisional)
    assert sum(provisional.values()) > 300
    with capsys.disabled():
        print(f"\ngrading {len(graded)} corpus records, rules {RULES_VERSION}")
        for key, design in DESIGNS.items():
            if designs[key]:
                extra = f" ({provisional[key]} provisional)" if provisional[key] else ""
                print(f"  {design.level or '-'}  {key:<22} {designs[key]:>5}{extra}")
        print("  flags:", dict(Counter(f.value for _, _, fs in graded for f in fs)))


@pytest.mark.parametrize(
    ("pmid", "design", "provisional", "flag_values"),
    [
        ("25062591", "meta-analysis", False, {"humans"}),  # MA of RCTs (+ RCTs as Topic)
        ("27343883", "meta-analysis", False, {"humans"}),  # Meta-Analysis + Systematic Review
        ("36318760", "systematic-review", False, {"humans"}),
        ("7949539", "rct", False, {"humans"}),
        ("31418855", "animal", False, {"animals"}),  # RCT, Veterinary in horses
        ("27797938", "case-control", False, {"humans"}),  # Observational + Case-Control
        ("11966386", "guideline", False, {"humans"}),  # Bethesda consensus (also Review)
        ("24534990", "comment", False, {"animals"}),  # opinion on animal work
        ("7473145", "in-vitro", False, {"humans"}),  # PT In Vitro on human serum
        ("8863847", "in-vitro", False, {"animals", "retracted", "has-erratum"}),
        ("30865236", "cross-sectional", False, {"humans", "retracted", "has-erratum"}),
        ("11600210", "retraction-notice", False, {"retraction-notice"}),  # titled "Editorial."
        ("31449457", "erratum", False, {"erratum"}),
        ("31541003", "in-vitro", True, {"retracted"}),  # retracted, never indexed
        ("32702738", "observational", True, {"preprint", "has-update"}),  # twin preprint
        ("30045346", "rct", True, set()),  # "Randomized Clinical Trial" in title
        ("32260179", "meta-analysis", True, set()),
    ],
)
def test_records_checked_by_hand(
    graded: Graded, pmid: str, design: str, provisional: bool, flag_values: set[str]
) -> None:
    [(_, result, found)] = [row for row in graded if row[0].pmid == pmid]
    assert (result.design, result.provisional) == (design, provisional)
    assert found == flag_values
