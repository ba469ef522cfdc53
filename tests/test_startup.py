"""Start-up cost: the root command imports no heavy library; each command imports what it
uses. Checked in a fresh interpreter (``sys.modules`` after the import or the command)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evidence.store.db import Database

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


def test_status_on_an_empty_database_imports_no_heavy_library(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Database(url).dispose()  # migrated: every table, nothing stored
    loaded = loaded_after(
        "from evidence.cli.main import cli\n"
        "try:\n"
        f"    cli(['--db', {url!r}, 'status'], standalone_mode=False)\n"
        "except BaseException as exc:\n"
        "    print(type(exc).__name__)"
    )
    assert "sqlalchemy" in loaded  # the command did reach the database
    assert not loaded & set(HEAVY)
