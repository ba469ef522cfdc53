"""Flags on a PubMed record: who was studied, and its publication status.

Like the design rules, the flag triggers are data (:data:`FLAG_RULES`): a flag is set when
the record has any of the rule's publication types, MeSH headings (check tags) or
CommentsCorrections link types. A paper and the notice about it are told apart: the
retracted paper carries "Retracted Publication" or a ``RetractionIn`` link; the retraction
notice carries "Retraction of Publication" or a ``RetractionOf`` link. The same holds for
expressions of concern (``ExpressionOfConcernIn`` on the paper, ``...For`` on the notice)
and errata (``ErratumIn`` on the paper, ``ErratumFor`` on the erratum).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from evidence.domain.notices import PUBMED
from evidence.domain.records import Article
from evidence.grading.terms import TermIndex, Terms, fold, fold_name


class Flag(StrEnum):
    """One flag; the value is the stable string stored and shown."""

    HUMANS = "humans"
    ANIMALS = "animals"
    RETRACTED = "retracted"
    RETRACTION_NOTICE = "retraction-notice"
    ERRATUM = "erratum"
    HAS_ERRATUM = "has-erratum"
    EXPRESSION_OF_CONCERN = "expression-of-concern"
    EXPRESSION_OF_CONCERN_NOTICE = "expression-of-concern-notice"
    PREPRINT = "preprint"
    HAS_UPDATE = "has-update"


@dataclass(frozen=True)
class FlagRule:
    """Which publication types, MeSH headings or link types set ``flag``."""

    flag: Flag
    publication_types: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    ref_types: tuple[str, ...] = ()

    @cached_property
    def folded(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The rule's publication types, MeSH headings and link types, folded once."""
        return fold(self.publication_types), fold(self.mesh), fold(self.ref_types)

    def fires(self, terms: Terms) -> bool:
        """True when ``terms`` contain any of the rule's names."""
        types, mesh, refs = self.folded
        return bool(types & terms.publication_types or mesh & terms.mesh or refs & terms.ref_types)


FLAG_RULES: tuple[FlagRule, ...] = (
    FlagRule(Flag.HUMANS, mesh=("Humans",)),
    FlagRule(Flag.ANIMALS, mesh=("Animals",)),
    FlagRule(
        Flag.RETRACTED,
        ("Retracted Publication",),
        ref_types=("RetractionIn", "RetractedandRepublishedIn"),
    ),
    FlagRule(Flag.RETRACTION_NOTICE, ("Retraction of Publication",), ref_types=("RetractionOf",)),
    FlagRule(Flag.ERRATUM, ("Published Erratum",), ref_types=("ErratumFor",)),
    FlagRule(Flag.HAS_ERRATUM, ref_types=("ErratumIn",)),
    FlagRule(Flag.EXPRESSION_OF_CONCERN, ref_types=("ExpressionOfConcernIn",)),
    FlagRule(
        Flag.EXPRESSION_OF_CONCERN_NOTICE,
        ("Expression of Concern",),
        ref_types=("ExpressionOfConcernFor",),
    ),
    FlagRule(Flag.PREPRINT, ("Preprint",)),
    FlagRule(Flag.HAS_UPDATE, ref_types=("UpdateIn",)),
)
"""Every flag with its triggers."""

_FLAG_INDEX = TermIndex.of([(r.publication_types, r.mesh, r.ref_types) for r in FLAG_RULES])


def firing(terms: Terms) -> tuple[FlagRule, ...]:
    """The rules of :data:`FLAG_RULES` that fire for ``terms``, in table order."""
    return tuple(FLAG_RULES[row] for row in _FLAG_INDEX.rows(terms))


def flags(article: Article) -> frozenset[Flag]:
    """The flags of ``article`` (members compare equal to their string values)."""
    return frozenset(rule.flag for rule in firing(Terms.of(article)))


def flag_sources(article: Article) -> list[dict[str, str]]:
    """Where each flag of ``article`` comes from in its PubMed record, one entry per trigger.

    ``[{"flag": "retracted", "source": "PubMed", "detail": "publication type Retracted
    Publication"}, {"flag": "retracted", "source": "PubMed", "detail": "CommentsCorrections
    RetractionIn PMID 123"}]``: publication types, MeSH headings and CommentsCorrections links.
    """
    return sources_of(article, firing(Terms.of(article)))


def sources_of(article: Article, rules: tuple[FlagRule, ...]) -> list[dict[str, str]]:
    """:func:`flag_sources` for the firing ``rules`` of ``article`` (the others add none)."""
    found: list[dict[str, str]] = []
    for rule in rules:
        types, mesh, refs = rule.folded
        details: list[str] = []
        if types:
            details += [
                f"publication type {p.name}"
                for p in article.publication_types
                if fold_name(p.name) in types
            ]
        if mesh:
            details += [
                f"MeSH {m.descriptor}"
                for m in article.mesh_headings
                if fold_name(m.descriptor) in mesh
            ]
        if refs:
            details += [
                f"CommentsCorrections {c.ref_type}" + (f" PMID {c.pmid}" if c.pmid else "")
                for c in article.comments_corrections
                if fold_name(c.ref_type) in refs
            ]
        found += [
            {"flag": str(rule.flag), "source": PUBMED, "detail": d} for d in dict.fromkeys(details)
        ]
    return found
