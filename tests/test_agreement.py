"""Agreement between reviewers: percent agreement, Cohen's and Fleiss' kappa, against
hand-computed examples and against statsmodels (a maintained implementation) on random
ratings."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from evidence import agreement
from evidence.domain.review import ReviewProtocol, VerdictInfo
from evidence.domain.views import ClaimReport, StudyInfo
from evidence.domain.vocab import KIND_RESOLUTION, VERDICTS, WITHDRAWN
from tests.test_review import env, run  # noqa: F401  (the refreshed database fixture)

AT = datetime(2026, 11, 30, tzinfo=UTC)
S, C, M = "supports", "contradicts", "mixed"


def pairs(*given: tuple[str, str]) -> list[tuple[tuple[str, str], ...]]:
    return [(("ann", a), ("bob", b)) for a, b in given]


def test_cohens_kappa_by_hand() -> None:
    # 10 studies: (S,S) x4, (S,C) x2, (C,S) x1, (C,C) x3.
    # observed agreement p_o = (4 + 3) / 10 = 0.7
    # ann: S 6, C 4; bob: S 5, C 5 -> expected p_e = 0.6 * 0.5 + 0.4 * 0.5 = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    studies = pairs(*[(S, S)] * 4, *[(S, C)] * 2, (C, S), *[(C, C)] * 3)
    found = agreement.agreement(studies)
    assert found is not None
    assert found.method == "cohen" and found.studies == 10 and found.raters == 2
    assert found.kappa == pytest.approx(0.4)
    assert found.percent == pytest.approx(70.0)
    assert found.label == "Cohen's kappa 0.40, 70% agreement (10 studies)"


def test_fleiss_kappa_by_hand() -> None:
    # 4 studies, 3 reviewers each: SSS, SSC, CCC, SCM.
    # P_i = (sum n_ij^2 - 3) / (3 * 2): 1, (4 + 1 - 3) / 6 = 1/3, 1, (1 + 1 + 1 - 3) / 6 = 0
    # P_bar = (1 + 1/3 + 1 + 0) / 4 = 7/12
    # p_j over 12 ratings: S 6/12, C 5/12, M 1/12 -> P_e = (36 + 25 + 1) / 144 = 62/144
    # kappa = (7/12 - 62/144) / (1 - 62/144) = (84 - 62) / (144 - 62) = 22/82 = 0.2683
    names = ("ann", "bob", "cy")
    studies = [
        tuple(zip(names, verdicts, strict=True))
        for verdicts in ((S, S, S), (S, S, C), (C, C, C), (S, C, M))
    ]
    found = agreement.agreement(studies)
    assert found is not None and found.method == "fleiss"
    assert found.kappa == pytest.approx(22 / 82)
    assert found.percent == pytest.approx(50.0) and found.studies == 4 and found.raters == 3


def test_two_reviewers_that_vary_between_studies_use_fleiss() -> None:
    studies = [(("ann", S), ("bob", S)), (("ann", C), ("cy", S)), (("bob", C), ("cy", C))]
    found = agreement.agreement(studies)
    assert found is not None and found.method == "fleiss"
    assert found.kappa == pytest.approx(fleiss_by_statsmodels(studies))


def test_kappa_is_undefined_when_every_verdict_is_the_same() -> None:
    found = agreement.agreement(pairs((S, S), (S, S)))
    assert found is not None and found.kappa is None and found.percent == 100.0
    assert found.label == "Cohen's kappa n/a, 100% agreement (2 studies)"
    assert agreement.agreement([]) is None


def cohen_by_statsmodels(studies: list[tuple[tuple[str, str], ...]]) -> float:
    from statsmodels.stats.inter_rater import cohens_kappa

    table = [[0] * len(VERDICTS) for _ in VERDICTS]
    for (_, a), (_, b) in studies:
        table[VERDICTS.index(a)][VERDICTS.index(b)] += 1
    return float(cohens_kappa(table, return_results=False))


def fleiss_by_statsmodels(studies: list[tuple[tuple[str, str], ...]]) -> float:
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    data = [[VERDICTS.index(v) for _, v in ratings] for ratings in studies]
    counts, _ = aggregate_raters(data, n_cat=len(VERDICTS))
    return float(fleiss_kappa(counts))


@pytest.mark.parametrize("seed", range(20))
def test_kappas_match_a_second_computation(seed: int) -> None:
    rng = random.Random(seed)
    cats = VERDICTS[: rng.randint(2, 5)]
    two = pairs(*[(rng.choice(cats), rng.choice(cats)) for _ in range(rng.randint(5, 40))])
    if len({v for s in two for _, v in s}) > 1:
        found = agreement.agreement(two)
        assert found is not None and found.kappa == pytest.approx(cohen_by_statsmodels(two))
    k = rng.randint(3, 5)
    many = [tuple((f"r{j}", rng.choice(cats)) for j in range(k)) for _ in range(rng.randint(5, 40))]
    found = agreement.agreement(many)
    assert found is not None and found.kappa == pytest.approx(fleiss_by_statsmodels(many))


def study(pmid: str, *given: tuple[str, str], resolution: str | None = None) -> StudyInfo:
    rows = [VerdictInfo(r, v, None, AT + timedelta(minutes=i)) for i, (r, v) in enumerate(given)]
    if resolution:
        rows.append(
            VerdictInfo("eve", resolution, None, AT + timedelta(hours=1), kind=KIND_RESOLUTION)
        )
    return StudyInfo(pmid, "t", (), None, None, None, None, (), False, verdicts=tuple(rows))


def test_a_claim_counts_first_round_verdicts_of_studies_with_enough() -> None:
    studies = (
        study("1", ("ann", S), ("bob", C), resolution=C),  # counted as S/C: before resolution
        study("2", ("ann", S), ("bob", S)),
        study("3", ("ann", S)),  # one verdict: not counted
        study("4", ("ann", M), ("ann", C), ("bob", C)),  # ann's latest before resolution
        study("5", ("ann", S), ("bob", C), ("bob", WITHDRAWN)),  # bob withdrew: one verdict
    )
    claim = ClaimReport("c", "s", None, (), studies, review=ReviewProtocol(2, True))
    assert agreement.claim_ratings(claim) == pairs((S, C), (S, S), (C, C))
    found = agreement.of_claim(claim)
    assert (
        found is not None
        and found.studies == 3
        and found.kappa == pytest.approx(cohen_by_statsmodels(pairs((S, C), (S, S), (C, C))))
    )
    three = ClaimReport(
        "d",
        "s",
        None,
        (),
        (study("9", ("ann", S), ("bob", S), ("cy", C)),),
        review=ReviewProtocol(3),
    )
    assert agreement.claim_ratings(three) == [(("ann", S), ("bob", S), ("cy", C))]
    overall = agreement.overall([claim, three])
    assert overall is not None and overall.studies == 4 and overall.raters == 2  # first two


def test_agreement_shows_in_status_and_the_report(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    for pmid, ann, bob in (("30000001", S, C), ("30000002", S, S), ("30000003", C, C)):
        for name, verdict in (("ann", ann), ("bob", bob)):
            args = ("review", "set", "nmda-blockade", pmid, "--verdict", verdict)
            assert run(env, *args, "--reviewer", name).exit_code == 0
    expected = cohen_by_statsmodels(pairs((S, C), (S, S), (C, C)))  # p_o 2/3, p_e 4/9 -> 0.4
    assert expected == pytest.approx(0.4)
    status = json.loads(run(env, "status", "--json").stdout)
    assert status["agreement"]["kappa"] == pytest.approx(expected)
    claim = next(c for c in status["claims"] if c["claim"] == "nmda-blockade")
    assert claim["agreement"] == {
        "method": "cohen",
        "kappa": pytest.approx(expected),
        "percent": pytest.approx(200 / 3),
        "studies": 3,
        "raters": 2,
    }
    text = run(env, "status").stdout
    assert "reviewer agreement, all claims: Cohen's kappa 0.40, 67% agreement (3 studies)" in text
    assert "  agreement: Cohen's kappa 0.40" in text
    result = run(env, "report", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.stderr
    markdown = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert (
        "Reviewer agreement, all claims: Cohen's kappa 0.40, 67% agreement (3 studies)" in markdown
    )
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert 'id="agreement"' in html and "Cohen&#39;s kappa 0.40" in html
