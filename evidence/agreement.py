"""Agreement between reviewers: percent agreement, Cohen's kappa (two reviewers) or Fleiss'
kappa (more, or reviewers that vary from study to study), with the studies it rests on.

Pure: a claim's views in, an :class:`~evidence.domain.review.Agreement` out. The verdicts
counted are each reviewer's *first-round* verdict (:func:`~evidence.domain.review.first_round`:
their committed verdict before any resolution, on the claim's current wording), on the
studies that have at least the claim's required number of them (two at least): the first
``n`` reviewers to judge each study. Kappas are computed here from their textbook
definitions (the tests compare them with statsmodels' ``cohens_kappa`` and ``fleiss_kappa``
on random ratings; importing statsmodels would cost a command seconds); percent agreement
is the share of those studies on which every counted verdict is the same. A kappa is
undefined (None) when every verdict falls in one category.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from evidence.domain.review import Agreement, first_round
from evidence.domain.views import ClaimReport
from evidence.domain.vocab import VERDICTS

Ratings = tuple[tuple[str, str], ...]  # one study's counted (reviewer, verdict), in order


def claim_ratings(claim: ClaimReport) -> list[Ratings]:
    """The counted first-round verdicts of each study of ``claim`` that has enough."""
    needed = max(2, claim.review.reviewers)
    found = []
    for study in claim.studies:
        ratings = tuple(first_round(study.verdicts).items())
        if len(ratings) >= needed:
            found.append(ratings[:needed])
    return found


def of_claim(claim: ClaimReport) -> Agreement | None:
    """The claim's agreement, or None when no study has enough first-round verdicts."""
    return agreement(claim_ratings(claim))


def overall(claims: Iterable[ClaimReport]) -> Agreement | None:
    """Agreement over every claim's counted studies; each study counts its first ``k``
    verdicts, ``k`` the smallest number any of those claims asks for."""
    per_claim = [r for r in (claim_ratings(c) for c in claims) if r]
    if not per_claim:
        return None
    k = min(len(ratings[0]) for ratings in per_claim)
    return agreement([r[:k] for ratings in per_claim for r in ratings])


def agreement(studies: Sequence[Ratings]) -> Agreement | None:
    """Percent agreement and kappa over ``studies`` (each with the same number of ratings):
    Cohen's when the same two reviewers rated every study, else Fleiss'."""
    if not studies:
        return None
    raters = len(studies[0])
    if any(len(s) != raters for s in studies):
        raise ValueError("every study needs the same number of ratings")
    same = sum(1 for s in studies if len({v for _, v in s}) == 1)
    people = {name for s in studies for name, _ in s}
    if raters == 2 and len(people) == 2:
        method, kappa = "cohen", cohen(studies, sorted(people))
    else:
        method, kappa = "fleiss", fleiss(studies)
    percent = 100.0 * same / len(studies)
    return Agreement(method, kappa, percent, len(studies), raters)


def cohen(studies: Sequence[Ratings], people: Sequence[str]) -> float | None:
    """Cohen's kappa of two reviewers ``people`` over ``studies``: (p_o - p_e) / (1 - p_e),
    p_o the observed agreement, p_e the agreement expected from each one's marginals."""
    first = [dict(r)[people[0]] for r in studies]
    second = [dict(r)[people[1]] for r in studies]
    n = len(studies)
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    expected = sum(first.count(v) * second.count(v) for v in VERDICTS) / (n * n)
    return _kappa(observed, expected)


def fleiss(studies: Sequence[Ratings]) -> float | None:
    """Fleiss' kappa over ``studies`` (each rated ``m`` times): (P - P_e) / (1 - P_e), P the
    mean agreement among each study's pairs of ratings, P_e the sum of squared category
    shares."""
    m = len(studies[0])
    counts = [[[v for _, v in r].count(category) for category in VERDICTS] for r in studies]
    observed = sum((sum(c * c for c in row) - m) / (m * (m - 1)) for row in counts) / len(counts)
    total = len(counts) * m
    expected = sum((sum(row[j] for row in counts) / total) ** 2 for j in range(len(VERDICTS)))
    return _kappa(observed, expected)


def _kappa(observed: float, expected: float) -> float | None:
    """Chance-corrected agreement; None when chance alone explains it all (one category)."""
    if expected >= 1.0 - 1e-12:
        return None
    return (observed - expected) / (1.0 - expected)
