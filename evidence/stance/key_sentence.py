"""The abstract sentence that best speaks to a claim, preferring the conclusions.

Every sentence of the abstract (of each section, for a structured abstract) is scored by the
share of the claim's content words it contains; a sentence of a CONCLUSIONS section (by NLM
category or label) gets :data:`CONCLUSION_BONUS`, and in an unstructured abstract a sentence
that opens like a conclusion ("In conclusion", "These results suggest"...) or is the last
one gets a smaller bonus. Ties go to the earlier sentence. The sentences and their words
come from :func:`~evidence.stance.prepared.prepare_article`.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from evidence.domain.records import Article
from evidence.stance.prepared import (
    CONCLUDING_BONUS,
    CONCLUSION_BONUS,
    PreparedArticle,
    conclusion_text,
    is_conclusion,
    prepare_article,
)
from evidence.stance.text import content_terms

__all__ = [
    "CONCLUDING_BONUS",
    "CONCLUSION_BONUS",
    "KeySentence",
    "best_sentence",
    "conclusion_text",
    "is_conclusion",
    "key_sentence",
]


@dataclass(frozen=True)
class KeySentence:
    """A sentence of the abstract, the label of its section (if any) and its score."""

    text: str
    section_label: str | None
    score: float


def best_sentence(claim_words: Set[str], article: PreparedArticle) -> KeySentence:
    """The best sentence of a prepared article for a claim's content words.

    Without an abstract, the title stands in (section label ``TITLE``, score 0).
    """
    best: KeySentence | None = None
    size = len(claim_words)
    for candidate in article.candidates:
        overlap = len(claim_words & candidate.terms) / size if claim_words else 0.0
        score = round(overlap + candidate.bonus, 6)
        if best is None or score > best.score:
            best = KeySentence(candidate.text, candidate.section_label, score)
    return best or KeySentence(article.title, "TITLE", 0.0)


def key_sentence(claim_text: str, article: Article) -> KeySentence:
    """The best sentence of ``article``'s abstract for ``claim_text`` (see module doc)."""
    return best_sentence(frozenset(content_terms(claim_text)), prepare_article(article))
