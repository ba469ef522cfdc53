"""Helpers for the mirror tests: the fixture files, a loaded mirror, its source."""

from __future__ import annotations

from pathlib import Path

from evidence.services.mirror import load, load_mesh
from evidence.sources.mirror.source import MirrorSource
from evidence.store.db import Database
from evidence.store.mirror.index import StoreMirrorIndex

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "baseline"
BASELINE = FIXTURES / "baseline"
UPDATES = FIXTURES / "updatefiles"
MESH = FIXTURES / "desc2026.xml"


def loaded_mirror(database_url: str, *, mesh: bool = False, batch_size: int = 4) -> Database:
    """A database with the fixture baseline and update loaded (and the MeSH tree)."""
    db = Database(database_url)
    load(db, [BASELINE, UPDATES], batch_size=batch_size)
    if mesh:
        load_mesh(db, MESH)
    return db


def mirror_source(db: Database) -> MirrorSource:
    return MirrorSource(StoreMirrorIndex(db))
