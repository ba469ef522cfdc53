"""Agreement between reviewers: percent agreement, Cohen's kappa (two reviewers) or Fleiss'
kappa (more, or reviewers that vary from study to study), with the studies it rests on.

Pure: a claim's views in, an :class:`~evidence.domain.review.Agreement` out. The verdicts
counted are each reviewer's *first-round* verdict (:func:`~evidence.domain.review.first_round`:
their committed verdict before any resolution, on the claim's current wording), on the
studies that have at least the claim's required number of them (two at least): the first
``n`` reviewers to judge each study. Kappas come from statsmodels
(``statsmodels.stats.inter_rater``); percent agreement is the share of those studies on
which every counted verdict is the same. A kappa is undefined (None) when every verdict
falls in one category.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from math import isnan

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
    """Cohen's kappa of two reviewers ``people`` over ``studies`` (statsmodels)."""
    from statsmodels.stats.inter_rater import cohens_kappa

    table = [[0] * len(VERDICTS) for _ in VERDICTS]
    for ratings in studies:
        by = dict(ratings)
        table[VERDICTS.index(by[people[0]])][VERDICTS.index(by[people[1]])] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _defined(float(cohens_kappa(table, return_results=False)))


def fleiss(studies: Sequence[Ratings]) -> float | None:
    """Fleiss' kappa over ``studies`` (statsmodels' ``aggregate_raters``, ``fleiss_kappa``)."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    data = [[VERDICTS.index(v) for _, v in ratings] for ratings in studies]
    counts, _ = aggregate_raters(data, n_cat=len(VERDICTS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _defined(float(fleiss_kappa(counts)))


def _defined(kappa: float) -> float | None:
    return None if isnan(kappa) else kappa
