"""MeSH entry terms (issue 13): ``mirror load-mesh`` stores every term of every concept of a
descriptor (migration 0013), on a ledger with or without a loaded mirror, and the study card
marks the entry terms of the claim's ``[mh]`` headings with relevance's tokeniser; without
MeSH nothing changes, and hostile entry terms stay inert (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import column, insert, select, table

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.services.desk import study_card
from evidence.services.mirror import load_mesh
from evidence.services.refresh import refresh
from evidence.sources.mirror.mesh import descriptors
from evidence.stance.highlight import claim_headings, highlight, matching_words, mesh_headings
from evidence.store import mirror
from evidence.store.db import HEAD_REVISION, Database, create_db_engine, upgrade
from evidence.store.mirror.load import has_records
from evidence.store.mirror.mesh import entry_terms
from evidence.store.mirror.models import MirrorMeshRow, MirrorMeshTermRow, MirrorMeshTreeRow
from evidence.web.app import create_app
from tests.db_support import database_url  # noqa: F401  (fixture)
from tests.desk_data import EVENT, JS_LINK, SCRIPT, context_for, desk_record
from tests.memory_source import MemorySource
from tests.test_desk import Tags, login
from tests.test_queue_statements import counted

MESH = Path(__file__).parent / "fixtures" / "mesh" / "desc-entry-terms.xml"
NMDA = "Receptors, N-Methyl-D-Aspartate"
NMDA_TERMS = (
    NMDA,
    "N-Methyl-D-Aspartate Receptors",
    "NMDA Receptors",
    "Receptors, NMDA",
    "NMDA Receptor-Ionophore Complex",
    "Glutamate Receptor, NMDA Type",
)
NMDA_QUERY = f'"{NMDA}"[mh] AND ketamine[tiab]'
HOSTILE_QUERY = '"Hostile Heading"[mh]'
NMDA_PMID, HOSTILE_PMID = "51000001", "51000002"
CLAIMS = f"""[article]
slug = "mesh"
title = "MeSH entry terms"

[[claims]]
id = "nmda"
statement = "Ketamine relieves chronic pain."

[[claims.queries]]
label = "heading"
term = '{NMDA_QUERY}'

[[claims]]
id = "hostile"
statement = "Drug X relieves pain."

