"""The PubMed query checker and parser: problems with their columns, the AST, real queries."""

from __future__ import annotations

import gc
import html
import re
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.domain.errors import EvidenceError
from evidence.domain.query_syntax import (
    FIELD_TAGS,
    And,
    Node,
    Not,
    Or,
    Problem,
    QuerySyntaxError,
    Range,
    Term,
    check_query,
    parse_query,
    render,
)
from evidence.domain.query_tokens import DATE_FIELDS, PROXIMITY_FIELDS

CLAIMS_FILE = Path(__file__).resolve().parents[1] / "queries" / "ketamine-chronic-pain.toml"


def t(
    text: str, field: str | None = None, *, phrase: bool = False, truncated: bool = False
) -> Term:
    """A term; columns do not take part in comparisons."""
    return Term(text, field, phrase, truncated)


def only_problem(term: str) -> Problem:
    problems = check_query(term)
    assert len(problems) == 1, problems
    return problems[0]


# --- problems and their columns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "column", "needle"),
    [
        ("(ketamine[tiab] AND depression[tiab]", 1, "this '(' is never closed"),
        ("ketamine[tiab] AND", 16, "dangling operator AND at the end"),
        ("a AND OR b", 7, "operator OR right after AND"),
        ("a AND AND b", 7, "operator AND right after AND"),
        ("()", 1, "empty parentheses"),
        ("x AND ( )", 7, "empty parentheses"),
        ('"ketamine', 1, "unterminated quote"),
        ('pain AND "ketamine', 10, "unterminated quote"),
        ("ketamine[foo]", 9, "unknown field tag [foo]"),
        ("ketamine[Title Abstract Words]", 9, "unknown field tag [Title Abstract Words]"),
        ("ketamine[tiab", 9, "unclosed '['"),
        ("ketamine[tiab OR pain[tiab]", 9, "unclosed '['"),
        ("[tiab]", 1, "field tag [tiab] has nothing before it"),
        ("pain AND [mh]", 10, "field tag [mh] has nothing before it"),
        ("(a OR b)[tiab]", 9, "field tag [tiab] after ')': tag each term, not a group"),
        ("keta*mine", 5, "'*' must end a word"),
        ("*ketamine", 1, "'*' with no word before it"),
        ('"keta*mine pain"[tiab]', 6, "'*' must end a word"),
        ("a) OR b", 2, "this ')' has no '('"),
        ("AND ketamine", 1, "dangling operator AND at the start"),
        ("(OR ketamine)", 2, "operator OR right after '('"),
        ("(ketamine NOT)", 11, "dangling operator NOT before ')'"),
        ('ketamine AND ""', 14, 'empty phrase ""'),
        ("ketamine[]", 9, "empty field tag []"),
        ("ketamine]", 9, "stray ']'"),
        ("2000:20x0[dp]", 6, "range bound '20x0' is not a date"),
        ("2000/13:2010[dp]", 1, "range bound '2000/13' is not a date"),
        ("1:99x[pmid]", 3, "range bound '99x' is not a PMID"),
        ("2000[dp] : 2010[edat]", 5, "range tags differ: [dp] and [edat]"),
        ("2000[dp] :", 10, "stray ':'"),
        ("2000[tiab] : 2010[tiab]", 18, "a range needs a date tag or [uid]"),
        ('"a b"[mh:~3]', 6, "proximity [mh:~3] works only with [ti], [tiab] or [ad]"),
        ("ketamine[tiab:~3]", 9, "proximity [tiab:~3] needs a quoted phrase"),
        ('"a b"[tiab:~x]', 6, "bad proximity"),
        ('"a b"[tiab:~²]', 6, "bad proximity"),
        ('"a b"[tiab:~' + "9" * 5000 + "]", 6, "bad proximity"),
        ("２０００:2010[dp]", 1, "range bound '２０００' is not a date"),
        ("1:" + "9" * 5000 + "[uid]", 3, "is not a PMID"),
        ("ketamine[ti:noexp]", 9, "unknown field tag [ti:noexp]"),
        ("#2 AND pain", 1, "search history reference #2"),
        ("", 1, "empty query"),
        (" \n ", 1, "empty query"),
    ],
)
def test_a_problem_is_reported_at_its_column(term: str, column: int, needle: str) -> None:
    problem = only_problem(term)
    assert problem.column == column
    assert needle in problem.message


