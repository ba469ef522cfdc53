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
from typing import Literal

from evidence.domain.records import Article
from tests.reference_stance.key_sentence import conclusion_text, key_sentence
from tests.reference_stance.relevance import relevance
from tests.reference_stance.text import split_sentences

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
_NEGATED_CLAIM = re.compile(r"\b(?:not|no|never|without)\b|n't\b", re.IGNORECASE)


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


def cue_weight(kind: Literal["negative", "hedge"], text: str) -> tuple[float, tuple[str, ...]]:
    """Summed weight of the ``kind`` cues found in ``text`` and the words matched.

    Each cue pattern counts once; a word already inside a stronger cue's match is not
    counted again by a later, weaker one.
    """
    total, words = 0.0, []
    covered: list[tuple[int, int]] = []
    for pattern, weight in _COMPILED[kind]:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in covered):
                continue
            covered.append(match.span())
            total += weight
            words.append(match.group(0).lower())
            break
    return total, tuple(words)


def conclusion_of(claim_text: str, article: Article) -> str:
    """The text the stance is read from: the conclusions, else key and last sentences."""
    text = conclusion_text(article)
    if text:
        return text
    key = key_sentence(claim_text, article).text
    sentences = split_sentences(article.abstract)
    last = sentences[-1] if sentences else ""
    return key if key == last else f"{key} {last}".strip()


@dataclass(frozen=True)
class Evidence:
    """What the decision reads: cue weights (first sentence, the rest) and words, relevance."""

    hedge: tuple[float, float]
    hedge_words: tuple[str, ...]
    negative: tuple[float, float]
    negative_words: tuple[str, ...]
    relevance: float
    negated_claim: bool


def _split_weight(
    kind: Literal["negative", "hedge"], text: str
) -> tuple[tuple[float, float], tuple[str, ...]]:
    """Cue weight of the first sentence of ``text`` and of the rest, and all cue words."""
    sentences = split_sentences(text) or [""]
    first, first_words = cue_weight(kind, sentences[0])
    rest, rest_words = cue_weight(kind, " ".join(sentences[1:]))
    return (first, rest), first_words + rest_words


def read_evidence(claim_text: str, article: Article, query_terms: tuple[str, ...] = ()) -> Evidence:
    """Measure the cues of ``article``'s conclusion and its relevance to ``claim_text``."""
    text = conclusion_of(claim_text, article)
    hedge, hedge_words = _split_weight("hedge", text)
    negative, negative_words = _split_weight("negative", text)
    return Evidence(
        hedge,
        hedge_words,
        negative,
        negative_words,
        relevance(claim_text, query_terms, article),
        bool(_NEGATED_CLAIM.search(claim_text)),
    )


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
    stance, cues = decide(read_evidence(claim_text, article, query_terms), params)
    return StanceSuggestion(stance, key_sentence(claim_text, article).text, cues)
