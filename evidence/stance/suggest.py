"""A machine suggestion of a study's stance towards a claim, with the cue behind it.

The suggestion reads the study's conclusion (its CONCLUSIONS sections, or else the key
sentence and the last sentence of the abstract) and weighs two lexicons of cues:

- *negative* cues ("no significant difference", "not associated", "did not", "failed to")
  point to ``contradicts``;
- *hedge* cues ("may", "unclear", "further studies are needed", "inconclusive") point to
  ``inconclusive``.

Cues in the first sentence of the conclusion count fully, later ones
``later_sentences_weight``. If the hedge weight reaches ``hedge_threshold`` the stance is
``inconclusive``; else if the negative weight reaches ``negative_threshold`` it is
``contradicts``; else ``supports``. With ``flip_negated_claim``, a claim worded negatively
("X does not cause Y") swaps supports and contradicts (off by default: tuning did not pick
it, PubMedQA's questions are rarely negative). A study
whose :func:`~evidence.stance.relevance.relevance` to the claim is below ``min_relevance``
is ``not-relevant``. The weights and thresholds of :data:`DEFAULT_PARAMS` were tuned on the
even PMIDs of PubMedQA only (``benchmarks/bench_stance.py``). It is a suggestion for a
reviewer, never a verdict: :data:`METHOD` says so wherever it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from evidence.domain.records import Article
from evidence.stance.key_sentence import KeySentence, best_sentence
from evidence.stance.prepared import (
    PreparedArticle,
    PreparedClaim,
    prepare_article,
    prepare_claim,
)
from evidence.stance.relevance import coverage
from evidence.stance.text import split_sentences

Stance = Literal["supports", "contradicts", "inconclusive", "not-relevant"]
STANCES: tuple[Stance, ...] = ("supports", "contradicts", "inconclusive", "not-relevant")
METHOD = "machine suggestion: cue lexicon (negation and hedging) on the conclusion"
VERSION = "2026.11-1"

_NOUNS = (
    r"(?:difference|association|effect|evidence|correlation|relationship|benefit|advantage|"
    r"impact|role|change|increase|reduction|improvement|influence|relation|link|value)s?"
)
_VERBS = (
    r"(?:associated|related|correlated|linked|different|effective|superior|predictive|"
    r"improve|reduce|increase|decrease|necessary|useful|beneficial|justified|recommended|"
    r"required|affect|influence|predict|support|show|confer|provide|appear|seem|lead|result|"
    r"alter|change|differ|prevent|protect|help|improved|reduced|increased|affected)"
)

NEGATIVE_CUES: tuple[tuple[str, float], ...] = (
    (r"\bno (?:statistically )?significant(?:ly)? (?:\w+ )?" + _NOUNS, 1.0),
    (r"\b(?:no|little|neither|nor) (?:clear |obvious |apparent |major )?" + _NOUNS, 1.0),
    (r"\bnot (?:be )?(?:significantly |statistically |independently |clearly )?" + _VERBS, 1.0),
    (r"\b(?:did|does|do|was|were|is|are|has|have)(?: not|n't)\b", 0.8),
    (r"\b(?:failed|unable) to\b", 1.0),
    (r"\b(?:lack|absence) of\b", 0.7),
    (r"\b(?:independent of|irrespective of|regardless of)\b", 0.5),
    (r"\b(?:unnecessary|disappointing|poor|insufficient|inadequate|unreliable|limited)\b", 0.4),
    (r"\b(?:comparable|similar|equivalent|unaffected|unchanged|not)\b", 0.4),
    (r"\b(?:no|none|nothing|without)\b(?! matter)", 0.4),
)
HEDGE_CUES: tuple[tuple[str, float], ...] = (
    (r"\bfurther (?:\w+ )?(?:studies|research|investigation|trials|work|data)\b", 0.6),
    (
        r"\b(?:more|additional|larger|prospective|randomi[sz]ed) (?:\w+ )?"
        r"(?:studies|research|trials|data|investigation)\b.{0,30}?(?:needed|required|warranted)",
        0.6,
    ),
    (r"\b(?:inconclusive|controversial|unclear|uncertain|debatable|equivocal)\b", 2.0),
    (r"\bcannot be (?:determined|concluded|confirmed|excluded|ruled out)\b", 2.0),
    (r"\b(?:remains? to be|not (?:yet )?clear|not fully|limited evidence)\b", 2.0),
    (r"\b(?:may|might|could|possibly|potentially|perhaps)\b", 0.3),
    (r"\b(?:however|although|but|whereas|only)\b", 0.25),
)


@dataclass(frozen=True)
class StanceParams:
    """Thresholds and weights of the decision (see module doc).

    The defaults are those ``benchmarks/bench_stance.py`` picks on PubMedQA's even PMIDs,
    except ``min_relevance`` (PubMedQA has no unrelated pairs; 0.1 is set by hand and
    costs nothing there).
    """

    negative_threshold: float = 0.4
    hedge_threshold: float = 0.5
    min_relevance: float = 0.1
    flip_negated_claim: bool = False
    later_sentences_weight: float = 0.25


DEFAULT_PARAMS = StanceParams()


@dataclass(frozen=True)
class StanceSuggestion:
    """A machine-suggested stance, the sentence it rests on and the words that decided it."""

    stance: Stance
    sentence: str
    cues: tuple[str, ...]
    method: str = METHOD
    version: str = VERSION


_COMPILED = {
    name: tuple((re.compile(p, re.IGNORECASE), w) for p, w in cues)
    for name, cues in (("negative", NEGATIVE_CUES), ("hedge", HEDGE_CUES))
}
_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "negative": (
        ("significant",),
        ("no ", "little ", "neither ", "nor "),
        ("not ",),
        (" not", "n't"),
        ("failed to", "unable to"),
        ("lack of", "absence of"),
        ("independent of", "irrespective of", "regardless of"),
        (
            "unnecessary",
            "disappointing",
            "poor",
            "insufficient",
            "inadequate",
            "unreliable",
            "limited",
        ),
        ("comparable", "similar", "equivalent", "unaffected", "unchanged", "not"),
        ("no", "without"),
    ),
    "hedge": (
        ("further ",),
        ("needed", "required", "warranted"),
        ("inconclusive", "controversial", "unclear", "uncertain", "debatable", "equivocal"),
        ("cannot be ",),
        ("remain", "not ", "limited evidence"),
        ("may", "might", "could", "possibly", "potentially", "perhaps"),
        ("however", "although", "but", "whereas", "only"),
    ),
}
"""For each cue (in order), strings one of which every match of it contains."""
_COMPILED_LOWER = {
    name: tuple((re.compile(p), w, needs) for (p, w), needs in zip(cues, _NEEDS[name], strict=True))
    for name, cues in (("negative", NEGATIVE_CUES), ("hedge", HEDGE_CUES))
}
"""The cues matched case-sensitively, for lower-cased ASCII text: the same matches, faster,
and skipped when the text lacks every string the cue needs."""


def cue_weight(kind: Literal["negative", "hedge"], text: str) -> tuple[float, tuple[str, ...]]:
    """Summed weight of the ``kind`` cues found in ``text`` and the words matched.

    Each cue pattern counts once; a word already inside a stronger cue's match is not
    counted again by a later, weaker one.
    """
    if text.isascii():  # lower-casing keeps every offset, and the patterns are lower case
        text = text.lower()
        patterns = [(p, w) for p, w, needs in _COMPILED_LOWER[kind] if _holds_any(text, needs)]
    else:
        patterns = list(_COMPILED[kind])
    total, words = 0.0, []
    covered: list[tuple[int, int]] = []
    for pattern, weight in patterns:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in covered):
                continue
            covered.append(match.span())
            total += weight
            words.append(match.group(0).lower())
            break
    return total, tuple(words)


def _holds_any(text: str, needles: tuple[str, ...]) -> bool:
    return any(needle in text for needle in needles)


def conclusion_of(claim_text: str, article: Article) -> str:
    """The text the stance is read from: the conclusions, else key and last sentences."""
    prepared = prepare_article(article)
    return _conclusion(prepared, best_sentence(prepare_claim(claim_text).words, prepared))


def _conclusion(article: PreparedArticle, key: KeySentence) -> str:
    if article.conclusion:
        return article.conclusion
    last = article.last_sentence
    return key.text if key.text == last else f"{key.text} {last}".strip()


@dataclass(frozen=True)
class Evidence:
    """What the decision reads: cue weights (first sentence, the rest) and words, relevance."""

    hedge: tuple[float, float]
    hedge_words: tuple[str, ...]
    negative: tuple[float, float]
    negative_words: tuple[str, ...]
    relevance: float
    negated_claim: bool


Weights = tuple[tuple[float, float], tuple[str, ...]]


def _split_weight(kind: Literal["negative", "hedge"], sentences: list[str]) -> Weights:
    """Cue weight of the first of ``sentences`` and of the rest, and all cue words."""
    first, first_words = cue_weight(kind, sentences[0])
    rest, rest_words = cue_weight(kind, " ".join(sentences[1:]))
    return (first, rest), first_words + rest_words


@lru_cache(maxsize=4096)
def read_cues(text: str) -> tuple[Weights, Weights]:
    """The (hedge, negative) cue weights of ``text``. Cached: claims share their studies."""
    sentences = split_sentences(text) or [""]
    return _split_weight("hedge", sentences), _split_weight("negative", sentences)


def evidence_of(claim: PreparedClaim, article: PreparedArticle, key: KeySentence) -> Evidence:
    """:func:`read_evidence` for a prepared claim and article, and the claim's key sentence."""
    (hedge, hedge_words), (negative, negative_words) = read_cues(_conclusion(article, key))
    relevance = coverage(claim.terms, article)
    return Evidence(hedge, hedge_words, negative, negative_words, relevance, claim.negated)


