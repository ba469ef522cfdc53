"""PubMed's query syntax over the mirror, on fixture records with hand-checked answers.

Every operator and field tag, on SQLite (FTS5) and PostgreSQL (tsvector). The expected PMIDs
were worked out by reading tests/mirror_xml.py (the fixture records), newest PMID first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evidence.domain.errors import MirrorEmptyError, MirrorSearchError
from evidence.sources.base import SearchQuery, Source
from evidence.sources.mirror.source import MirrorSource
from evidence.store.db import Database
from evidence.store.mirror import search
from tests.mirror_support import loaded_mirror, mirror_source

EXPECTED = {
    "ketamine[tiab]": [113, 112, 110, 109, 108, 104, 103, 101],
    "ketamine[ti]": [113, 112, 110, 109, 101],
    "ketamine[ab]": [113, 109, 108, 104, 103, 101],
    '"Ketamine"[mh]': [113, 112, 110, 109, 106, 103, 102, 101],
    "ketamine[majr]": [113, 112, 109, 106, 101],
    '"Chronic Pain"[majr]': [101],
    '"Pain"[mh:noexp]': [],
    '"drug therapy"[sh]': [101],
    '"adverse effects"[sh]': [103],
    "randomized controlled trial[pt]": [112, 106, 101],
    "ger[la]": [103],
    "german[la]": [103],
    "smith j[au]": [104, 101],
    '"smith ja"[au]': [101],
    '"pain med"[ta]': [101],
    "Neuropharmacology[ta]": [102],
    "107[uid]": [107],
    "101:103[uid]": [103, 102, 101],
    # two full-text parts inside conditions: each keeps its own expression
    "(ketamine[ti] AND 101:200[uid]) OR (nosuchword[tiab] AND 101:200[uid])": [
        113,
        112,
        110,
        109,
        101,
    ],
    "(nosuchword[tiab] AND 101:200[uid]) OR (ketamine[ti] AND 101:200[uid])": [
        113,
        112,
        110,
        109,
        101,
    ],
    "2019:2021[dp]": [104, 101],
    "2019[dp]": [101],
    "2019[pdat]": [101],
    "2015/01[dp]": [102],  # 2015 Jan 20: the month's last day is in
    "2015/01/19:2015/01/21[dp]": [102],
    "2025/06/01:2025/12/31[mdat]": [106],
    "2019/02/01[edat]": [101],
    '"chronic pain"[tiab]': [108],
    "analges*[tiab]": [104],
    "TNF*[tiab]": [103],
    '"C-reactive protein"[tiab]': [103],
    'ketamine[tiab] NOT "chronic pain"[tiab]': [113, 112, 110, 109, 104, 103, 101],
    "(ketamine[ti] OR esketamine[ti]) AND infusion*[tiab]": [109, 106, 101],
    "fibromyalgia": [106],
    "humans": [113, 112, 111, 109, 106, 104, 103, 101],
    "NMDA[tiab] AND magnesium[ti]": [107],
    "ketamine[tiab] AND 2020:3000[dp]": [113, 110, 109, 108, 104],
    "2010:2016[dp] NOT magnesium[ti]": [106, 102],
    '"central sensitization"[tiab] OR "wind-up"[tiab]': [111],
    "systematic[sb]": [104],
    "in vitro[ti]": [110],
    '"handbook of chronic pain"[ti]': [108],
    "subanesthetic[tiab]": [101],
    "headache": [],
}
WITH_MESH_TREE = {
    '"Pain"[mh]': [113, 109, 104, 101],
    '"Pain"[mh:noexp]': [],
    '"Neuralgia"[mh]': [109, 101],
    '"Neuralgia"[mh:noexp]': [101],
    '"Pain"[majr]': [113, 109, 104, 101],
    "ketamine[tiab] AND pain[mh]": [113, 109, 104, 101],
}


@pytest.fixture
def mirror(database_url: str) -> Iterator[tuple[Source, Database]]:
    db = loaded_mirror(database_url)
    yield mirror_source(db), db
    db.dispose()


def found(source: Source, term: str, **dates: str) -> list[int]:
    return [int(p) for p in source.search(SearchQuery(term, **dates)).pmids]


def test_each_operator_and_tag_finds_the_hand_checked_records(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    wrong = {term: found(source, term) for term in EXPECTED}
    assert {t: r for t, r in wrong.items() if r != EXPECTED[t]} == {}


def test_mesh_explodes_through_the_tree_once_it_is_loaded(database_url: str) -> None:
    db = loaded_mirror(database_url, mesh=True)
    source = mirror_source(db)
    assert {t: found(source, t) for t in WITH_MESH_TREE} == WITH_MESH_TREE
    result = source.search(SearchQuery('"Pain"[mh]'))
    assert any("exploded through MeSH desc2026.xml" in w for w in result.warnings)
    db.dispose()


def test_a_wide_explosion_searched_in_chunks_finds_the_same(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = loaded_mirror(database_url, mesh=True)
    source = mirror_source(db)
    monkeypatch.setattr(search, "WIDE", 1)  # every exploded heading is "wide"
    assert {t: found(source, t) for t in WITH_MESH_TREE} == WITH_MESH_TREE
    monkeypatch.setattr(search, "MAX_UNION", 2)  # too many chunks: wider ones
    assert {t: found(source, t) for t in WITH_MESH_TREE} == WITH_MESH_TREE
    db.dispose()


def test_without_a_tree_the_provenance_says_headings_are_exact(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    result = source.search(SearchQuery('"Pain"[mh]'))
    assert result.pmids == ()
    assert any("match the exact heading only" in w for w in result.warnings)
    assert any("no automatic term mapping" in w for w in result.warnings)
    assert result.query_translation == '"Pain"[mh]'


def test_mindate_maxdate_and_datetype_restrict_the_search(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    assert found(source, "ketamine[tiab]", mindate="2020", maxdate="2023") == [109, 108, 104]
    assert found(
        source, "ketamine[tiab]", mindate="2025/05/01", maxdate="2025/05/31", datetype="edat"
    ) == [113]
    assert found(source, "ketamine[tiab]", mindate="2019/03/06", maxdate="2019/12/31") == []


def test_an_untagged_phrase_searches_every_text_field_and_order_is_newest_first(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    result = source.search(SearchQuery("ketamine"))
    assert list(result.pmids) == sorted(result.pmids, key=int, reverse=True)
    assert result.count == len(result.pmids) and result.complete


@pytest.mark.parametrize("term", ["smith[ad]", "medline[sb]", "x[cois]"])
def test_fields_the_mirror_does_not_index_fail_the_query_loudly(
    mirror: tuple[Source, Database], term: str
) -> None:
    source, _ = mirror
    with pytest.raises(MirrorSearchError):
        source.search(SearchQuery(term))


def test_a_query_with_a_syntax_error_is_refused(mirror: tuple[Source, Database]) -> None:
    source, _ = mirror
    with pytest.raises(MirrorSearchError, match="query syntax"):
        source.search(SearchQuery("(ketamine[tiab]"))


def test_a_query_too_deep_for_the_database_fails_that_query_only(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    nested = "".join(f"w{i}[tiab] OR (" for i in range(1500)) + "ketamine[ti]" + ")" * 1500
    with pytest.raises(MirrorSearchError):
        source.search(SearchQuery(nested))
    flat = " AND ".join(f"(a{i}[tiab] OR b{i}[ti])" for i in range(300))
    assert source.search(SearchQuery(flat)).pmids == ()


def test_fetch_returns_the_latest_version_and_says_which_pmids_nlm_deleted(
    mirror: tuple[Source, Database],
) -> None:
    source, _ = mirror
    batches = list(source.fetch(["107", "105", "106", "108", "999"]))
    articles = {a.pmid: a for b in batches for a in b.articles}
    assert articles["107"].pmid_version == 2
    assert articles["107"].title == "Magnesium and NMDA receptors: a revised analysis"
    assert articles["106"].title == "Final report on esketamine in fibromyalgia"
    assert articles["108"].record_type == "PubmedBookArticle"
    assert set(articles) == {"106", "107", "108"}
    assert batches[0].deleted == frozenset({"105"})


def test_an_empty_mirror_stops_the_refresh_with_what_to_do(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/empty.db")
    source: MirrorSource = mirror_source(db)
    with pytest.raises(MirrorEmptyError, match="evidence mirror load"):
        source.search(SearchQuery("ketamine"))
    assert source.identity().snapshot == "empty"
    db.dispose()


def test_modified_since_answers_from_the_stored_dates(mirror: tuple[Source, Database]) -> None:
    """The re-check's question, answered by the mirror without a request: the same PMIDs a
    ``[uid] AND [mdat]`` search finds, and never one that was not asked about."""
    from datetime import date

    source, _ = mirror
    every = [str(p) for p in found(source, "ketamine[tiab]")]
    wide = source.modified_since(every, date(1900, 1, 1), date(2100, 1, 1))
    dated = " OR ".join(f"{p}[uid]" for p in every)
    assert wide.pmids == {str(p) for p in found(source, f"({dated}) AND 1900:2100[mdat]")}
    assert wide.pmids and wide.pmids <= set(every) and wide.requests == 0
    assert wide.method == "stored-dates"
    none = source.modified_since(every, date(1900, 1, 1), date(1900, 1, 2))
    assert none.pmids == frozenset()
    one = sorted(wide.pmids)[:1]
    assert source.modified_since(one, date(1900, 1, 1), date(2100, 1, 1)).pmids == set(one)