def test_every_problem_is_reported_in_column_order() -> None:
    term = '(a[xyz] AND OR "b) AND c[tiab'
    problems = check_query(term)
    assert [(p.column, p.message.split()[0]) for p in problems] == [
        (1, "unbalanced"),
        (3, "unknown"),
        (13, "operator"),
        (16, "unterminated"),
    ]


def test_the_problem_list_is_capped_with_a_count_of_the_rest() -> None:
    problems = check_query("x[foo] " * 80)
    assert len(problems) == 50
    assert problems[-1] == Problem(345, "31 more problems from here")


def test_lower_case_operators_are_words() -> None:
    assert parse_query("pain and fatigue or not") == And(
        tuple(t(word) for word in ("pain", "and", "fatigue", "or", "not"))
    )


def test_the_error_lists_every_problem_and_prints_the_first_on_one_line() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query("(ketamine[foo] AND")
    error = caught.value
    assert isinstance(error, EvidenceError)
    assert error.exit_code == 2
    assert str(error) == "col 1: unbalanced parenthesis: this '(' is never closed"
    assert [p.column for p in error.problems] == [1, 10, 16]
    assert error.problems == tuple(check_query("(ketamine[foo] AND"))
    assert str(QuerySyntaxError([])) == "col 1: invalid query"


def test_long_user_text_is_shortened_in_messages() -> None:
    problem = only_problem(f"x[{'y' * 500}\n z]")
    assert "\n" not in problem.message
    assert len(problem.message) < 80


# --- the AST -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "ast"),
    [
        ("a OR b AND c", And((Or((t("a"), t("b"))), t("c")))),
        ("a NOT b OR c", Or((Not(t("a"), t("b")), t("c")))),
        ("a AND b OR c AND d", And((Or((And((t("a"), t("b"))), t("c"))), t("d")))),
        ("a NOT b NOT c", Not(Not(t("a"), t("b")), t("c"))),
        ("a OR (b AND c)", Or((t("a"), And((t("b"), t("c")))))),
        ("a NOT (b OR c)", Not(t("a"), Or((t("b"), t("c"))))),
        ("(a AND b) AND c", And((And((t("a"), t("b"))), t("c")))),
        ("a AND b AND c", And((t("a"), t("b"), t("c")))),
        ("a b", And((t("a"), t("b")))),
        ("a b OR c", Or((And((t("a"), t("b"))), t("c")))),
        ("a (b OR c)", And((t("a"), Or((t("b"), t("c")))))),
        ("((a))", t("a")),
        ("x[Title/Abstract]", t("x", "tiab")),
        ("x[MeSH Terms:noexp]", t("x", "mh:noexp")),
        ("x[MeSH Major Topic]", t("x", "majr")),
        ("x [ mesh ]", t("x", "mh")),
        ("neuroplastic*[tiab]", t("neuroplastic", "tiab", truncated=True)),
        ('"NMDA antagonist*"[tiab]', t("NMDA antagonist", "tiab", phrase=True, truncated=True)),
        ('"Chronic Pain"[mh]', t("Chronic Pain", "mh", phrase=True)),
        ('"ketamine"', t("ketamine", phrase=True)),
        ("randomized controlled trial[pt]", t("randomized controlled trial", "pt", phrase=True)),
        ('a "b c"[ti]', And((t("a"), t("b c", "ti", phrase=True)))),
        ('"a b" c[ti]', And((t("a b", phrase=True), t("c", "ti")))),
        ('"a b"[tiab:~3]', Term("a b", "tiab", True, False, proximity=3)),
        ('"a b"[Title/Abstract : ~ 12]', Term("a b", "tiab", True, False, proximity=12)),
        ("2000:2010[dp]", Range("2000", "2010", "dp")),
        ("1:999999[uid]", Range("1", "999999", "uid")),
        ("2020/01/01:2020/12/31[mdat]", Range("2020/01/01", "2020/12/31", "mdat")),
        ("2010/01/01:2012/12/31[Date - Publication]", Range("2010/01/01", "2012/12/31", "dp")),
        ("2012/09/25[EDAT] : 2012/11/24[EDAT]", Range("2012/09/25", "2012/11/24", "edat")),
        ("2012 : 2013[dp]", Range("2012", "2013", "dp")),
        ("pain 2000:2010[dp]", And((t("pain"), Range("2000", "2010", "dp")))),
        ("covid:19[tiab]", t("covid:19", "tiab")),
        ("2020[dp]", t("2020", "dp")),
    ],
)
def test_the_ast(term: str, ast: Node) -> None:
    assert parse_query(term) == ast