[[claims.queries]]
label = "hostile heading"
term = '{HOSTILE_QUERY}'
"""


# --- the descriptor file ---------------------------------------------------------------------


def test_descriptors_give_every_term_of_every_concept_and_nothing_else() -> None:
    found = {d.ui: d for d in descriptors(MESH)}
    assert found["D016194"].entry_terms == NMDA_TERMS  # the heading first, both concepts
    assert found["D016194"].token == "receptorsnmethyldaspartate"
    assert found["D007649"].entry_terms == (
        "Ketamine", "Ketalar", "CI-581", "Ketamine Hydrochloride", "Hydrochloride, Ketamine",
    )  # fmt: skip
    everything = {t for d in found.values() for t in d.entry_terms}
    assert "antagonists & inhibitors" not in everything  # a qualifier's name
    assert "Excitatory Amino Acid Antagonists" not in everything  # a pharmacological action
    hostile = found["D999901"].entry_terms
    assert "<script>alert('term')</script>" in hostile
    assert hostile.count("javascript") == 1  # repeated in the file, kept once


# --- storing them ----------------------------------------------------------------------------


def stored_terms(db: Database) -> dict[str, set[str]]:
    with db.session() as session:
        rows = session.execute(select(MirrorMeshTermRow.ui, MirrorMeshTermRow.term))
        found: dict[str, set[str]] = {}
        for ui, term in rows:
            found.setdefault(ui, set()).add(term)
        return found


def test_load_mesh_stores_entry_terms_on_a_ledger_without_a_mirror(
    database_url: str,  # noqa: F811
) -> None:
    db = Database(database_url)
    assert load_mesh(db, MESH) == 3
    assert load_mesh(db, MESH) == 3  # loading again replaces, nothing doubles
    terms = stored_terms(db)
    assert terms["D016194"] == set(NMDA_TERMS)
    assert "Robert'); DROP TABLE mirror_mesh;--" in terms["D999901"]  # stored as data
    with db.session() as session:
        assert not has_records(session)  # MeSH alone, no PubMed mirror
        assert entry_terms(session, ["receptors, n-methyl-d-aspartate"]) == tuple(
            sorted(NMDA_TERMS)
        )
        assert entry_terms(session, ["Pain", ""]) == ()
        assert mirror.load.summary(session).mesh == "desc-entry-terms.xml (3 descriptors)"
    db.dispose()


def test_the_cli_loads_mesh_into_a_fresh_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = CliRunner().invoke(
        cli, ["mirror", "load-mesh", str(MESH)], env={"EVIDENCE_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert "3 MeSH descriptors loaded" in result.stderr
    assert len(stored_terms(Database(url))["D007649"]) == 5


def test_migration_0013_from_0012_keeps_mesh_and_copies_each_heading(
    database_url: str,  # noqa: F811
) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine, "0012")
    mesh_0012 = table("mirror_mesh", column("ui"), column("name"), column("token"))
    trees_0012 = table("mirror_mesh_trees", column("tree_number"), column("ui"))
    with engine.begin() as conn:
        conn.execute(
            insert(mesh_0012),
            [
                {"ui": "D016194", "name": NMDA, "token": "receptorsnmethyldaspartate"},
                {"ui": "D007649", "name": "Ketamine", "token": "ketamine"},
            ],
        )
        conn.execute(insert(trees_0012).values(tree_number="D02.455", ui="D007649"))
    assert upgrade(engine) == "0012"
    engine.dispose()
    db = Database(database_url)
    with db.session() as session:
        assert session.scalars(select(MirrorMeshRow.name).order_by(MirrorMeshRow.ui)).all() == [
            "Ketamine",
            NMDA,
        ]
        assert session.scalars(select(MirrorMeshTreeRow.ui)).all() == ["D007649"]
    assert stored_terms(db) == {"D016194": {NMDA}, "D007649": {"Ketamine"}}
    assert HEAD_REVISION == "0013"
    db.dispose()


# --- the headings and the words to mark --------------------------------------------------------


def test_mesh_headings_are_the_mh_majr_terms_as_written() -> None:
    term = (
        f'("{NMDA}"[mh] OR ketamine/therapeutic use[MeSH Terms] OR Pain[majr:noexp]'
        ' OR "Analgesia"[Mesh]) AND nmda[tiab] NOT "Animals"[mh]'
    )
    assert mesh_headings(term) == (NMDA, "ketamine", "Pain", "Analgesia")
    assert mesh_headings('"unclosed[mh]') == ()
    assert claim_headings([term, '"Pain"[mh]', "x[tiab]"]) == (
        NMDA, "ketamine", "Pain", "Analgesia",
    )  # fmt: skip


def test_multi_word_entry_terms_mark_only_where_they_occur_in_full() -> None:
    marked = highlight(("ketamin",), (*NMDA_TERMS, "Ketalar", "Ketamine Hydrochloride"))
    text = "Ketalar blocks NMDA receptors; hydrochloride alone; glutamate receptor type."
    assert matching_words([text], marked) == {"ketalar", "nmda", "receptors"}
    inverted = "Receptors of N-methyl-D-aspartate, i.e. N-methyl-D-aspartate receptors."
    assert matching_words([inverted], marked) == {"receptors", "methyl", "aspartate"}
    assert matching_words(["Ketamine hydrochloride"], marked) == {"ketamine", "hydrochloride"}


def test_without_entry_terms_the_words_are_the_claims_terms() -> None:
    texts = ["Ketamine blocks NMDA receptors", "and relieved the patients' pain"]
    terms = ("ketamin", "nmda", "pain")
    assert matching_words(texts, highlight(terms)) == matching_words(texts, terms)
    assert matching_words(texts, terms) == {"ketamine", "nmda", "pain"}


# --- the card --------------------------------------------------------------------------------


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Database]:  # noqa: F811
    """Two claims refreshed from memory: one queries the NMDA heading, one a hostile one."""
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS, encoding="utf-8")
    records = {
        NMDA_PMID: desk_record(
            NMDA_PMID,
            title="Ketamine in neuropathic pain",
            abstract=[("RESULTS", "Ketamine blocks NMDA receptors; placebo did not.")],
        ),
        HOSTILE_PMID: desk_record(
            HOSTILE_PMID,
            title=f"{SCRIPT} {EVENT} Hostile heading",
            abstract=[("RESULTS", f"Drug X {JS_LINK} {SCRIPT} relieved pain (LT 5).")],
        ),
    }
    source = MemorySource({NMDA_QUERY: [NMDA_PMID], HOSTILE_QUERY: [HOSTILE_PMID]}, records)
    db = Database(database_url)
    refresh(db, source, load_claims(path))
    yield db
    db.dispose()


def card_words(db: Database, claim: str = "nmda", pmid: str = NMDA_PMID) -> frozenset[str]:
    with db.session() as session:
        return study_card(session, "mesh", claim, pmid, reviewer="ann").highlight


def test_the_card_marks_the_headings_entry_terms_once_mesh_is_loaded(ledger: Database) -> None:
    client = login(create_app(context_for(ledger.engine.url.render_as_string(False))))
    path = "/articles/mesh/claims/nmda/studies/" + NMDA_PMID
    before = card_words(ledger)
    assert before == {"ketamine", "receptors", "pain"}  # today's: the heading's own words
    assert "MeSH entry terms" not in client.get(path).text
    load_mesh(ledger, MESH)
    assert card_words(ledger) == before | {"nmda"}  # from "NMDA Receptors"
    page = client.get(path)
    abstract = page.text.split('<section class="abstract"')[1].split("</section>")[0]
    assert "<mark>NMDA</mark> <mark>receptors</mark>" in abstract
    assert "<mark>placebo</mark>" not in abstract
    assert "the MeSH entry terms of its headings" in page.text


def test_the_card_reads_the_entry_terms_in_one_small_statement(ledger: Database) -> None:
    load_mesh(ledger, MESH)
    with counted(ledger) as statements:
        card_words(ledger)
        card_words(ledger)
    assert len([s for s in statements if "mirror_mesh_terms" in s]) == 2  # one per card


def test_hostile_entry_terms_stay_inert(ledger: Database) -> None:
    load_mesh(ledger, MESH)
    url = ledger.engine.url.render_as_string(False)
    card = (
        login(create_app(context_for(url)))
        .get("/articles/mesh/claims/hostile/studies/" + HOSTILE_PMID)
        .text
    )
    assert "<mark>onerror</mark>" in card and "<mark>javascript</mark>" in card  # marked...
    assert "<mark>script</mark>" not in card  # "<script>alert('term')" is not in the text
    parser = Tags()
    parser.feed(card)
    assert [a for t, a in parser.tags if t == "script"] == [
        {"src": "/static/desk.js", "defer": None}
    ]
    assert not [t for t, _ in parser.tags if t in ("img", "iframe", "object", "embed")]
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not str(attrs.get("href") or "").lower().startswith("javascript:")
    assert "<mark>LT</mark>" in card and "&<mark>lt</mark>;" not in card  # no &lt; broken
    for raw in (SCRIPT, EVENT, JS_LINK):
        assert raw not in card
