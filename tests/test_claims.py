"""Claims files: the bundled file validates; bad files fail with file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.domain.claims import load_claims
from evidence.domain.errors import ClaimsFileError

BUNDLED = Path(__file__).resolve().parents[1] / "queries" / "ketamine-chronic-pain.toml"

GOOD = """\
[article]
slug = "demo"
title = "Demo article"

[[claims]]
id = "first"
statement = "Drug X relieves pain."

[[claims.queries]]
label = "main"
term = "drug x[tiab] AND pain[tiab]"
filters = ["humans[mh]"]

[[claims]]
id = "second"
statement = "Drug X lowers cytokines."

[[claims.queries]]
label = "main"
term = "drug x[tiab] AND cytokines[mh]"
mindate = 2000
maxdate = "2024/12/31"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_claims_file_has_the_article_claims() -> None:
    claims = load_claims(BUNDLED)
    ids = [c.id for c in claims.claims]
    for required in (
        "nmda-blockade",
        "neuroplasticity",
        "anti-inflammatory",
        "low-dose-analgesia",
        "infusion-chronic-pain",
    ):
        assert required in ids
    for claim in claims.claims:
        assert claim.statement and claim.queries
        for query in claim.queries:
            assert "[mh]" in query.term and "[tiab]" in query.term


def test_good_file_parses_filters_and_dates(tmp_path: Path) -> None:
    claims = load_claims(write(tmp_path, GOOD))
    first, second = claims.claims
    assert first.queries[0].full_term == "(drug x[tiab] AND pain[tiab]) AND (humans[mh])"
    assert second.queries[0].mindate == "2000"
    assert second.queries[0].maxdate == "2024/12/31"
    assert second.queries[0].datetype == "pdat"
    assert len(claims.sha256) == 64


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ('id = "second"', 'id = "first"', 15, "duplicate claim id 'first'"),
        ('term = "drug x[tiab] AND pain[tiab]"', 'term = "  "', 11, "'term' is empty"),
        ('filters = ["humans[mh]"]', 'filterz = ["humans[mh]"]', 12, "unknown key 'filterz'"),
        ('statement = "Drug X relieves pain."', 'stance = "x"', 7, "unknown key 'stance'"),
        ('statement = "Drug X relieves pain."', "", 5, "missing required key 'statement'"),
        ('maxdate = "2024/12/31"', 'maxdate = "last year"', 22, "maxdate must be YYYY"),
        ('id = "first"', 'id = "First Claim"', 6, "must be lowercase"),
    ],
)
def test_bad_files_name_file_line_and_problem(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ClaimsFileError) as error:
        load_claims(path)
    assert f"{path}:{line}: " in str(error.value)
    assert reason in str(error.value)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('title = "Demo article"', "title = "))
    with pytest.raises(ClaimsFileError, match=r"invalid TOML: .*line 3"):
        load_claims(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClaimsFileError, match="cannot read claims file"):
        load_claims(tmp_path / "nope.toml")


def test_claim_without_queries_is_rejected(tmp_path: Path) -> None:
    text = GOOD.split('[[claims]]\nid = "second"')[0].replace(
        '[[claims.queries]]\nlabel = "main"\nterm = "drug x[tiab] AND pain[tiab]"\n'
        'filters = ["humans[mh]"]\n',
        "",
    )
    with pytest.raises(ClaimsFileError, match="claim 'first' has no queries"):
        load_claims(write(tmp_path, text))


SYNTAX_CASES = [
    # (term line as written, expected FILE:LINE:COL suffix and message fragment)
    ("term = '(ketamine[tiab] AND depression[tiab]'", 9, "'(' is never closed"),
    ('term = "ketamine[tiab] AND"', 24, "dangling operator AND"),
    ('term = "ketamine[tiab] AND OR pain[tiab]"', 28, "operator OR right after AND"),
    ('term = "ketamine[tiab] AND ()"', 28, "empty parentheses"),
    ('term = "ketamine[foo]"', 17, "unknown field tag [foo]"),
    ("term = '\"ketamine AND pain[tiab]'", 9, "unterminated quote"),
]


@pytest.mark.parametrize(("line", "column", "message"), SYNTAX_CASES)
def test_pubmed_syntax_errors_name_file_line_and_column(
    tmp_path: Path, line: str, column: int, message: str
) -> None:
    path = write(tmp_path, GOOD.replace('term = "drug x[tiab] AND pain[tiab]"', line))
    with pytest.raises(ClaimsFileError) as caught:
        load_claims(path)
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"{path}:11:{column}: "), first
    assert message in first


def test_claims_check_and_refresh_refuse_bad_syntax_before_storing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evidence.cli.main import cli

    path = write(tmp_path, GOOD.replace('filters = ["humans[mh]"]', 'filters = ["humans[mhx]"]'))
    db = tmp_path / "never.db"
    runner = CliRunner()
    check = runner.invoke(cli, ["claims", "check", str(path)])
    assert check.exit_code == 2 and "Traceback" not in check.output
    assert f"{path}:12:19: " in check.stderr and "unknown field tag [mhx]" in check.stderr
    refresh = runner.invoke(cli, ["--db", str(db), "refresh", str(path)])
    assert refresh.exit_code == 2 and "unknown field tag [mhx]" in refresh.stderr
    assert not db.exists()


def test_claims_check_without_a_database_creates_none(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from evidence.cli.main import cli

    db = tmp_path / "none.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "claims", "check", str(write(tmp_path, GOOD))]
    )
    assert result.exit_code == 0 and "OK, 2 claims" in result.stdout
    assert not db.exists()
