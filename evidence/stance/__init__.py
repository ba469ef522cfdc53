"""Relevance, key sentence and a suggested stance for each claim-study pair.

``relevance(claim, query_terms, article)`` scores how well a study matches a claim (0-1);
``key_sentence(claim, article)`` picks the abstract sentence that best speaks to it,
preferring the conclusions; ``ranking_key(level, relevance)`` orders a claim's studies by
evidence level, then relevance; ``suggest_stance(claim, article)`` proposes supports /
contradicts / inconclusive / not-relevant with the cue behind it, always labelled a machine
suggestion (:data:`METHOD`). Measured on PubMedQA in ``benchmarks/bench_stance.py``.
``annotate(prepare_claim(...), prepare_article(...))`` gives all three for a link, each
text split and tokenised once.
"""

from evidence.stance.key_sentence import KeySentence, key_sentence
from evidence.stance.prepared import PreparedArticle, PreparedClaim, prepare_article, prepare_claim
from evidence.stance.relevance import ranking_key, relevance
from evidence.stance.suggest import (
    DEFAULT_PARAMS,
    METHOD,
    STANCES,
    VERSION,
    Annotation,
    Stance,
    StanceParams,
    StanceSuggestion,
    annotate,
    suggest_stance,
)
from evidence.stance.text import query_terms

__all__ = [
    "DEFAULT_PARAMS",
    "METHOD",
    "STANCES",
    "VERSION",
    "Annotation",
    "KeySentence",
    "PreparedArticle",
    "PreparedClaim",
    "Stance",
    "StanceParams",
    "StanceSuggestion",
    "annotate",
    "key_sentence",
    "prepare_article",
    "prepare_claim",
    "query_terms",
    "ranking_key",
    "relevance",
    "suggest_stance",
]
