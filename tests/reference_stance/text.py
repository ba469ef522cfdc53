"""Text helpers for matching claims to abstracts: tokens, sentences and query terms.

Everything here is pure and deterministic: a small built-in English stopword list, a light
suffix stemmer (plurals, ``-ed``, ``-ing``: "reduces" meets "reduced"), a sentence
splitter that knows common abbreviations, and :func:`query_terms`, which turns a PubMed query
term into the plain words it searches for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not of off on once only or other our out over
    own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would you your yes whether among patients patient study studies
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words that carry no topic. ``no``/``not`` are here too: they are stance, not topic."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "approx.", "fig.", "no.", "ca.")
_ABBREVIATION = re.compile("|".join(re.escape(a) for a in _ABBREVIATIONS), re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_FIELD_TAG = re.compile(r"\[[^\]]*\]")
_BOOLEAN = re.compile(r"\b(?:AND|OR|NOT)\b")
_QUERY_PUNCT = re.compile(r"[()\"*?:]")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix stemmer: ``reduces``, ``reduced``, ``reducing`` -> ``reduc``.

    Plural endings first (``studies`` -> ``study``), then ``-ing``/``-ed`` and a final
    ``-e``, only on words long enough to keep a stem of three letters or more. Cached: a
    refresh stems the same few thousand words over and over.
    """
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``, stopwords kept, not stemmed."""
    return _WORD.findall(text.lower())


@lru_cache(maxsize=4096)
def content_terms(text: str) -> tuple[str, ...]:
    """Stemmed tokens of ``text`` without stopwords or one-letter words, in order.

    Cached: a claim's statement is tokenised once, not once per linked study.
    """
    return tuple(stem(t) for t in tokens(text) if t not in STOPWORDS and len(t) > 1)


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, not breaking after ``e.g.``, ``et al.``, ``vs.``..."""
    protected = _ABBREVIATION.sub(lambda m: m[0].replace(".", "\0"), text)
    parts = _SENTENCE_END.split(protected)
    return [p.replace("\0", ".").strip() for p in parts if p.strip()]


def query_terms(term: str) -> tuple[str, ...]:
    """The plain words of a PubMed query term, stemmed, without duplicates, in order.

    Field tags (``[mh]``, ``[tiab]``), booleans, quotes, parentheses and wildcards go;
    ``"N-methyl-D-aspartate"[tiab]`` gives ``n``, ``methyl``... minus one-letter words.
    """
    text = _QUERY_PUNCT.sub(" ", _BOOLEAN.sub(" ", _FIELD_TAG.sub(" ", term)))
    return unique(content_terms(text))


def unique(words: Iterable[str]) -> tuple[str, ...]:
    """``words`` without repeats, first occurrence first."""
    return tuple(dict.fromkeys(words))
