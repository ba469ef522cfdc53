"""Relevance, key sentence and a suggested stance for each claim-study pair.

``relevance(claim, query_terms, article)`` scores how well a study matches a claim (0-1);
``key_sentence(claim, article)`` picks the abstract sentence that best speaks to it,
preferring the conclusions; ``ranking_key(level, relevance)`` orders a claim's studies by
evidence level, then relevance; ``suggest_stance(claim, article)`` proposes supports /
contradicts / inconclusive / not-relevant with the cue behind it, always labelled a machine
suggestion (:data:`METHOD`). Measured on PubMedQA in ``benchmarks/bench_stance.py``.
"""

from evidence.stance.key_sentence import KeySentence, key_sentence
from evidence.stance.relevance import ranking_key, relevance
from evidence.stance.suggest import (
    DEFAULT_PARAMS,
    METHOD,
    STANCES,
    VERSION,
    Stance,
    StanceParams,
    StanceSuggestion,
    suggest_stance,
)
from evidence.stance.text import query_terms

__all__ = [
    "DEFAULT_PARAMS",
    "METHOD",
    "STANCES",
    "VERSION",
    "KeySentence",
    "Stance",
    "StanceParams",
    "StanceSuggestion",
    "key_sentence",
    "query_terms",
    "ranking_key",
    "relevance",
    "suggest_stance",
]
