"""Paths built from stored data are re-validated where they are used: a stored article slug
of ``../../escaped`` never makes ``report`` write outside the reports folder."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.services.refresh import refresh
from evidence.store.db import Database
from tests.claims_files import one_query_claims
from tests.memory_source import MemorySource


@pytest.mark.parametrize("slug", ["../../escaped", "/tmp/abs", "a/../../b", "ok\n"])
def test_a_stored_slug_is_never_trusted_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture_records: dict[str, bytes], slug: str
) -> None:
    db_path = tmp_path / "work" / "ledger.db"
    db_path.parent.mkdir()
    db = Database(f"sqlite:///{db_path}")
    source = MemorySource({"x[tiab]": sorted(fixture_records)[:1]}, fixture_records)
    refresh(db, source, load_claims(one_query_claims(tmp_path, "x[tiab]")))
    db.dispose()
    with sqlite3.connect(db_path) as conn:  # as a tampered or hostile database would hold it
        conn.execute("UPDATE claim_sets SET slug = ?", (slug,))
    monkeypatch.chdir(tmp_path / "work")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "report"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "not a valid slug" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/abs").exists()
    assert not (tmp_path / "work" / "reports").exists()  # nothing written at all
