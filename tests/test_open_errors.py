"""Opening the database and writing files: one line on stderr, a documented exit code, no
traceback, the path named, and nothing created or changed by a command that failed."""

from __future__ import annotations

import os
import random
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from evidence.cli.main import cli
from evidence.store.db import Database
from tests.test_exports import seed

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "queries" / "ketamine-chronic-pain.toml"
# Commands that only read (or need a refreshed ledger): they never create a database.
READERS = {
    "status": ("status",),
    "report": ("report", "--out", "out"),
    "export": ("export",),
    "review queue": ("review", "queue"),
    "review show": ("review", "show", "alpha"),
    "review set": ("review", "set", "alpha", "201", "--verdict", "supports", "--reviewer", "a"),
}
REFRESH = ("refresh", str(BUNDLED))
COMMANDS = {**READERS, "refresh": REFRESH}
SAFE_ENV = {"EVIDENCE_EUTILS_URL": "http://127.0.0.1:9/", "EVIDENCE_MAX_ATTEMPTS": "1"}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in tmp_path: default report folders and data/ land there, not in the checkout."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVIDENCE_DATABASE_URL", raising=False)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**SAFE_ENV, **(env or {})})


def assert_one_line_error(result: Result, *named: str, code: int = 1) -> str:
    """Exit ``code``, one ``Error:`` line on stderr naming each of ``named``, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    for text in named:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A SQLite ledger with a claim set (claims alpha and beta, studies 201...)."""
    path = tmp_path / "ledger.db"
    db = Database(f"sqlite:///{path}")
    seed(db)
    db.dispose()
    return path


def files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


# --- a file that is not a database -------------------------------------------------------------


NOT_DATABASES = {
    "random bytes": random.Random(10).randbytes(8192),
    "a text file": b"claims, notes and other things that are not SQLite\n" * 100,
    "a damaged header": b"SQLite format 3\x00" + random.Random(11).randbytes(4080),
}


@pytest.mark.parametrize("content", NOT_DATABASES.values(), ids=NOT_DATABASES.keys())
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_file_that_is_not_a_database_is_named_and_left_unchanged(
    tmp_path: Path, content: bytes, command: tuple[str, ...]
) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(content)
    before = files_under(tmp_path)
    result = run("--db", str(path), *command)
    line = assert_one_line_error(result, str(path), "is not an evidence database", "--db")
    assert "SQLite says: file is not a database" in line
    assert path.read_bytes() == content
    assert files_under(tmp_path) == before


# --- no database where one is expected ---------------------------------------------------------


