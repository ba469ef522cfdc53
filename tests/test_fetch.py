"""fetch_and_store: every requested PMID ends up stored or unresolved with a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from evidence.services.fetch import fetch_and_store
from evidence.sources.eutils.source import EutilsSource
from evidence.store.db import Database
from evidence.store.models import Article
from tests.eutils_server import EFETCH_FOOTER, EFETCH_HEADER, Fault, synthetic_record

IDS = [str(40_000_000 + i) for i in range(6)]


def efetch_body(records: dict[str, bytes], pmids: list[str]) -> bytes:
    return EFETCH_HEADER + b"".join(records[p] for p in pmids) + EFETCH_FOOTER


def stored(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


def test_a_record_missing_from_its_batch_is_refetched_alone(
    tmp_path: Path,
    eutils_server_factory: Callable[..., Any],
    eutils_client_factory: Callable[..., Any],
) -> None:
    records = {p: synthetic_record(p) for p in IDS}
    server = eutils_server_factory(records, {})
    server.push(Fault.http(200, efetch_body(records, IDS[:4]), endpoint="efetch.fcgi"))
    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    outcome = fetch_and_store(db, EutilsSource(eutils_client_factory(server)), IDS)
    assert outcome.requested == tuple(IDS)
    assert outcome.stored == 6 and outcome.unresolved == {} and outcome.accounted
    fetches = server.requests_to("efetch.fcgi")
    assert [r.params["id"] for r in fetches[1:]] == IDS[4:]  # one by one
    assert stored(db) == 6


def test_records_never_returned_are_unresolved_with_a_reason(
    tmp_path: Path,
    eutils_server_factory: Callable[..., Any],
    eutils_client_factory: Callable[..., Any],
) -> None:
    records = {p: synthetic_record(p) for p in IDS[:5]}  # the server lacks the last one
    server = eutils_server_factory(records, {})
    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    outcome = fetch_and_store(db, EutilsSource(eutils_client_factory(server)), IDS)
    assert outcome.stored == 5 and set(outcome.unresolved) == {IDS[5]}
    assert "asked twice" in outcome.unresolved[IDS[5]]
    assert outcome.accounted and stored(db) == 5
    again = fetch_and_store(db, EutilsSource(eutils_client_factory(server)), IDS)
    assert again.requested == (IDS[5],)  # only what is still missing is asked for


def test_a_batch_that_fails_to_parse_writes_nothing(
    tmp_path: Path,
    eutils_server_factory: Callable[..., Any],
    eutils_client_factory: Callable[..., Any],
) -> None:
    import pytest

    from evidence.domain.errors import EvidenceError

    records = {p: synthetic_record(p) for p in IDS}
    broken = efetch_body(records, IDS).replace(b"<PMID", b"<PMID><Broken", 1)
    server = eutils_server_factory(records, {})
    server.push(*[Fault.http(200, broken, endpoint="efetch.fcgi")] * 5)
    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    with pytest.raises(EvidenceError):
        fetch_and_store(db, EutilsSource(eutils_client_factory(server, max_attempts=2)), IDS)
    assert stored(db) == 0