def read_evidence(claim_text: str, article: Article, query_terms: tuple[str, ...] = ()) -> Evidence:
    """Measure the cues of ``article``'s conclusion and its relevance to ``claim_text``."""
    claim, prepared = prepare_claim(claim_text, tuple(query_terms)), prepare_article(article)
    return evidence_of(claim, prepared, best_sentence(claim.words, prepared))


def decide(
    evidence: Evidence, params: StanceParams = DEFAULT_PARAMS
) -> tuple[Stance, tuple[str, ...]]:
    """The stance the thresholds of ``params`` give for ``evidence``, and its cue words."""
    if evidence.relevance < params.min_relevance:
        return "not-relevant", ()
    later = params.later_sentences_weight
    if evidence.hedge[0] + later * evidence.hedge[1] >= params.hedge_threshold:
        return "inconclusive", evidence.hedge_words
    negative = evidence.negative[0] + later * evidence.negative[1]
    contradicts = negative >= params.negative_threshold
    if evidence.negated_claim and params.flip_negated_claim:
        contradicts = not contradicts
    return ("contradicts" if contradicts else "supports"), evidence.negative_words


def suggest_stance(
    claim_text: str,
    article: Article,
    params: StanceParams = DEFAULT_PARAMS,
    *,
    query_terms: tuple[str, ...] = (),
) -> StanceSuggestion:
    """Suggest whether ``article`` supports, contradicts or leaves open ``claim_text``."""
    claim = prepare_claim(claim_text, tuple(query_terms))
    return annotate(claim, prepare_article(article), params).suggestion


@dataclass(frozen=True)
class Annotation:
    """A link's machine annotation: relevance, key sentence and suggested stance."""

    relevance: float
    key: KeySentence
    suggestion: StanceSuggestion


def annotate(
    claim: PreparedClaim, article: PreparedArticle, params: StanceParams = DEFAULT_PARAMS
) -> Annotation:
    """Relevance, key sentence and suggested stance of a prepared article for a claim."""
    key = best_sentence(claim.words, article)
    evidence = evidence_of(claim, article, key)
    stance, cues = decide(evidence, params)
    return Annotation(evidence.relevance, key, StanceSuggestion(stance, key.text, cues))