def test_columns_point_into_the_term() -> None:
    node = parse_query('(a OR "b c"[ti]) AND 2000:2010[dp]')
    assert isinstance(node, And)
    group, dates = node.items
    assert isinstance(group, Or) and isinstance(dates, Range)
    assert [item.column for item in group.items if isinstance(item, Term)] == [2, 7]
    assert dates.column == 22


def test_columns_do_not_take_part_in_equality() -> None:
    assert Term("a", None, False, False, 1) == Term("a", None, False, False, 9)
    assert Term("a", None, False, False) != Term("a", None, True, False)
    assert Term("a", "ti", True, False, proximity=2) != Term("a", "ti", True, False)


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (And((Or((t("a"), t("b"))), t("c"))), "(a OR b) AND c"),
        (Not(t("a"), Or((t("b"), t("c")))), "a NOT (b OR c)"),
        (Term("a b", "tiab", True, True, proximity=2), '"a b*"[tiab:~2]'),
        (Range("2000", "2010", "dp"), "2000:2010[dp]"),
        (t("x", "mh:noexp"), "x[mh:noexp]"),
    ],
)
def test_render(node: Node, text: str) -> None:
    assert render(node) == text


# --- field tags ----------------------------------------------------------------------------

DOCUMENTED_TAGS = {
    "tiab": "tiab", "Title/Abstract": "tiab", "mh": "mh", "MeSH Terms": "mh", "mesh": "mh",
    "mh:noexp": "mh:noexp", "MeSH Terms:noexp": "mh:noexp", "majr": "majr",
    "MeSH Major Topic": "majr", "majr:noexp": "majr:noexp", "sh": "sh", "Subheading": "sh",
    "sh:noexp": "sh:noexp", "pt": "pt", "Publication Type": "pt", "la": "la", "Language": "la",
    "lang": "la", "au": "au", "Author": "au", "1au": "1au", "lastau": "lastau", "ta": "ta",
    "Journal": "ta", "jour": "ta", "ti": "ti", "Title": "ti", "ab": "ab", "tw": "tw",
    "Text Word": "tw", "all": "all", "All Fields": "all", "uid": "uid", "pmid": "uid",
    "dp": "dp", "Publication Date": "dp", "pdat": "dp", "Date - Publication": "dp",
    "edat": "edat", "Entry Date": "edat", "Date - Entry": "edat", "Date - Entrez": "edat",
    "mdat": "mdat", "Modification Date": "mdat", "Date - Modification": "mdat", "lr": "mdat",
    "crdt": "crdt", "Create Date": "crdt", "Date - Create": "crdt", "dcom": "dcom",
    "Date - Completion": "dcom", "nm": "nm", "Supplementary Concept": "nm", "ad": "ad",
    "Affiliation": "ad", "sb": "sb", "Filter": "sb", "gr": "gr", "is": "is", "vi": "vi",
    "Volume": "vi", "ip": "ip", "pg": "pg", "si": "si", "ot": "ot", "cois": "cois",
    "auid": "auid", "ps": "ps", "rn": "rn", "tt": "tt", "book": "book", "ed": "ed",
    "ir": "ir", "fau": "fau", "cn": "cn", "pl": "pl", "mhda": "mhda", "pa": "pa",
    "Pharmacological Action": "pa",
}  # fmt: skip


@pytest.mark.parametrize(("tag", "canonical"), sorted(DOCUMENTED_TAGS.items()))
def test_documented_tags_are_accepted_and_normalised(tag: str, canonical: str) -> None:
    assert FIELD_TAGS[tag.lower()] == canonical
    for spelling in (tag, tag.upper(), f" {tag.lower()} "):
        assert parse_query(f"x[{spelling}]") == t("x", canonical)


def test_the_tag_table_is_lower_case_and_maps_to_canonical_tags() -> None:
    canonical = set(FIELD_TAGS.values())
    assert all(spelling == spelling.lower() for spelling in FIELD_TAGS)
    assert all(FIELD_TAGS[tag] == tag for tag in canonical)


# --- real queries --------------------------------------------------------------------------


def claims_file_terms() -> list[str]:
    claims = tomllib.loads(CLAIMS_FILE.read_text(encoding="utf-8"))["claims"]
    queries = [query for claim in claims for query in claim["queries"]]
    return [query["term"] for query in queries] + [
        term for query in queries for term in query.get("filters", [])
    ]


