"""Claims-file limits at their boundaries: just under passes, just over is one FILE:LINE error,
refused quickly and before anything is stored. Pathological files (deep nesting, deep dotted
keys, huge statements) are refused in well under the time tomllib would take."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evidence.domain.claims import load_claims
from evidence.domain.claims_limits import LIMITS, structure_problem
from evidence.domain.errors import ClaimsFileError

HEADER = '[article]\nslug = "limits"\ntitle = "Limits"\n\n'
BOUND_SECONDS = 5.0  # generous: catches catastrophes (minutes), not noise


def claim(i: int, *, statement: str = "Drug X helps.", queries: int = 1, term: str = "x[tiab]",
          filters: int = 0) -> str:  # fmt: skip
    blocks = [f'[[claims]]\nid = "c{i}"\nstatement = "{statement}"\n']
    for q in range(queries):
        listed = ", ".join(f'"f{k}[tiab]"' for k in range(filters))
        extra = f"filters = [{listed}]\n" if filters else ""
        blocks.append(f'[[claims.queries]]\nlabel = "q{q}"\nterm = "{term}"\n{extra}')
    return "\n".join(blocks)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def refused(path: Path) -> str:
    started = time.perf_counter()
    with pytest.raises(ClaimsFileError) as caught:
        load_claims(path)
    assert time.perf_counter() - started < BOUND_SECONDS
    message = str(caught.value)
    assert message.startswith(f"{path}:") and "Traceback" not in message
    return message


def test_file_size_boundary(tmp_path: Path) -> None:
    body = claim(0)
    padding = LIMITS.max_bytes - len((HEADER + body).encode()) - 2
    fits = write(tmp_path, body + "#" + "x" * padding + "\n")
    assert fits.stat().st_size == LIMITS.max_bytes
    assert load_claims(fits).claims[0].id == "c0"
    over = write(tmp_path, body + "#" + "x" * (padding + 1) + "\n")
    assert f"{over}:1: the file is over 1,000,000 bytes" in refused(over)


def test_a_50_mb_statement_is_refused_by_size_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, claim(0, statement="word " * 10_000_000))
    assert "over 1,000,000 bytes" in refused(path)


def test_claims_count_boundary(tmp_path: Path) -> None:
    many = LIMITS.max_claims
    assert (
        len(load_claims(write(tmp_path, "\n".join(claim(i) for i in range(many)))).claims) == many
    )
    message = refused(write(tmp_path, "\n".join(claim(i) for i in range(many + 1))))
    assert f"more than {many} claims" in message


def test_queries_per_claim_boundary(tmp_path: Path) -> None:
    most = LIMITS.max_queries
    assert len(load_claims(write(tmp_path, claim(0, queries=most))).claims[0].queries) == most
    assert f"more than {most} queries" in refused(write(tmp_path, claim(0, queries=most + 1)))


def test_filters_boundary(tmp_path: Path) -> None:
    most = LIMITS.max_filters
    (query,) = load_claims(write(tmp_path, claim(0, filters=most))).claims[0].queries
    assert len(query.filters) == most
    assert f"more than {most} filters" in refused(write(tmp_path, claim(0, filters=most + 1)))


def test_statement_length_boundary(tmp_path: Path) -> None:
    most = LIMITS.max_statement
    assert load_claims(write(tmp_path, claim(0, statement="a" * most))).claims[0].statement
    message = refused(write(tmp_path, claim(0, statement="a" * (most + 1))))
    assert f"'statement' is {most + 1:,} characters; the limit is {most:,}" in message
    assert message.split(":")[1] == "7"  # the statement's line


def test_term_length_boundary(tmp_path: Path) -> None:
    most = LIMITS.max_term
    assert load_claims(write(tmp_path, claim(0, term="a" * most))).claims[0].queries[0].term
    message = refused(write(tmp_path, claim(0, term="a" * (most + 1))))
    assert f"'term' is {most + 1:,} characters" in message


@pytest.mark.parametrize("depth", [LIMITS.max_depth, LIMITS.max_depth + 1])
def test_nesting_boundary(depth: int) -> None:
    text = HEADER + "x = " + "[" * depth + "1" + "]" * depth + "\n"
    problem = structure_problem(text)
    if depth <= LIMITS.max_depth:
        assert problem is None
    else:
        assert problem == (5, f"nested more than {LIMITS.max_depth} levels deep")


def test_100000_levels_of_nesting_are_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"{path}:5: nested more than" in refused(path)
    table = write(tmp_path, "x = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n")
    assert "nested more than" in refused(table)


def test_a_deep_dotted_key_is_refused_quickly(tmp_path: Path) -> None:
    parts = LIMITS.max_depth
    assert structure_problem(".".join(["a"] * parts) + " = 1\n") is None
    assert structure_problem(".".join(["a"] * (parts + 1)) + " = 1\n") is not None
    path = write(tmp_path, ".".join(["a"] * 100_000) + " = 1\n")  # ~200 KB
    assert "a dotted key with more than" in refused(path)


def test_brackets_and_dots_inside_strings_and_comments_do_not_count(tmp_path: Path) -> None:
    term = "((((((((((a[tiab]))))))))))"  # deep in a string: PubMed syntax, not TOML nesting
    text = claim(0, statement="v1.2.3.4.5.6.7.8.9.10 [[[[[[[[[[", term=term)
    text += "# [[[[[[[[[[[[ a.b.c.d.e.f.g.h.i.j\n"
    assert load_claims(write(tmp_path, text)).claims[0].queries[0].term == term
    multi = HEADER + 'x = """\n[[[[[[[[[[ "quoted" \\""" \n"""\n'
    assert structure_problem(multi) is None
