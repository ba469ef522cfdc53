"""Property tests (hypothesis): arbitrary input to the claims loader and the efetch parser
gives a result or one error of the tool's own exception tree, never another exception, and
quickly. The PubMed query syntax checker has its own in tests/test_query_syntax.py; crashes a
coverage-guided run (``make fuzz``) finds are kept in tests/fuzz_regressions/ and replayed."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.domain.claims import ClaimsFile, parse_claims
from evidence.domain.errors import ClaimsFileError, EvidenceError, ParseError
from evidence.domain.records import Article, DeletedCitation
from evidence.sources.pubmed_xml.parser import parse
from tests.claims_files import BUNDLED

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
BOUND_SECONDS = 5.0  # a catastrophe guard, not a timing test
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOML_PIECES = st.sampled_from(
    [
        "[article]\n", "[[claims]]\n", "[[claims.queries]]\n", 'slug = "a"\n', 'title = "t"\n',
        'id = "c"\n', 'statement = "s"\n', 'label = "l"\n', 'term = "x[tiab]"\n',
        'term = "(x AND"\n', "filters = [", '"humans[mh]"', "]\n", "mindate = 2000\n",
        'maxdate = "2020/13/40"\n', 'datetype = "mdat"\n', "{", "}", "[", "]", ".", "=", '"',
        "'", '"""', "\n", "#", "a.b.c", "1979-05-27", "\\u0000", "\x00", "é",
    ]
)  # fmt: skip


def load(raw: bytes) -> ClaimsFile | ClaimsFileError:
    started = time.perf_counter()
    try:
        result: ClaimsFile | ClaimsFileError = parse_claims(raw, Path("fuzz.toml"))
    except ClaimsFileError as error:
        assert "\n" not in str(error).splitlines()[0]
        result = error
    assert time.perf_counter() - started < BOUND_SECONDS
    return result


@PROPERTY
@given(st.binary(max_size=4096))
def test_claims_loader_on_arbitrary_bytes(raw: bytes) -> None:
    load(raw)


@PROPERTY
@given(st.lists(TOML_PIECES, max_size=60).map("".join))
def test_claims_loader_on_toml_shaped_text(text: str) -> None:
    load(text.encode("utf-8", "surrogatepass"))


@PROPERTY
@given(st.data())
def test_claims_loader_on_mutations_of_the_bundled_file(data: st.DataObject) -> None:
    raw = bytearray(BUNDLED.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at : at + data.draw(st.integers(0, 4))] = data.draw(st.binary(max_size=6))
    load(bytes(raw))


def parsed(source: bytes) -> list[Article | DeletedCitation] | ParseError:
    started = time.perf_counter()
    try:
        result: list[Article | DeletedCitation] | ParseError = list(parse(source))
    except ParseError as error:
        result = error
    assert time.perf_counter() - started < BOUND_SECONDS
    return result


@PROPERTY
@given(st.binary(max_size=4096))
def test_efetch_parser_on_arbitrary_bytes(source: bytes) -> None:
    parsed(source)


@PROPERTY
@given(st.data())
def test_efetch_parser_on_mutations_of_real_shaped_records(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.xml"))))
    raw = bytearray((FIXTURES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        piece = data.draw(st.sampled_from([b"<", b">", b"&", b"</", b"<!ENTITY", b"\x00", b""]))
        raw[at : at + data.draw(st.integers(0, 12))] = piece
    result = parsed(bytes(raw))
    if not isinstance(result, ParseError):
        assert all(isinstance(r, Article | DeletedCitation) for r in result)


def test_kept_fuzz_findings_stay_fixed() -> None:
    """Every crash ``make fuzz`` kept (``claims-*``, ``parser-*``) now gives a result or the
    tool's own error."""
    for case in sorted(REGRESSIONS.glob("[cp]*-*")):
        raw = case.read_bytes()
        try:
            if case.name.startswith("claims-"):
                parse_claims(raw, case)
            else:
                list(parse(raw))
        except EvidenceError:
            pass