@pytest.mark.parametrize("command", READERS.values(), ids=READERS.keys())
def test_reading_commands_never_create_a_database_or_its_folder(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = tmp_path / "missing" / "dir" / "x.db"
    result = run("--db", str(path), *command)
    assert_one_line_error(result, f"no database at {path}", "evidence refresh")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", READERS.values(), ids=READERS.keys())
def test_reading_commands_never_create_the_file_in_an_existing_folder(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    before = files_under(tmp_path)
    result = run(*command, env={"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert_one_line_error(result, f"no database at {tmp_path / 'x.db'}")
    assert files_under(tmp_path) == before


def test_reading_commands_do_not_create_the_default_database(tmp_path: Path) -> None:
    result = run("status")
    assert_one_line_error(result, "no database at data/evidence.db")
    assert not (tmp_path / "data").exists()


def test_refresh_refuses_an_explicit_database_in_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "x.db"
    result = run("--db", str(path), *REFRESH)
    assert_one_line_error(result, str(path), f"no folder {tmp_path / 'typo'}", "--db")
    assert not (tmp_path / "typo").exists()


def test_refresh_creates_the_default_folder_and_database(tmp_path: Path) -> None:
    result = run(*REFRESH)  # the loopback URL refuses: the run fails after opening
    assert (tmp_path / "data" / "evidence.db").is_file(), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_refresh_creates_the_file_in_an_existing_folder(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = run("--db", str(path), *REFRESH)
    assert path.is_file(), result.stderr
    assert "no database" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_file_used_as_a_folder(tmp_path: Path, command: tuple[str, ...]) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    path = blocker / "x.db"
    result = run("--db", str(path), *command)
    assert_one_line_error(result, str(path))
    assert blocker.read_text() == "not a folder"


def test_a_folder_given_as_the_database(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path), "status")
    assert_one_line_error(result, f"{tmp_path} is a folder, not a database file")


# --- a folder the OS refuses to write in -------------------------------------------------------


def refusing_folder() -> Path:
    """A folder where even root cannot create files (Linux's /proc), or skip."""
    folder = Path("/proc")
    try:
        (folder / "evidence-probe").touch()
    except OSError:
        return folder
    (folder / "evidence-probe").unlink()
    pytest.skip("no folder refusing new files to this user (/proc on Linux)")


def test_refresh_into_a_folder_refusing_new_files_names_path_and_cause() -> None:
    path = refusing_folder() / "evidence-test.db"
    result = run("--db", str(path), *REFRESH)
    line = assert_one_line_error(result, f"cannot open the database {path}")
    assert "unable to open database file" in line
    assert f"the folder {path.parent} refuses new files" in line
    assert not path.exists()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A chmod 555 folder (writable again after the test); skips where chmod stops nothing."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        yield folder
    else:
        (folder / "probe").unlink()
        pytest.skip(f"chmod 555 does not stop this user (euid {os.geteuid()}) from writing")
    finally:
        folder.chmod(stat.S_IRWXU)


def test_status_in_a_read_only_folder_names_path_and_cause(read_only: Path, seeded: Path) -> None:
    path = read_only / "ledger.db"
    read_only.chmod(stat.S_IRWXU)
    path.write_bytes(seeded.read_bytes())
    read_only.chmod(0o555)
    result = run("--db", str(path), "status")
    line = assert_one_line_error(result, str(path))
    assert "refuses" in line


def test_export_into_a_read_only_folder(read_only: Path, seeded: Path) -> None:
    out = read_only / "links.json"
    result = run("--db", str(seeded), "export", "--out", str(out))
    assert_one_line_error(result, f"cannot write the export {out}", "Permission denied")
    assert list(read_only.iterdir()) == []


# --- other SQLAlchemy errors --------------------------------------------------------------------


def test_a_missing_table_is_one_line_naming_the_database(seeded: Path) -> None:
    with sqlite3.connect(seeded) as conn:
        conn.execute("DROP TABLE verdicts")
    result = run("--db", str(seeded), "status")
    assert_one_line_error(result, f"database error in {seeded}", "no such table: verdicts")


def test_a_database_from_a_newer_version_is_one_line(seeded: Path) -> None:
    with sqlite3.connect(seeded) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = run("--db", str(seeded), "status")
    named = (f"the database {seeded} is at migration 9999", "upgrade evidence")
    assert_one_line_error(result, *named, code=5)


# --- export and report files -------------------------------------------------------------------


def test_export_into_a_missing_folder_creates_nothing(tmp_path: Path, seeded: Path) -> None:
    out = tmp_path / "nodir" / "links.json"
    result = run("--db", str(seeded), "export", "--out", str(out))
    assert_one_line_error(result, f"cannot write the export {out}", f"no folder {out.parent}")
    assert not out.parent.exists()


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_export_under_a_file_used_as_a_folder(tmp_path: Path, seeded: Path, fmt: str) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / "links.out"
    result = run("--db", str(seeded), "export", "--format", fmt, "--out", str(out))
    line = assert_one_line_error(result, f"cannot write the export {out}", "not a folder")
    assert ".tmp" not in line


def test_export_into_a_folder_refusing_new_files(seeded: Path) -> None:
    out = refusing_folder() / "evidence-links.json"
    result = run("--db", str(seeded), "export", "--out", str(out))
    line = assert_one_line_error(result, f"cannot write the export {out}")
    assert ".tmp" not in line
    assert not out.exists()


def test_report_under_a_file_used_as_a_folder(tmp_path: Path, seeded: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    out = blocker / "report"
    result = run("--db", str(seeded), "report", "--out", str(out))
    assert_one_line_error(result, f"cannot create the report folder {out}")
    assert blocker.read_text() == "x"


def test_report_into_a_folder_refusing_new_files(seeded: Path) -> None:
    out = refusing_folder() / "evidence-report"
    result = run("--db", str(seeded), "report", "--out", str(out))
    assert_one_line_error(result, f"cannot create the report folder {out}")
    assert not out.exists()


def test_pdf_without_a_temporary_folder_is_one_line(
    tmp_path: Path, seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    monkeypatch.setattr("tempfile.tempdir", str(blocker))  # Chromium's profile folder fails
    path_env = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    result = run("--db", str(seeded), "report", "--out", "out", "--pdf", env={"PATH": path_env})
    line = assert_one_line_error(result, f"cannot print {tmp_path / 'out' / 'report.pdf'}")
    assert str(fake) in line


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_server_url() -> str:
    url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("EVIDENCE_TEST_POSTGRES_URL is not set: PostgreSQL open errors skipped")
    return url


def test_postgres_unknown_database_is_one_line_without_the_password() -> None:
    url = make_url(postgres_server_url()).set(
        host="127.0.0.1", database="evidence_no_such_db", password="hunter2"
    )
    result = run("--db", url.render_as_string(hide_password=False), "status")
    line = assert_one_line_error(result, "127.0.0.1", "evidence_no_such_db", "--db")
    assert "***" in line
    assert "hunter2" not in result.stdout + result.stderr


def test_postgres_refused_connection_is_one_line_without_the_password() -> None:
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    url = "postgresql+psycopg://evidence:hunter2@127.0.0.1:1/ledger"
    result = run("--db", url, "status")
    assert_one_line_error(result, "127.0.0.1:1/ledger", "PostgreSQL says", "refused")
    assert "hunter2" not in result.stdout + result.stderr