def test_the_claims_file_has_terms_and_filters() -> None:
    terms = claims_file_terms()
    assert len(terms) >= 12
    assert "humans[mh]" in terms


@pytest.mark.parametrize("term", claims_file_terms())
def test_every_term_of_the_claims_file_passes(term: str) -> None:
    assert check_query(term) == []
    assert parse_query(render(parse_query(term))) == parse_query(term)


# Translations from other Entrez databases (protein, nucleotide, PMC) and a history
# reference: their syntax is fine, but these are not PubMed fields.
NOT_PUBMED = {
    "000200020[molecular weight]": ["unknown field tag [molecular weight]"],
    "biomol trna[prop]": ["unknown field tag [prop]"],
    "#2": ["search history reference #2 cannot be used here"],
    '("stem cells"[MeSH Terms] OR stem cells[Acknowledgments] OR stem cells[Figure/Table '
    "Caption] OR stem cells[Section Title] OR stem cells[Body - All Words] OR stem "
    "cells[Title] OR stem cells[Abstract]) AND free fulltext[filter]": [
        "unknown field tag [Acknowledgments]",
        "unknown field tag [Figure/Table Caption]",
        "unknown field tag [Section Title]",
        "unknown field tag [Body - All Words]",
    ],
}


def real_translations(shared_dir: Path) -> list[str]:
    """Every non-empty QueryTranslation of the real esearch answers under shared/pubmed."""
    sources = shared_dir / "pubmed" / "sources"
    if not sources.is_dir():
        pytest.skip(f"real esearch answers not found at {sources} (set EVIDENCE_SHARED_DIR)")
    found: set[str] = set()
    for path in sorted(sources.rglob("*.xml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "<eSearchResult" in text:
            pattern = r"<QueryTranslation>(.*?)</QueryTranslation>"
            found.update(html.unescape(query) for query in re.findall(pattern, text, re.S))
    return sorted(query for query in found if query.strip())


@pytest.mark.shared
def test_every_real_query_translation_parses(shared_dir: Path) -> None:
    translations = real_translations(shared_dir)
    pubmed = [query for query in translations if query not in NOT_PUBMED]
    assert len(pubmed) >= 12, translations
    assert set(NOT_PUBMED) <= set(translations)
    for query in pubmed:
        assert check_query(query) == [], query
        assert parse_query(render(parse_query(query))) == parse_query(query)
    for query, messages in NOT_PUBMED.items():
        assert [problem.message for problem in check_query(query)] == messages


def test_a_translation_keeps_its_structure() -> None:
    translation = (
        '("neoplasms"[MeSH Terms] OR "cancer"[All Fields]) AND "humans"[MeSH Terms:noexp] '
        "AND 2010/01/01:2012/12/31[Date - Publication]"
    )
    assert parse_query(translation) == And(
        (
            Or((t("neoplasms", "mh", phrase=True), t("cancer", "all", phrase=True))),
            t("humans", "mh:noexp", phrase=True),
            Range("2010/01/01", "2012/12/31", "dp"),
        )
    )


# --- any input: properties and bounds ------------------------------------------------------

PUBMED_TOKENS = [
    "ketamine", "pain", "NMDA", "and", "or", "not", "AND", "OR", "NOT", " AND ", " OR ",
    " NOT ", "(", ")", '"', "[", "]", "[tiab]", "[mh]", "[MeSH Terms:noexp]", "[xyz]",
    "[tiab:~3]", "[Date - Publication]", "[uid]", "[]", '""', "*", ":", " : ", "2000",
    "2010/01/31", "1:99", "#2", " ", "  ", "\n", "-", "/", ",", "~",
]  # fmt: skip

pubmed_like = st.lists(
    st.one_of(st.sampled_from(PUBMED_TOKENS), st.text(max_size=3)), max_size=40
).map("".join)


def check_any(term: str) -> None:
    """check_query and parse_query on ``term``: no other exception, agreeing, well under 1 s."""
    start = time.perf_counter()
    problems = check_query(term)
    assert all(isinstance(problem, Problem) for problem in problems)
    assert all(1 <= problem.column <= max(len(term), 1) for problem in problems)
    assert all(problem.message and "\n" not in problem.message for problem in problems)
    assert problems == sorted(problems, key=lambda problem: problem.column)
    try:
        node = parse_query(term)
    except QuerySyntaxError as error:
        assert list(error.problems) == problems and problems
    else:
        assert problems == []
        assert parse_query(render(node)) == node
    assert time.perf_counter() - start < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_checked_without_error(term: str) -> None:
    check_any(term)


@settings(max_examples=300, deadline=None)
@given(pubmed_like)
def test_any_pubmed_like_text_is_checked_without_error(term: str) -> None:
    check_any(term)


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
FIELDS = st.sampled_from([None, *sorted(set(FIELD_TAGS.values()))])


@st.composite
def terms(draw: st.DrawFn) -> Term:
    field = draw(FIELDS)
    if not draw(st.booleans()):
        return Term(draw(WORDS), field, False, draw(st.booleans()))
    text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=3)))
    near = field in PROXIMITY_FIELDS and draw(st.booleans())
    proximity = draw(st.integers(0, 99)) if near else None
    return Term(text, field, True, draw(st.booleans()), proximity=proximity)


