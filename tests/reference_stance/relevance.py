"""How well a study matches a claim: weighted term coverage in [0, 1].

The claim's statement and the words of its PubMed query terms (see
:func:`evidence.stance.text.query_terms`) are matched, stemmed and without stopwords,
against four fields of the article. A term found in the title or among the MeSH headings
and keywords counts fully; found only in the abstract, it counts :data:`ABSTRACT_WEIGHT`.
Each term carries a weight: 1 by default, or an inverse document frequency over
``candidates`` when the caller passes the set of studies being ranked, so that words every
candidate shares (the claim's topic) count less than the words that tell them apart. The
score is the weighted share of the claim's terms found, so 1 means every term is in the
title or the indexing, 0 that none appears anywhere. Deterministic: no corpus, no model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from evidence.domain.records import Article
from tests.reference_stance.text import content_terms, query_terms, unique

ABSTRACT_WEIGHT = 0.7
"""Credit for a term found only in the abstract, against 1.0 in title, MeSH or keywords."""


def claim_terms(claim_text: str, query_term_texts: Sequence[str] = ()) -> tuple[str, ...]:
    """The stemmed content words of a claim's statement and of its query terms."""
    words = list(content_terms(claim_text))
    for term in query_term_texts:
        words.extend(query_terms(term))
    return unique(words)


def article_fields(article: Article) -> tuple[frozenset[str], frozenset[str]]:
    """(title + MeSH + keywords terms, abstract terms) of ``article``."""
    indexed = [article.title, *article.keywords]
    for heading in article.mesh_headings:
        indexed.append(heading.descriptor)
        indexed.extend(heading.qualifiers)
    abstract = article.abstract or " ".join(s.text for s in article.abstract_sections)
    return frozenset(content_terms(" ".join(indexed))), frozenset(content_terms(abstract))


def idf_weights(terms: Sequence[str], candidates: Sequence[Article]) -> dict[str, float]:
    """BM25's inverse document frequency of each term over ``candidates`` (never below 0.1)."""
    fields = [article_fields(a) for a in candidates]
    n = len(fields)
    weights = {}
    for term in terms:
        df = sum(1 for indexed, abstract in fields if term in indexed or term in abstract)
        weights[term] = max(0.1, math.log(1 + (n - df + 0.5) / (df + 0.5)))
    return weights


def relevance(
    claim_text: str,
    query_terms: Sequence[str],
    article: Article,
    *,
    candidates: Sequence[Article] | None = None,
) -> float:
    """Weighted share of the claim's terms found in ``article``, in [0, 1].

    ``query_terms`` are the claim's PubMed query terms as written (field tags and booleans
    are stripped here). ``candidates``, when given, supplies IDF weights (see module doc).
    A claim with no content word scores 0.
    """
    terms = claim_terms(claim_text, query_terms)
    if not terms:
        return 0.0
    weights: Mapping[str, float] = (
        idf_weights(terms, candidates) if candidates else dict.fromkeys(terms, 1.0)
    )
    indexed, abstract = article_fields(article)
    found = 0.0
    for term in terms:
        if term in indexed:
            found += weights[term]
        elif term in abstract:
            found += ABSTRACT_WEIGHT * weights[term]
    return round(found / sum(weights.values()), 6)


def ranking_key(level: int | None, score: float) -> tuple[int, float]:
    """Sort key for a claim's studies: evidence level first (1 = strongest), then relevance.

    ``level`` is :attr:`evidence.grading.Design.level`; ``None`` (a notice, not evidence)
    and unknown levels sort last. Use with ``sorted(..., key=...)``, ascending.
    """
    return (level if level is not None else 99, -score)
