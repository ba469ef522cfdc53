"""PMIDs held compactly (``evidence.domain.pmids``) and indented JSON written in pieces
(``evidence.cli.json_out``): both read back exactly what the plain structures give."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.cli import json_out
from evidence.domain.audit import pmid_set_sha256, sorted_pmids
from evidence.domain.pmids import (
    PmidArray,
    PmidBuilder,
    canonical_digits,
    compact_pmids,
    distinct_pmids,
    in_pmid_order,
)
from evidence.sources.eutils.client import clean_pmids

digits = st.integers(min_value=0, max_value=10**12).map(str)
any_ids = st.one_of(digits, st.from_regex(r"0[0-9]{1,3}|[0-9]{1,4}", fullmatch=True))


def test_canonical_digits_are_those_int_gives_back() -> None:
    assert all(canonical_digits(p) for p in ("0", "1", "38000000", "9" * 18))
    assert not any(canonical_digits(p) for p in ("", "01", " 1", "1a", "+1", "١", "9" * 19))


@given(st.lists(digits))
def test_digit_pmids_are_compact_and_read_back_as_given(pmids: list[str]) -> None:
    compact = compact_pmids(pmids)
    assert isinstance(compact, PmidArray)
    assert list(compact) == pmids
    assert compact == pmids and tuple(pmids) == compact
    assert len(compact) == len(pmids)
    assert compact[1:3] == pmids[1:3]
    assert all(p in compact for p in pmids)


def test_one_id_that_is_not_canonical_keeps_them_all_as_strings() -> None:
    builder = PmidBuilder()
    builder.extend(["12", "34", "0056", "78"])
    assert builder.build() == ("12", "34", "0056", "78")
    assert isinstance(builder.build(), tuple)
    assert "012" not in compact_pmids(["12"])


def test_a_pmid_array_is_not_hashable_like_the_lists_it_equals() -> None:
    with pytest.raises(TypeError):
        hash(compact_pmids(["1"]))


@given(st.lists(any_ids))
def test_distinct_keeps_first_occurrences_in_order(pmids: list[str]) -> None:
    assert list(distinct_pmids(compact_pmids(pmids))) == list(dict.fromkeys(pmids))


def test_distinct_over_a_wide_span_marks_seen_ones_in_a_set() -> None:
    pmids = ["40000000", "5", "40000000", "7", "5"]  # a bitmap of the span: 5 MB for 3 ids
    assert distinct_pmids(compact_pmids(pmids)) == ("40000000", "5", "7")


@given(st.lists(any_ids))
def test_in_pmid_order_sorts_as_sorted_pmids(pmids: list[str]) -> None:
    assert list(in_pmid_order(pmids)) == sorted_pmids(pmids)


def test_the_pmid_set_hash_is_of_the_sorted_distinct_pmids_as_before() -> None:
    expected = hashlib.sha256(b"2\n9\n10\n").hexdigest()  # numeric order, each once
    assert pmid_set_sha256(compact_pmids(["10", "9", "2", "9"])) == expected
    assert pmid_set_sha256(["10", "9", "2", "9"]) == expected


def test_clean_pmids_keeps_a_compact_array_compact_and_checks_its_length() -> None:
    cleaned = clean_pmids(compact_pmids(["3", "1", "3"]))
    assert isinstance(cleaned, PmidArray) and cleaned == ("3", "1")
    with pytest.raises(ValueError, match="12 digits"):
        clean_pmids(compact_pmids(["1" * 13]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_iter_json_writes_what_json_dumps_writes(value: Any) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    assert "".join(json_out.iter_json(value)) == expected


def test_iter_json_writes_compact_pmids_as_their_list_and_others_with_str() -> None:
    value = {"added": compact_pmids(["1", "22"]), "when": date(2026, 1, 2), "empty": ()}
    plain = {"added": ["1", "22"], "when": "2026-01-02", "empty": []}
    assert "".join(json_out.iter_json(value)) == json.dumps(plain, indent=2)


def test_iter_json_refuses_keys_json_refuses() -> None:
    with pytest.raises(TypeError):
        "".join(json_out.iter_json({(1, 2): 3}))


def test_echo_json_in_buffers_prints_the_same_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(json_out, "BUFFER_CHARS", 5)
    value = {"changes": [{"added": compact_pmids([str(n) for n in range(50)])}], "é": None}
    json_out.echo_json(value)
    plain = {"changes": [{"added": [str(n) for n in range(50)]}], "é": None}
    assert capsys.readouterr().out == json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
