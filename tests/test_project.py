"""Where the data lives, wherever cron starts: the project folder, --project/EVIDENCE_HOME and
evidence.toml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.domain.errors import ConfigError
from evidence.settings import Settings
from tests.claims_files import BUNDLED

ROOT = Path(__file__).resolve().parents[1]


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: queries/ with the bundled claims file, nothing else yet."""
    root = tmp_path / "project"
    (root / "queries").mkdir(parents=True)
    (root / "queries" / BUNDLED.name).write_text(BUNDLED.read_text("utf-8"), "utf-8")
    (root / "notes" / "deep").mkdir(parents=True)
    return root


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVIDENCE_", "NCBI_"))}
    return {**env, **extra}


def test_found_by_walking_up_from_a_subfolder(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    tiny_records: dict[str, bytes],
    eutils_server_factory: Callable[..., Any],
) -> None:
    terms = [q.full_term for q in load_claims(BUNDLED).claim("nmda-blockade").queries]
    server = eutils_server_factory(tiny_records, dict.fromkeys(terms, sorted(tiny_records)))
    monkeypatch.chdir(project / "notes" / "deep")
    env = {"EVIDENCE_EUTILS_URL": server.url}
    for name in ("EVIDENCE_DATABASE_URL", "EVIDENCE_HOME"):
        monkeypatch.delenv(name, raising=False)
    refreshed = run(env, "refresh", "--claim", "nmda-blockade")  # the project's claims file
    assert refreshed.exit_code == 0, refreshed.stderr
    assert (project / "data" / "evidence.db").is_file()
    assert not (project / "notes" / "deep" / "data").exists()
    status = run(env, "status", "--json")
    assert json.loads(status.stdout)["article"] == "ketamine-infusion-chronic-pain"
    assert run(env, "report").exit_code == 0
    assert (project / "reports" / "ketamine-infusion-chronic-pain" / "index.html").is_file()


def test_cron_from_another_folder_finds_the_project_by_evidence_home(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "cron-cwd"
    elsewhere.mkdir()
    (project / "data").mkdir()
    env = clean_env(EVIDENCE_HOME=str(project), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "evidence", "status"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"no database at {project / 'data' / 'evidence.db'}" in done.stderr  # looked there
    assert list(elsewhere.iterdir()) == []  # nothing created where cron started
    flagged = subprocess.run(
        [sys.executable, "-m", "evidence", "--project", str(project), "claims", "check"],
        cwd=elsewhere,
        env=clean_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert flagged.returncode == 0 and "OK, 5 claims" in flagged.stdout


def test_evidence_toml_settings_relative_to_the_project(project: Path) -> None:
    (project / "evidence.toml").write_text(
        'database = "ledger/team.db"\nclaims = "queries/ketamine-chronic-pain.toml"\n'
        'email = "editor@example.org"\nreports = "out"\n',
        "utf-8",
    )
    settings = Settings.from_env({}, cwd=project / "notes")
    assert settings.project is not None and settings.project.root == project.resolve()
    assert settings.database_url == f"sqlite:///{project.resolve() / 'ledger' / 'team.db'}"
    assert settings.eutils.email == "editor@example.org"
    assert settings.reports_dir == project.resolve() / "out"
    flags_win = Settings.from_env({"NCBI_EMAIL": "env@example.org"}, cwd=project)
    assert flags_win.eutils.email == "env@example.org"  # environment over evidence.toml


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('api_key = "0123456789abcdef"\n', "'api_key' does not belong in a settings file"),
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ("database = \n", "cannot read settings"),
    ],
)
def test_bad_evidence_toml_is_one_line(project: Path, content: str, message: str) -> None:
    (project / "evidence.toml").write_text(content, "utf-8")
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({}, cwd=project)
    result = run({"EVIDENCE_HOME": str(project)}, "status")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "0123456789abcdef" not in result.output


def test_a_missing_project_folder_is_refused(tmp_path: Path) -> None:
    result = run({"EVIDENCE_HOME": str(tmp_path / "nope")}, "status")
    assert result.exit_code == 2 and "project folder" in result.stderr
