"""The review protocol: claims files' [review], `claims set-review`, blind listings and
exports for a reviewer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.domain.claims import ReviewSpec, parse_claims
from evidence.domain.errors import ClaimsFileError
from tests.test_review import env, run  # noqa: F401  (the refreshed database fixture)

CLAIM = "nmda-blockade"
HEAD = """\
[article]
slug = "a"
title = "A"
"""
CLAIM_TOML = """
[[claims]]
id = "c1"
statement = "X relieves pain."
{extra}
[[claims.queries]]
label = "q"
term = "ketamine"
"""


def parse(text: str) -> object:
    return parse_claims(text.encode(), Path("f.toml"))


def test_review_tables_of_the_file_and_of_a_claim_are_read() -> None:
    text = (
        HEAD
        + "\n[review]\nreviewers = 2\nblind = true\n"
        + CLAIM_TOML.format(extra="review = { reviewers = 3 }")
    )
    claims = parse_claims(text.encode(), Path("f.toml"))
    assert claims.review == ReviewSpec(2, True)
    assert claims.claims[0].review == ReviewSpec(3, None)  # blind: the file's applies
    plain = parse_claims((HEAD + CLAIM_TOML.format(extra="")).encode(), Path("f.toml"))
    assert plain.review == ReviewSpec() and plain.claims[0].review == ReviewSpec()


@pytest.mark.parametrize(
    ("review", "line", "message"),
    [
        ("[review]\nreviewers = 0\n", 2, "reviewers must be a whole number from 1 to 10, not 0"),
        ("[review]\nreviewers = 11\n", 2, "from 1 to 10, not 11"),
        ('[review]\nreviewers = "2"\n', 2, "not '2'"),
        ("[review]\nreviewers = true\n", 2, "not True"),
        ('[review]\nblind = "yes"\n', 2, "blind must be true or false, not 'yes'"),
        ("[review]\nreviewrs = 2\n", 2, "unknown key 'reviewrs' (allowed: blind, reviewers)"),
        ('review = "dual"\n', 1, "review must be a table"),
    ],
)
def test_bad_review_settings_are_one_line_errors_with_their_line(
    review: str, line: int, message: str
) -> None:
    with pytest.raises(ClaimsFileError) as error:
        parse(review + HEAD + CLAIM_TOML.format(extra=""))
    (problem,) = str(error.value).splitlines()
    assert problem.startswith(f"f.toml:{line}: ") and message in problem


def test_a_bad_claim_review_names_the_claim_line() -> None:
    text = HEAD + CLAIM_TOML.format(extra="review = { reviewers = -1, blind = 1 }")
    with pytest.raises(ClaimsFileError) as error:
        parse(text)
    problems = str(error.value).splitlines()
    assert len(problems) == 2 and all(p.startswith("f.toml:8:") for p in problems)


def status_of(environ: dict[str, str]) -> dict[str, object]:
    claims = json.loads(run(environ, "status", "--json").stdout)["claims"]
    return next(c for c in claims if c["claim"] == CLAIM)  # type: ignore[no-any-return]


def test_set_review_stores_the_protocol_of_the_article_and_of_a_claim(
    env: dict[str, str],  # noqa: F811
) -> None:
    assert status_of(env)["review"] == {"reviewers": 1, "blind": False}
    done = run(env, "claims", "set-review", "ketamine-infusion-chronic-pain", "--reviewers", "2")
    assert done.exit_code == 0, done.stderr
    assert (
        done.stdout
        == "article 'ketamine-infusion-chronic-pain': 2 reviewer(s) per study, open review\n"
    )
    assert status_of(env)["review"] == {"reviewers": 2, "blind": False}
    done = run(env, "claims", "set-review", CLAIM, "--blind", "--json")
    assert json.loads(done.stdout) == {
        "article": "ketamine-infusion-chronic-pain",
        "claim": CLAIM,
        "reviewers": 2,
        "blind": True,
    }
    done = run(env, "claims", "set-review", CLAIM, "--reviewers", "3", "--no-blind")
    assert status_of(env)["review"] == {"reviewers": 3, "blind": False}
    assert "review: 3 reviewer(s) per study" in run(env, "status").stdout


def test_set_review_refuses_unknown_targets_and_nothing_to_set(
    env: dict[str, str],  # noqa: F811
) -> None:
    unknown = run(env, "claims", "set-review", "nope", "--reviewers", "2")
    assert unknown.exit_code == 2
    assert unknown.stderr.count("\n") == 1 and "unknown claim or article 'nope'" in unknown.stderr
    nothing = run(env, "claims", "set-review", CLAIM)
    assert nothing.exit_code == 2 and "nothing to set" in nothing.stderr
    too_many = run(env, "claims", "set-review", CLAIM, "--reviewers", "11")
    assert too_many.exit_code == 2


def test_a_claims_file_review_is_stored_at_refresh_and_set_review_keeps_the_rest(
    env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.claims_files import BUNDLED

    text = BUNDLED.read_text(encoding="utf-8")
    marked = tmp_path / "claims.toml"
    marked.write_text("[review]\nblind = true\n\n" + text, encoding="utf-8")
    assert run(env, "claims", "set-review", CLAIM, "--reviewers", "2").exit_code == 0
    assert run(env, "refresh", str(marked), "--claim", CLAIM).exit_code == 0
    assert status_of(env)["review"] == {"reviewers": 2, "blind": True}


def judge(environ: dict[str, str], pmid: str, verdict: str, reviewer: str) -> None:
    args = ("review", "set", CLAIM, pmid, "--verdict", verdict, "--reviewer", reviewer)
    result = run(environ, *args)
    assert result.exit_code == 0, result.stderr


def test_blind_review_hides_the_others_verdicts_until_you_have_judged(
    env: dict[str, str],  # noqa: F811
) -> None:
    run(env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    judge(env, "30000001", "supports", "ann")

    bob = {**env, "EVIDENCE_REVIEWER": "bob"}
    shown = json.loads(run(bob, "review", "show", CLAIM, "--json").stdout)
    assert shown == []  # ann's verdict is hidden from bob, who has not judged
    queue = json.loads(run(bob, "review", "queue", CLAIM, "--json").stdout)
    assert "30000001" in {i["pmid"] for i in queue}  # still needs bob's verdict
    ann_queue = json.loads(run(env, "review", "queue", CLAIM, "--reviewer", "ann", "--json").stdout)
    assert "30000001" not in {i["pmid"] for i in ann_queue}
    exported = json.loads(run(env, "export", "--as-reviewer", "bob").stdout)
    study = next(
        s
        for c in exported["claims"]
        if c["id"] == CLAIM
        for s in c["studies"]
        if s["pmid"] == "30000001"
    )
    assert study["verdicts"] == [] and "ann" not in json.dumps(study)
    own = json.loads(run(env, "export", "--as-reviewer", "ann").stdout)
    assert "supports" in json.dumps(own)

    judge(env, "30000001", "contradicts", "bob")
    (pair,) = json.loads(run(bob, "review", "show", CLAIM, "--json").stdout)
    assert pair["current"] == {"ann": "supports", "bob": "contradicts"} and not pair["hidden"]
    queue = json.loads(run(bob, "review", "queue", CLAIM, "--json").stdout)
    assert "30000001" not in {i["pmid"] for i in queue}


def test_open_review_shows_everything_to_everyone(env: dict[str, str]) -> None:  # noqa: F811
    judge(env, "30000001", "supports", "ann")
    shown = json.loads(run(env, "review", "show", CLAIM, "--reviewer", "bob", "--json").stdout)
    assert [p["current"] for p in shown] == [{"ann": "supports"}]


def test_claims_check_json_shows_the_review_settings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        HEAD + "\n[review]\nreviewers = 2\n" + CLAIM_TOML.format(extra="review = { blind = true }"),
        encoding="utf-8",
    )
    done = run(
        {"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"},
        "claims",
        "check",
        str(path),
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["review"] == {"reviewers": 2, "blind": None}
    assert shown["claims"][0]["review"] == {"reviewers": None, "blind": True}
