"""The rule table that grades a PubMed record's study design, and ``grade()``.

The table is data: an ordered tuple of :class:`Rule`, first match wins. A rule fires when
the record has any of its publication types, MeSH descriptors or link types, and also
every heading of ``mesh_all`` and none of ``mesh_none``. Names are matched whole and
case-insensitively, so "... as Topic" headings (the paper is *about* trials) never count
as the paper's own design. A record with nothing but neutral publication types (Journal
Article, funding, Preprint, Retracted Publication ...) and no MeSH is not indexed yet: it
gets a provisional grade from its wording (:mod:`tests.reference_grading.wording`). Documented
in ``docs/grading.md``; change ``RULES_VERSION`` with any change here.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence.domain.records import Article
from tests.reference_grading.designs import DESIGNS, Grade, make_grade
from tests.reference_grading.terms import NEUTRAL_PUBLICATION_TYPES, Terms, fold_name
from tests.reference_grading.wording import provisional_grade


def _present(names: tuple[str, ...], have: frozenset[str]) -> list[str]:
    """The ``names`` (as the table spells them) found among the folded ``have``."""
    return [name for name in names if fold_name(name) in have]


@dataclass(frozen=True)
class Rule:
    """One row of the table: which terms put a record in ``design``."""

    design: str
    publication_types: tuple[str, ...] = ()
    mesh_any: tuple[str, ...] = ()
    ref_types: tuple[str, ...] = ()
    mesh_all: tuple[str, ...] = ()
    mesh_none: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"unknown design {self.design!r}")
        if not (self.triggers or self.mesh_all):
            raise ValueError(f"rule for {self.design!r} has no trigger")
        if any(name.casefold().endswith(" as topic") for name in self.names):
            raise ValueError(f"rule for {self.design!r} uses an 'as Topic' heading")

    @property
    def triggers(self) -> tuple[str, ...]:
        """Names of which any one is enough (with ``mesh_all``/``mesh_none`` holding)."""
        return self.publication_types + self.mesh_any + self.ref_types

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the rule mentions."""
        return self.triggers + self.mesh_all + self.mesh_none

    def match(self, terms: Terms) -> str | None:
        """Why the rule fires for ``terms`` (its reason text), or ``None``."""
        if not all(fold_name(n) in terms.mesh for n in self.mesh_all):
            return None
        if any(fold_name(n) in terms.mesh for n in self.mesh_none):
            return None
        hits = [
            f"publication type {n}"
            for n in _present(self.publication_types, terms.publication_types)
        ]
        hits += [f"MeSH {n}" for n in _present(self.mesh_any, terms.mesh)]
        hits += [f"{n} link" for n in _present(self.ref_types, terms.ref_types)]
        if self.triggers and not hits:
            return None
        if self.mesh_all:
            without = f" without {', '.join(self.mesh_none)}" if self.mesh_none else ""
            hits.append(f"MeSH {' + '.join(self.mesh_all)}{without}")
        return "; ".join(hits)


RULES: tuple[Rule, ...] = (
    # Notices: not studies, no evidence level.
    Rule("retraction-notice", ("Retraction of Publication",), ref_types=("RetractionOf",)),
    Rule("erratum", ("Published Erratum",), ref_types=("ErratumFor",)),
    Rule(
        "expression-of-concern",
        ("Expression of Concern",),
        ref_types=("ExpressionOfConcernFor",),
    ),
    Rule("protocol", ("Clinical Trial Protocol",)),
    # Opinion pieces stay opinion whatever they discuss (an editorial on a mouse study).
    Rule("editorial", ("Editorial", "Introductory Journal Article")),
    Rule("comment", ("Comment",)),
    Rule("news", ("News", "Newspaper Article")),
    # Preclinical beats any design: a veterinary RCT or a review of rodent studies is
    # not human evidence.
    Rule("in-vitro", ("In Vitro",), mesh_any=("In Vitro Techniques",)),
    Rule("animal", mesh_all=("Animals",), mesh_none=("Humans",)),
    Rule("meta-analysis", ("Meta-Analysis", "Network Meta-Analysis")),
    Rule("systematic-review", ("Systematic Review",)),
    Rule("rct", ("Randomized Controlled Trial", "Randomized Controlled Trial, Veterinary")),
    Rule(
        "controlled-trial",
        ("Controlled Clinical Trial", "Pragmatic Clinical Trial", "Equivalence Trial"),
    ),
    Rule("controlled-trial", mesh_any=("Double-Blind Method", "Cross-Over Studies")),
    Rule(
        "clinical-trial",
        (
            "Clinical Trial",
            "Clinical Trial, Phase I",
            "Clinical Trial, Phase II",
            "Clinical Trial, Phase III",
            "Clinical Trial, Phase IV",
            "Adaptive Clinical Trial",
            "Clinical Trial, Veterinary",
        ),
    ),
    Rule("case-report", ("Case Reports",)),
    Rule(
        "guideline",
        (
            "Practice Guideline",
            "Guideline",
            "Consensus Development Conference",
            "Consensus Development Conference, NIH",
        ),
    ),
    Rule("letter", ("Letter",)),
    Rule("narrative-review", ("Review", "Scoping Review")),
    Rule("case-control", mesh_any=("Case-Control Studies",)),
    Rule("cross-sectional", mesh_any=("Cross-Sectional Studies",)),
    Rule(
        "cohort",
        mesh_any=(
            "Cohort Studies",
            "Prospective Studies",
            "Retrospective Studies",
            "Longitudinal Studies",
            "Follow-Up Studies",
        ),
    ),
    Rule(
        "observational",
        ("Observational Study", "Observational Study, Veterinary", "Twin Study"),
    ),
    # Cell work on human or animal material with no clinical design above.
    Rule(
        "in-vitro",
        mesh_any=(
            "Cells, Cultured",
            "Cell Line",
            "Cell Line, Tumor",
            "Tumor Cells, Cultured",
            "HeLa Cells",
            "Organoids",
        ),
    ),
)
"""The rule table, strongest claim first within each group; first match wins."""


def grade(article: Article) -> Grade:
    """The design and evidence level of ``article`` by :data:`RULES` (see module doc)."""
    decided = deciding_rule(article)
    if decided is not None:
        rule, reason = decided
        return make_grade(rule.design, reason)
    if not Terms.of(article).indexed:
        return provisional_grade(article)
    return make_grade("other", _unclassified_reason(article))


def deciding_rule(article: Article) -> tuple[Rule, str] | None:
    """The first rule of :data:`RULES` that fires for ``article``, with its reason."""
    terms = Terms.of(article)
    for rule in RULES:
        reason = rule.match(terms)
        if reason is not None:
            return rule, reason
    return None


def _unclassified_reason(article: Article) -> str:
    """Why no rule fired: the record's design-relevant publication types, if any."""
    kept = [
        name
        for name in article.publication_type_names
        if fold_name(name) not in NEUTRAL_PUBLICATION_TYPES
    ]
    listed = f"publication types {', '.join(kept)}" if kept else "no design publication type"
    return f"no rule matched ({listed}; no design MeSH heading)"
