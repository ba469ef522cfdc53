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

from evidence.domain.notices import PUBMED
from evidence.domain.records import Article
from tests.reference_grading.terms import Terms, fold, fold_name


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

    def fires(self, terms: Terms) -> bool:
        """True when ``terms`` contain any of the rule's names."""
        return bool(
            fold(self.publication_types) & terms.publication_types
            or fold(self.mesh) & terms.mesh
            or fold(self.ref_types) & terms.ref_types
        )


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


def flags(article: Article) -> frozenset[Flag]:
    """The flags of ``article`` (members compare equal to their string values)."""
    terms = Terms.of(article)
    return frozenset(rule.flag for rule in FLAG_RULES if rule.fires(terms))


def flag_sources(article: Article) -> list[dict[str, str]]:
    """Where each flag of ``article`` comes from in its PubMed record, one entry per trigger.

    ``[{"flag": "retracted", "source": "PubMed", "detail": "publication type Retracted
    Publication"}, {"flag": "retracted", "source": "PubMed", "detail": "CommentsCorrections
    RetractionIn PMID 123"}]``: publication types, MeSH headings and CommentsCorrections links.
    """
    found: list[dict[str, str]] = []
    for rule in FLAG_RULES:
        types, mesh, refs = fold(rule.publication_types), fold(rule.mesh), fold(rule.ref_types)
        details = [
            f"publication type {name}"
            for name in article.publication_type_names
            if fold_name(name) in types
        ]
        details += [
            f"MeSH {m.descriptor}" for m in article.mesh_headings if fold_name(m.descriptor) in mesh
        ]
        details += [
            f"CommentsCorrections {c.ref_type}" + (f" PMID {c.pmid}" if c.pmid else "")
            for c in article.comments_corrections
            if fold_name(c.ref_type) in refs
        ]
        found += [
            {"flag": str(rule.flag), "source": PUBMED, "detail": d} for d in dict.fromkeys(details)
        ]
    return found
