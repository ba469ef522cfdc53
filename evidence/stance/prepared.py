"""An article's and a claim's texts read once, shared by relevance, key sentence and stance.

Annotating a link asks three questions of the same abstract. :func:`prepare_article` splits
it into sentences and reduces each sentence and each field to its set of content terms once;
:func:`prepare_claim` does the same for a claim's statement and query terms (cached, since a
claim meets every one of its studies). The functions of ``relevance``, ``key_sentence`` and
``suggest`` read these objects and give exactly what they give from the raw texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from evidence.domain.records import Article
from evidence.stance.text import content_terms, query_terms, split_sentences, term_set, unique

CONCLUSION_BONUS = 1.0
"""Added to the overlap score of a sentence from a CONCLUSIONS section."""
CONCLUDING_BONUS = 0.3
"""Added to a concluding sentence of an unstructured abstract."""

_CONCLUDING = re.compile(
    r"^(?:in conclusion|in summary|to conclude|overall|taken together|"
    r"(?:these|our) (?:results|findings|data)|we conclude|this study (?:shows|suggests))",
    re.IGNORECASE,
)
_NEGATED_CLAIM = re.compile(r"\b(?:not|no|never|without)\b|n't\b", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A sentence of the abstract that may be the key one: its section, bonus and terms."""

    text: str
    section_label: str | None
    bonus: float
    terms: frozenset[str]


@dataclass(frozen=True)
class PreparedArticle:
    """What annotation reads of an article, each text split and tokenised once.

    ``last_sentence`` is the last sentence of ``article.abstract`` (read only when the
    abstract has no conclusions); ``indexed`` and ``abstract_terms`` are relevance's fields.
    """

    title: str
    candidates: tuple[Candidate, ...]
    conclusion: str
    last_sentence: str
    indexed: frozenset[str]
    abstract_terms: frozenset[str]


@dataclass(frozen=True)
class PreparedClaim:
    """A claim's statement, its words (key sentence), its terms (relevance), its negation."""

    statement: str
    words: frozenset[str]
    terms: tuple[str, ...]
    negated: bool


def is_conclusion(label: str | None, nlm_category: str | None) -> bool:
    """Whether a section is the abstract's conclusion, by NLM category or label."""
    if (nlm_category or "").upper() == "CONCLUSIONS":
        return True
    return "CONCLU" in (label or "").upper()


def conclusion_text(article: Article) -> str:
    """The text of the CONCLUSIONS sections of ``article``, '' when it has none."""
    parts = [s.text for s in article.abstract_sections if is_conclusion(s.label, s.nlm_category)]
    return " ".join(parts)


def claim_terms(claim_text: str, query_term_texts: Sequence[str] = ()) -> tuple[str, ...]:
    """The stemmed content words of a claim's statement and of its query terms."""
    words = list(content_terms(claim_text))
    for term in query_term_texts:
        words.extend(query_terms(term))
    return unique(words)


@lru_cache(maxsize=256)
def prepare_claim(statement: str, query_term_texts: tuple[str, ...] = ()) -> PreparedClaim:
    """The claim side of annotation, once per (statement, query terms)."""
    return PreparedClaim(
        statement,
        frozenset(content_terms(statement)),
        claim_terms(statement, query_term_texts),
        bool(_NEGATED_CLAIM.search(statement)),
    )


def _structured(article: Article) -> Iterator[Candidate]:
    for section in article.abstract_sections:
        bonus = CONCLUSION_BONUS if is_conclusion(section.label, section.nlm_category) else 0
        for sentence in split_sentences(section.text):
            yield Candidate(sentence, section.label, bonus, term_set(sentence))


def _unstructured(sentences: list[str]) -> Iterator[Candidate]:
    for i, sentence in enumerate(sentences):
        last = i == len(sentences) - 1 and len(sentences) > 1
        bonus = CONCLUDING_BONUS if last or _CONCLUDING.match(sentence) else 0.0
        yield Candidate(sentence, None, bonus, term_set(sentence))


def indexed_text(article: Article) -> str:
    """The title, keywords and MeSH headings (with qualifiers) of ``article``, as one text."""
    indexed = [article.title, *article.keywords]
    for heading in article.mesh_headings:
        indexed.append(heading.descriptor)
        indexed.extend(heading.qualifiers)
    return " ".join(indexed)


def _joined_labels(article: Article) -> list[str] | None:
    """The labels prefixed in ``article.abstract`` when it is its non-empty sections joined
    by blank lines, each as ``LABEL: text`` or ``text`` (so its tokens are theirs and the
    labels'); None when it is anything else."""
    abstract, cursor, labels = article.abstract, 0, []
    for section in (s for s in article.abstract_sections if s.text):
        if cursor:
            if not abstract.startswith("\n\n", cursor):
                return None
            cursor += 2
        prefixed = f"{section.label}: {section.text}"
        if section.label and abstract.startswith(prefixed, cursor):
            labels.append(section.label)
            cursor += len(prefixed)
        elif abstract.startswith(section.text, cursor):
            cursor += len(section.text)
        else:
            return None
    return labels if cursor == len(abstract) else None


def prepare_article(article: Article) -> PreparedArticle:
    """Split and tokenise ``article`` once for :mod:`evidence.stance`.

    The abstract's terms are the union of its sentences' terms (and its labels') when the
    sentences cover the very text relevance reads (splitting drops only whitespace, joining
    adds only blank lines and ``": "``, which no token holds).
    """
    sections = article.abstract_sections
    sentences = split_sentences(article.abstract) if not sections else []
    candidates = tuple(_structured(article) if sections else _unstructured(sentences))
    conclusion = conclusion_text(article)
    if sections and not conclusion and article.abstract:
        sentences = split_sentences(article.abstract)
    labels = _joined_labels(article) if sections and article.abstract else ()
    if labels is None:
        abstract_terms = term_set(article.abstract)
    else:
        abstract_terms = term_set(" ".join(labels)).union(*(c.terms for c in candidates))
    return PreparedArticle(
        title=article.title,
        candidates=candidates,
        conclusion=conclusion,
        last_sentence=sentences[-1] if sentences else "",
        indexed=term_set(indexed_text(article)),
        abstract_terms=abstract_terms,
    )
