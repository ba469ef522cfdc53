"""Start-up cost: the root command imports no heavy library; each command imports what it
uses. Checked in a fresh interpreter (``sys.modules`` after the import or the command)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.store.db import Database
from evidence.store.probe import LedgerState, ledger_state

HEAVY = ("pandas", "matplotlib", "openpyxl", "jinja2", "flask", "alembic")


def loaded_after(code: str) -> set[str]:
    """The top-level modules loaded once ``code`` has run in a new interpreter."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_the_cli_module_imports_no_heavy_library() -> None:
    loaded = loaded_after("import evidence.cli.main")
    assert not loaded & {*HEAVY, "sqlalchemy", "lxml", "webbrowser"}


def run_status(url: str) -> tuple[set[str], str]:
    """The top-level modules ``evidence status`` loads on ``url``, and what it said."""
    script = (
        "from evidence.cli.main import cli\n"
        "try:\n"
        f"    cli(['--db', {url!r}, 'status'], standalone_mode=False)\n"
        "except BaseException as exc:\n"
        "    print('ended:', type(exc).__name__, exc)\n"
        "import sys, json\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    *said, modules = done.stdout.splitlines()
    return {name.split(".")[0] for name in json.loads(modules)}, done.stderr + "\n".join(said)


def test_status_on_an_empty_database_loads_no_sqlalchemy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Database(url).dispose()  # migrated: every table, nothing stored
    loaded, said = run_status(url)
    assert "Error: nothing stored yet" in said
    assert not loaded & {*HEAVY, "sqlalchemy"}


def test_status_on_a_missing_database_loads_no_sqlalchemy_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.db"
    loaded, said = run_status(f"sqlite:///{missing}")
    assert f"Error: no database at {missing}" in said
    assert not loaded & {*HEAVY, "sqlalchemy"}
    assert not missing.exists()


def test_status_on_a_stored_database_still_opens_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stored.db'}"
    Database(url).dispose()
    with sqlite3.connect(tmp_path / "stored.db") as connection:
        connection.execute(
            "INSERT INTO claim_sets (slug, title, updated_at) VALUES ('a', 'A', '2026-01-01')"
        )
    loaded, said = run_status(url)
    assert "a: never refreshed" in said  # the status of a claim set with no claims
    assert "sqlalchemy" in loaded  # the command did reach the database
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize(
    ("url", "state"),
    [
        ("sqlite:///{tmp}/missing.db", LedgerState.MISSING),
        ("sqlite:///{tmp}/empty.db", LedgerState.EMPTY),
        ("sqlite:///{tmp}/old.db", LedgerState.OPENABLE),  # another migration: refused later
        ("sqlite:///{tmp}/blank.db", LedgerState.OPENABLE),  # a new file: migrated later
        ("sqlite:///{tmp}/empty.db?mode=ro", LedgerState.OPENABLE),
        ("sqlite://", LedgerState.OPENABLE),
        ("postgresql+psycopg://postgres@127.0.0.1/none", LedgerState.OPENABLE),
    ],
)
def test_the_probe_answers_only_what_it_is_sure_of(
    tmp_path: Path, url: str, state: LedgerState
) -> None:
    Database(f"sqlite:///{tmp_path / 'empty.db'}").dispose()
    Database(f"sqlite:///{tmp_path / 'old.db'}").dispose()
    with sqlite3.connect(tmp_path / "old.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0011'")
    (tmp_path / "blank.db").touch()
    assert ledger_state(url.format(tmp=tmp_path)) is state
