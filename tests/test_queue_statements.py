"""The review queue (and the report behind it) costs a number of SQL statements that does not
grow with claims, studies or verdicts: counted with ``before_cursor_execute`` for 5 and 50
claims."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from evidence.domain.claims import load_claims
from evidence.services.refresh import refresh
from evidence.services.review import record_verdict
from evidence.services.views import load_report, review_queue
from evidence.store.db import Database
from tests.eutils_server import synthetic_records
from tests.memory_source import MemorySource

STUDIES_PER_CLAIM = 3


def claims_file(tmp_path: Path, n: int) -> Path:
    """A claims file with ``n`` claims, one query each (``term-<i>``)."""
    blocks = [
        f'[[claims]]\nid = "claim-{i}"\nstatement = "Drug {i} relieves pain."\n\n'
        f'[[claims.queries]]\nlabel = "main"\nterm = "term-{i}"\n'
        for i in range(n)
    ]
    path = tmp_path / f"claims-{n}.toml"
    header = '[article]\nslug = "many"\ntitle = "Many claims"\n\n'
    path.write_text(header + "\n".join(blocks), encoding="utf-8")
    return path


def ledger(tmp_path: Path, n: int) -> Database:
    """``n`` claims with three studies each; the first study of each claim judged twice."""
    searches = {
        f"term-{i}": [str(1000 + i * STUDIES_PER_CLAIM + k) for k in range(STUDIES_PER_CLAIM)]
        for i in range(n)
    }
    records = synthetic_records(p for pmids in searches.values() for p in pmids)
    db = Database(f"sqlite:///{tmp_path / f'queue-{n}.db'}")
    refresh(db, MemorySource(searches, records), load_claims(claims_file(tmp_path, n)))
    with db.session() as session:
        for i in range(n):
            first = searches[f"term-{i}"][0]
            record_verdict(session, f"claim-{i}", first, "supports", reviewer="ann")
            record_verdict(session, f"claim-{i}", first, "mixed", reviewer="bob")
    return db


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def queue_statements(db: Database) -> tuple[int, int]:
    with counted(db) as statements, db.session() as session:
        items = review_queue(session)
    return len(statements), len(items)


def test_review_queue_statements_do_not_grow_with_claims(tmp_path: Path) -> None:
    small, large = ledger(tmp_path, 5), ledger(tmp_path, 50)
    (small_count, small_items), (large_count, large_items) = (
        queue_statements(small),
        queue_statements(large),
    )
    assert (small_items, large_items) == (5 * 2, 50 * 2)  # the judged studies left the queue
    assert small_count == large_count, (small_count, large_count)
    assert large_count <= 14
    small.dispose()
    large.dispose()


def test_report_statements_do_not_grow_with_claims(tmp_path: Path) -> None:
    counts = []
    for n in (5, 50):
        db = ledger(tmp_path, n)
        with counted(db) as statements, db.session() as session:
            load_report(session)
        counts.append(len(statements))
        db.dispose()
    assert counts[0] == counts[1], counts
