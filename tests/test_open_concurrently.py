"""Opening databases: migrations run under a lock, so any number of processes opening a new
database at once all succeed; an up-to-date database opens without loading Alembic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from evidence.store.db import HEAD_REVISION, MIGRATIONS_DIR, Database, current_revision

ROOT = Path(__file__).resolve().parents[1]
OPEN = (
    "import sys; from evidence.store.db import Database;"
    " Database(sys.argv[1]).dispose(); print('alembic' in sys.modules)"
)


def head_of_the_migrations() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_head_revision_is_the_newest_migration() -> None:
    assert head_of_the_migrations() == HEAD_REVISION


def opening(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", OPEN, url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ten_processes_open_a_new_database_at_once(database_url: str) -> None:
    processes = [opening(database_url) for _ in range(10)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    failures = [(code, err[-300:]) for code, _, err in results if code != 0]
    assert failures == []
    assert all("Traceback" not in err for _, _, err in results)
    db = Database(database_url, migrate=False)
    assert current_revision(db.engine) == HEAD_REVISION
    db.dispose()


def test_an_up_to_date_database_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    Database(url).dispose()  # created and migrated
    done = opening(url)
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert out.strip() == "False"
