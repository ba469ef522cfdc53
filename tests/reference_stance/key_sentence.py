"""The abstract sentence that best speaks to a claim, preferring the conclusions.

Every sentence of the abstract (of each section, for a structured abstract) is scored by the
share of the claim's content words it contains; a sentence of a CONCLUSIONS section (by NLM
category or label) gets :data:`CONCLUSION_BONUS`, and in an unstructured abstract a sentence
that opens like a conclusion ("In conclusion", "These results suggest"...) or is the last
one gets a smaller bonus. Ties go to the earlier sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from evidence.domain.records import Article
from tests.reference_stance.text import content_terms, split_sentences

CONCLUSION_BONUS = 1.0
"""Added to the overlap score of a sentence from a CONCLUSIONS section."""
CONCLUDING_BONUS = 0.3
"""Added to a concluding sentence of an unstructured abstract."""

_CONCLUDING = re.compile(
    r"^(?:in conclusion|in summary|to conclude|overall|taken together|"
    r"(?:these|our) (?:results|findings|data)|we conclude|this study (?:shows|suggests))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class KeySentence:
    """A sentence of the abstract, the label of its section (if any) and its score."""

    text: str
    section_label: str | None
    score: float


def is_conclusion(label: str | None, nlm_category: str | None) -> bool:
    """Whether a section is the abstract's conclusion, by NLM category or label."""
    if (nlm_category or "").upper() == "CONCLUSIONS":
        return True
    return "CONCLU" in (label or "").upper()


def conclusion_text(article: Article) -> str:
    """The text of the CONCLUSIONS sections of ``article``, '' when it has none."""
    parts = [s.text for s in article.abstract_sections if is_conclusion(s.label, s.nlm_category)]
    return " ".join(parts)


def _candidates(article: Article) -> Iterator[tuple[str, str | None, float]]:
    """(sentence, section label, bonus) for every sentence of the abstract."""
    if article.abstract_sections:
        for section in article.abstract_sections:
            bonus = CONCLUSION_BONUS if is_conclusion(section.label, section.nlm_category) else 0
            for sentence in split_sentences(section.text):
                yield sentence, section.label, bonus
        return
    sentences = split_sentences(article.abstract)
    for i, sentence in enumerate(sentences):
        last = i == len(sentences) - 1 and len(sentences) > 1
        bonus = CONCLUDING_BONUS if last or _CONCLUDING.match(sentence) else 0.0
        yield sentence, None, bonus


def key_sentence(claim_text: str, article: Article) -> KeySentence:
    """The best sentence of ``article``'s abstract for ``claim_text``.

    Without an abstract, the title stands in (section label ``TITLE``, score 0).
    """
    claim = set(content_terms(claim_text))
    best: KeySentence | None = None
    for sentence, label, bonus in _candidates(article):
        words = set(content_terms(sentence))
        overlap = len(claim & words) / len(claim) if claim else 0.0
        score = round(overlap + bonus, 6)
        if best is None or score > best.score:
            best = KeySentence(sentence, label, score)
    return best or KeySentence(article.title, "TITLE", 0.0)
