"""Database fixtures: every store test runs on SQLite and, when reachable, on PostgreSQL.

PostgreSQL tests read ``EVIDENCE_TEST_POSTGRES_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and skip with the reason when it
is unset or unreachable. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def postgres_admin_url() -> str:
    """The PostgreSQL URL from the environment, or skip the test."""
    url = os.environ.get("EVIDENCE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("EVIDENCE_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver or connection failure means: not reachable
        pytest.skip(f"PostgreSQL at EVIDENCE_TEST_POSTGRES_URL is unreachable: {exc}")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    admin_url = postgres_admin_url()
    name = f"evidence_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evidence.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """``make()`` -> a fresh, empty database URL on each call: SQLite files, then PostgreSQL."""
    made: list[str] = []
    admin_url = postgres_admin_url() if request.param == "postgresql" else None

    def make() -> str:
        if admin_url is None:
            url = f"sqlite:///{tmp_path / f'evidence-{len(made)}.db'}"
        else:
            name = f"evidence_test_{uuid.uuid4().hex[:12]}"
            with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        made.append(url)
        return url

    yield make
    if admin_url is not None:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for url in made:
                name = make_url(url).database
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