@st.composite
def ranges(draw: st.DrawFn) -> Range:
    field = draw(st.sampled_from(sorted(DATE_FIELDS | {"uid"})))
    if field == "uid":
        low, high = sorted(draw(st.lists(st.integers(1, 10**9), min_size=2, max_size=2)))
        return Range(str(low), str(high), field)
    dates = st.dates().filter(lambda day: day.year >= 1000).map(lambda day: f"{day:%Y/%m/%d}")
    return Range(draw(dates), draw(dates), field)


def groups(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    items = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(items.map(And), items.map(Or), st.builds(Not, children, children))


asts = st.recursive(st.one_of(terms(), ranges()), groups, max_leaves=15)


@settings(max_examples=300, deadline=None)
@given(asts)
def test_a_rendered_ast_parses_back_to_itself(ast: Node) -> None:
    assert check_query(render(ast)) == []
    assert parse_query(render(ast)) == ast


def quickly(term: str) -> list[Problem]:
    """check_query on a long input (its cost grows linearly: see the test below)."""
    return check_query(term)


def cpu_seconds(term: str) -> float:
    """The least CPU time of three checks of ``term`` (CPU, not wall: a busy machine), with
    the cyclic garbage collector paused: its passes over many live objects are not the
    checker's cost."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            start = time.process_time()
            check_query(term)
            times.append(time.process_time() - start)
    finally:
        gc.enable()
    return min(times)


@pytest.mark.parametrize("unit", ["(", ")", "(a AND ", "a OR "])
def test_checking_grows_linearly_with_the_input(unit: str) -> None:
    small, large = cpu_seconds(unit * 10_000), cpu_seconds(unit * 100_000)
    assert large < 40 * max(small, 0.001), (small, large)  # 10x input: ~10x linear, 100x quadratic


def test_deep_nesting_is_quick_and_does_not_overflow() -> None:
    depth = 100_000
    problems = quickly("(" * depth)
    assert problems[0] == Problem(1, "unbalanced parenthesis: this '(' is never closed")
    assert problems[-1].message == f"{depth - 49} more problems from here"
    assert quickly(")" * depth)[0] == Problem(1, "unbalanced parenthesis: this ')' has no '('")
    assert quickly("(" * (depth // 2) + "a" + ")" * (depth // 2)) == []
    assert parse_query("(((a)))") == t("a")
    nested = "(a AND " * (depth // 7) + "b" + ")" * (depth // 7)
    assert quickly(nested) == []
    assert render(parse_query(nested)).count("(") == depth // 7 - 1


@pytest.mark.parametrize(
    "term",
    [
        " OR ".join(f"w{i}[tiab]" for i in range(10_000)),
        '"' + "a" * 100_000,
        "[" * 100_000,
        "a*" * 50_000,
        "x[" + "y" * 100_000,
        ":" * 100_000,
        "AND " * 25_000,
    ],
    ids=["10000-terms", "open-quote", "brackets", "stars", "open-tag", "colons", "operators"],
)
def test_long_inputs_are_checked_in_linear_time(term: str) -> None:
    quickly(term)


def test_a_colon_between_words_is_not_a_range() -> None:
    """Found by hypothesis: ``ketamine* : ketamine`` parsed into a word its own rendering
    could not parse again; only dates and PMIDs make ranges."""
    assert [p.message for p in check_query("ketamine* : ketamine")] == [
        "stray ':' (a range is written low:high[tag])"
    ]
    assert check_query("2000 : 2010[dp]") == []
