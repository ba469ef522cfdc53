"""MeSH entry terms (issue 13): ``mirror load-mesh`` stores every term of every concept of a
descriptor (migration 0013), on a ledger with or without a loaded mirror, and the study card
marks the entry terms of the claim's ``[mh]`` headings with relevance's tokeniser; without
MeSH nothing changes, and hostile entry terms stay inert (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import column, insert, select, table

from evidence.cli.main import cli
from evidence.services.mirror import load_mesh
from evidence.sources.mirror.mesh import descriptors
from evidence.store import mirror
from evidence.store.db import HEAD_REVISION, Database, create_db_engine, upgrade
from evidence.store.mirror.load import has_records
from evidence.store.mirror.mesh import entry_terms
from evidence.store.mirror.models import MirrorMeshRow, MirrorMeshTermRow, MirrorMeshTreeRow
from tests.db_support import database_url  # noqa: F401  (fixture)

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
