"""``evidence db upgrade|info|backup`` on SQLite and PostgreSQL, and every other command's
refusal of a database whose schema is not at this version's migration (exit 5)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.domain.errors import SchemaVersionError
from evidence.services import accounts
from evidence.services.context import Context
from evidence.settings import Settings
from evidence.store.db import HEAD_REVISION, Database, alembic_config, current_revision
from tests.claims_files import BUNDLED
from tests.mirror_support import MESH

PREVIOUS = "0008"  # the head of the release before (issue 14: upgrade from it, data in it)
ACCOUNTS_HEAD = "0011"  # the head before the review protocol: accounts in it, verdicts kindless
CLAIM = "nmda-blockade"
PASSWORD = "s3cret-Pw-7d1"


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def one_line(result: Result) -> str:
    """The one line on stderr (no traceback anywhere)."""
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def ledger(
    database_url: str, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> dict[str, str]:
    """A database refreshed for one claim (three records) with one reviewer verdict."""
    terms = [q.full_term for q in load_claims(BUNDLED).claim(CLAIM).queries]
    server = eutils_server_factory(tiny_records, dict.fromkeys(terms, sorted(tiny_records)))
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": database_url}
    assert run(env, "refresh", str(BUNDLED), "--claim", CLAIM).exit_code == 0
    verdict = ("review", "set", CLAIM, "30000001", "--verdict", "supports", "--reviewer", "ann")
    assert run(env, *verdict).exit_code == 0
    return env


def downgrade(url: str, revision: str) -> None:
    """Take the schema back to ``revision``, as a database of an older release."""
    from alembic import command

    db = Database(url, migrate=False)
    command.downgrade(alembic_config(db.engine), revision)
    db.dispose()


def revision_of(url: str) -> str | None:
    db = Database(url, migrate=False)
    try:
        return current_revision(db.engine)
    finally:
        db.dispose()


def info(env: dict[str, str]) -> dict[str, Any]:
    result = run(env, "db", "info", "--json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def without_mirror(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k != "mirror_records"}


@pytest.mark.parametrize("previous", [PREVIOUS, ACCOUNTS_HEAD])
def test_upgrade_from_the_previous_head_keeps_every_row(
    ledger: dict[str, str], previous: str
) -> None:
    url = ledger["EVIDENCE_DATABASE_URL"]
    with Database(url).session(write=True) as session:
        accounts.add_account(session, "ann", "editor", PASSWORD)
    before = info(ledger)
    assert (before["revision"], before["state"]) == (HEAD_REVISION, "current")
    assert before["counts"]["verdicts"] == 1 and before["counts"]["articles"] == 3
    downgrade(url, previous)
    old = info(ledger)
    assert (old["revision"], old["state"]) == (previous, "behind")
    assert without_mirror(old["counts"]) == without_mirror(before["counts"])  # 0008: no mirror

    upgraded = run(ledger, "db", "upgrade", "--json")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["before"] == previous
    assert json.loads(upgraded.stdout)["after"] == HEAD_REVISION
    assert f"upgraded from migration {previous} to {HEAD_REVISION}" in one_line(upgraded)
    with Database(url).session() as session:  # 0011 kept the account; 0008 had no accounts
        signed = accounts.authenticate(session, "ann", PASSWORD)
    assert (signed is not None) == (previous == ACCOUNTS_HEAD)
    after = info(ledger)
    assert (after["revision"], after["state"], after["counts"]) == (
        HEAD_REVISION,
        "current",
        before["counts"],
    )
    shown = run(ledger, "review", "show", CLAIM, "30000001", "--json")
    assert json.loads(shown.stdout)[0]["current"] == {"ann": "supports"}
    assert run(ledger, "status").exit_code == 0
    again = run(ledger, "db", "upgrade")
    assert again.exit_code == 0 and "already at migration" in one_line(again)


def refused_commands(tmp_path: Path) -> list[tuple[str, ...]]:
    """Commands that read, write or create: each must refuse an old schema, first thing."""
    verdict = ("review", "set", CLAIM, "30000002", "--verdict", "mixed", "--reviewer", "bob")
    return [
        ("status",),
        ("report", "--out", str(tmp_path / "report")),
        ("export",),
        ("review", "queue"),
        verdict,
        ("runs",),
        ("audit", "verify"),
        ("claims", "check", str(BUNDLED)),
        ("refresh", str(BUNDLED), "--claim", CLAIM),
        ("mirror", "load-mesh", str(MESH)),
        ("diff",),
        ("export", "--as-reviewer", "bob"),
        ("claims", "set-review", CLAIM, "--reviewers", "2", "--blind"),
        ("review", "show", CLAIM),
        ("review", "conflicts"),
        ("review", "resolve", CLAIM, "30000001", "--verdict", "mixed", "--reason", "r"),
        ("retractions", "update", "--from", str(tmp_path / "notices.csv")),
        ("mirror", "info"),
        ("mirror", "load", str(MESH.parent)),
        ("mirror", "sync", "--from", "http://127.0.0.1:9/"),
        ("mirror", "compare", "--claim", CLAIM),
        ("users", "list"),
        ("users", "add", "carl", "--password-stdin"),  # refused before reading the password
        ("users", "disable", "ann"),
        ("users", "enable", "ann"),
        ("users", "passwd", "ann", "--password-stdin"),
    ]


EXEMPT = {("db", "upgrade"), ("db", "info"), ("db", "backup")}  # they work at any level
SERVED = {("serve",)}  # it serves: refused through create_app, below


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every command of the CLI, as the words that name it."""
    found: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= command_paths(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def test_the_refusal_test_covers_every_command(tmp_path: Path) -> None:
    groups = {name for name, c in cli.commands.items() if isinstance(c, click.Group)}
    covered = {c[:2] if c[0] in groups else c[:1] for c in refused_commands(tmp_path)}
    assert command_paths(cli) == covered | EXEMPT | SERVED  # a new command gets a line


def test_every_other_command_refuses_an_old_schema_and_changes_nothing(
    ledger: dict[str, str], tmp_path: Path
) -> None:
    url = ledger["EVIDENCE_DATABASE_URL"]
    downgrade(url, PREVIOUS)
    counts = info(ledger)["counts"]
    for args in refused_commands(tmp_path):
        result = run(ledger, *args)
        assert result.exit_code == 5, (args, result.stderr)
        line = one_line(result)
        assert line.startswith("Error: the database "), line
        assert f"at migration {PREVIOUS}, older than this version's {HEAD_REVISION}" in line
        assert "run `evidence db upgrade`" in line
    assert not (tmp_path / "report").exists()
    with pytest.raises(SchemaVersionError, match="evidence db upgrade"):
        from evidence.web.app import create_app

        create_app(Context(Settings(database_url=url)))
    assert revision_of(url) == PREVIOUS
    assert info(ledger)["counts"] == counts


def test_a_schema_newer_than_this_version_is_refused_even_by_upgrade(database_url: str) -> None:
    from sqlalchemy import text

    db = Database(database_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    env = {"EVIDENCE_DATABASE_URL": database_url}
    for args in (("status",), ("db", "upgrade")):
        result = run(env, *args)
        assert result.exit_code == 5, result.stderr
        assert "at migration 9999, newer than this version" in one_line(result)
    assert info(env)["state"] == "ahead"
    assert revision_of(database_url) == "9999"


def test_upgrade_creates_an_empty_database_at_head(database_url: str) -> None:
    env = {"EVIDENCE_DATABASE_URL": database_url}
    created = run(env, "db", "upgrade")
    assert created.exit_code == 0
    assert f"created at migration {HEAD_REVISION}" in one_line(created)
    found = info(env)
    assert found["state"] == "current" and set(found["counts"].values()) == {0}


def test_info_names_the_database_never_its_password(postgres_url: str) -> None:
    with_password = make_url(postgres_url).set(password=PASSWORD)
    url = with_password.render_as_string(hide_password=False)
    env = {"EVIDENCE_DATABASE_URL": url}
    assert run(env, "db", "upgrade").exit_code == 0
    text = run(env, "db", "info")
    data = info(env)
    assert PASSWORD not in text.stdout + text.stderr + json.dumps(data)
    assert data["location"] == with_password.render_as_string(hide_password=True)
    assert ":***@" in data["location"] and data["backend"] == "postgresql"
    assert data["size_bytes"] is None and data["counts"]["claims"] == 0
    assert f"location        {data['location']}" in text.stdout
    downgrade(url, PREVIOUS)
    refused = run(env, "status")
    assert refused.exit_code == 5 and PASSWORD not in refused.stdout + refused.stderr
    assert ":***@" in one_line(refused)


def test_info_of_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{path}"}
    missing = run(env, "db", "info")
    assert missing.exit_code == 1 and f"no database at {path}" in one_line(missing)
    assert not path.exists()  # info creates nothing
    assert run(env, "db", "upgrade").exit_code == 0
    data = info(env)
    assert (data["backend"], data["location"]) == ("sqlite", str(path))
    assert data["size_bytes"] == path.stat().st_size > 0
    text = run(env, "db", "info").stdout
    assert f"migration       {HEAD_REVISION} (this version's newest)" in text
    assert "claim sets      0" in text and "mirror records  0" in text


def sqlite_ledger(
    tmp_path: Path, tiny_records: dict[str, bytes], server_factory: Callable[..., Any]
) -> dict[str, str]:
    terms = [q.full_term for q in load_claims(BUNDLED).claim(CLAIM).queries]
    server = server_factory(tiny_records, dict.fromkeys(terms, sorted(tiny_records)))
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
    }
    assert run(env, "refresh", str(BUNDLED), "--claim", CLAIM).exit_code == 0
    verdict = ("review", "set", CLAIM, "30000001", "--verdict", "supports", "--reviewer", "ann")
    assert run(env, *verdict).exit_code == 0
    return env


def test_backup_while_another_connection_holds_a_write_transaction(
    tmp_path: Path, tiny_records: dict[str, bytes], eutils_server_factory: Callable[..., Any]
) -> None:
    env = sqlite_ledger(tmp_path, tiny_records, eutils_server_factory)
    copy = tmp_path / "copy.db"
    writer = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    # Committed, but only in the write-ahead log while this connection stays open:
    writer.execute("UPDATE articles SET title = 'COMMITTED' WHERE pmid = '30000002'")
    writer.execute("BEGIN IMMEDIATE")  # the write lock, as a refresh or the desk holds it
    writer.execute("DELETE FROM verdicts")
    writer.execute("UPDATE articles SET title = 'UNCOMMITTED'")
    try:
        done = run(env, "db", "backup", str(copy), "--json")
        assert done.exit_code == 0, done.stderr
        assert f"to {copy}" in one_line(done)
        assert json.loads(done.stdout)["revision"] == HEAD_REVISION
    finally:
        writer.execute("COMMIT")
        writer.close()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM verdicts").fetchone() == (1,)
        titles = conn.execute("SELECT pmid, title FROM articles ORDER BY pmid").fetchall()
        assert titles[1] == ("30000002", "COMMITTED")
        assert all(title != "UNCOMMITTED" for _, title in titles)
    status = run({}, "--db", str(copy), "status", "--json")
    assert status.exit_code == 0, status.stderr
    claim = next(c for c in json.loads(status.stdout)["claims"] if c["claim"] == CLAIM)
    assert claim["by_verdict"]["supports"] == 1
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_backup_never_overwrites_without_force_nor_the_database_itself(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    env = {"EVIDENCE_DATABASE_URL": f"sqlite:///{path}"}
    assert run(env, "db", "upgrade").exit_code == 0
    target = tmp_path / "there.db"
    target.write_bytes(b"keep me")
    refused = run(env, "db", "backup", str(target))
    assert refused.exit_code == 2 and "use --force" in one_line(refused)
    assert target.read_bytes() == b"keep me"
    stale_log = tmp_path / "there.db-wal"  # a replaced database's log must not outlive it
    stale_log.write_bytes(b"stale")
    assert run(env, "db", "backup", str(target), "--force").exit_code == 0
    assert not stale_log.exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )
    itself = run(env, "db", "backup", str(path), "--force")
    assert itself.exit_code == 2 and "is the database itself" in one_line(itself)
    missing = run(env, "db", "backup", str(tmp_path / "no" / "copy.db"))
    assert missing.exit_code == 2 and "no folder" in one_line(missing)


def test_backup_of_an_old_schema_works_so_it_can_precede_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    Database(url).dispose()
    downgrade(url, PREVIOUS)
    done = run({"EVIDENCE_DATABASE_URL": url}, "db", "backup", str(tmp_path / "before.db"))
    assert done.exit_code == 0 and f"(migration {PREVIOUS})" in one_line(done)
    assert revision_of(f"sqlite:///{tmp_path / 'before.db'}") == PREVIOUS


def test_backup_of_postgresql_gives_the_pg_dump_line_without_the_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql+psycopg://alice:{PASSWORD}@db.example.org:5433/ledger"
    target = tmp_path / "ledger.dump"
    result = run({"EVIDENCE_DATABASE_URL": url}, "db", "backup", str(target))
    assert result.exit_code == 2
    line = one_line(result)
    assert PASSWORD not in line
    assert (
        f"pg_dump --format=custom --file={target} postgresql://alice@db.example.org:5433/ledger"
        in line
    )
    assert "PGPASSWORD" in line and not target.exists()


def test_upgrades_at_once_migrate_once(database_url: str) -> None:
    import os
    import subprocess
    import sys

    Database(database_url).dispose()
    downgrade(database_url, PREVIOUS)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "EVIDENCE_DATABASE_URL": database_url,
    }
    command = [sys.executable, "-m", "evidence", "db", "upgrade"]
    processes = [
        subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    lines = []
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "Traceback" not in err
        lines.append(err.strip())
    upgraded = [line for line in lines if f"upgraded from migration {PREVIOUS}" in line]
    assert len(upgraded) == 1, lines
    assert sum("already at migration" in line for line in lines) == 1, lines
    assert revision_of(database_url) == HEAD_REVISION


def test_info_and_status_of_an_up_to_date_database_never_load_alembic(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    Database(url).dispose()
    script = (
        "import sys; from click.testing import CliRunner; from evidence.cli.main import cli\n"
        "for args in (['db', 'info'], ['status']):\n"
        "    CliRunner().invoke(cli, ['--db', sys.argv[1], *args])\n"
        "print('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", script, url], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
