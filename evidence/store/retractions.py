"""Retraction Watch notices: loads replaced whole, and their matches with linked studies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, utcnow
from evidence.domain.notices import RetractionNotice
from evidence.store import bulk, found
from evidence.store.bulk import chunks
from evidence.store.models import (
    Article,
    Claim,
    ClaimArticle,
    RetractionLoad,
)
from evidence.store.models import (
    RetractionNotice as NoticeRow,
)


@dataclass(frozen=True)
class LoadInfo:
    """A load of the dataset, as stored."""

    id: int
    loaded_at: datetime
    source: str
    sha256: str
    rows: int
    notices: int
    dataset_date: str | None


def begin_load(session: Session, source: str) -> int:
    """A new load (its figures filled in by :func:`finish_load`); its id."""
    row = RetractionLoad(
        loaded_at=utcnow(), source=source, sha256="", rows=0, notices=0, dataset_date=None
    )
    session.add(row)
    session.flush()
    return row.id


_NOTICE_FIELDS = tuple(f.name for f in fields(RetractionNotice))
_notice_values = attrgetter(*_NOTICE_FIELDS)
NOTICE_COLUMNS = ("load_id", *_NOTICE_FIELDS)


def add_notices(session: Session, load_id: int, notices: Sequence[RetractionNotice]) -> None:
    """Insert one batch of notices of the load."""
    rows = [(load_id, *_notice_values(n)) for n in notices]
    bulk.insert_tuples(session, cast(Table, NoticeRow.__table__), NOTICE_COLUMNS, rows)


def finish_load(session: Session, load_id: int, figures: Mapping[str, Any]) -> None:
    """Set the load's figures and drop every other load's notices (the caller commits once,
    so readers see the old notices or the new ones, never a mix)."""
    session.execute(delete(NoticeRow).where(NoticeRow.load_id != load_id))
    session.execute(update(RetractionLoad).where(RetractionLoad.id == load_id).values(**figures))


def latest_load(session: Session) -> LoadInfo | None:
    """The load whose notices are stored, or None."""
    row = session.scalars(
        select(RetractionLoad).order_by(RetractionLoad.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return LoadInfo(
        row.id, as_utc(row.loaded_at), row.source, row.sha256, row.rows, row.notices,
        row.dataset_date,
    )  # fmt: skip


def _linked_pmids() -> Any:
    return (
        select(ClaimArticle.pmid)
        .join(Claim, Claim.id == ClaimArticle.claim_id)
        .where(Claim.active.is_(True), ClaimArticle.active.is_(True))
        .distinct()
    )


def matched_notices(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Linked PMID -> the notices matching it by PMID or DOI (any case).

    One statement: the PMID matches and the DOI matches, united.
    """
    columns = (NoticeRow.record_id, NoticeRow.nature, NoticeRow.notice_date)
    by_pmid = (
        select(Article.pmid, *columns, literal("PMID").label("matched_by"))
        .join(NoticeRow, NoticeRow.original_pmid == Article.pmid)
        .where(Article.pmid.in_(_linked_pmids()))
    )
    by_doi = (
        select(Article.pmid, *columns, literal("DOI").label("matched_by"))
        .join(NoticeRow, NoticeRow.original_doi == func.lower(Article.doi))
        .where(Article.pmid.in_(_linked_pmids()), Article.doi.is_not(None))
    )
    matches: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for pmid, record_id, nature, notice_date, matched_by in session.execute(
        union_all(by_pmid, by_doi)
    ):
        seen = matches[pmid].get(record_id)
        if seen is not None:
            seen["matched_by"] = "PMID and DOI"
            continue
        matches[pmid][record_id] = {
            "record_id": record_id,
            "nature": nature,
            "notice_date": notice_date,
            "matched_by": matched_by,
        }
    return {pmid: list(notices.values()) for pmid, notices in matches.items()}


def linked_notice_flags(session: Session) -> Iterator[list[tuple[str, list[Any]]]]:
    """Pages of (PMID, the notice flags stored on the record) of every linked record, in
    PMID order (keyset pages of :data:`evidence.store.found.PAGE`: memory bounded by the
    page)."""
    size = found.PAGE
    stmt = (
        select(Article.pmid, Article.notices)
        .where(Article.pmid.in_(_linked_pmids()))
        .order_by(Article.pmid)
        .limit(size)
    )
    last: str | None = None
    while True:
        rows = session.execute(stmt if last is None else stmt.where(Article.pmid > last)).all()
        if rows:
            yield [(pmid, list(notices or ())) for pmid, notices in rows]
        if len(rows) < size:
            return
        last = rows[-1][0]


def set_notice_flags(session: Session, flags: Mapping[str, list[dict[str, Any]]]) -> None:
    """Write the notice flags onto the records (one executemany per batch)."""
    rows = [{"b_pmid": pmid, "notices": entries} for pmid, entries in flags.items()]
    table = cast(Table, Article.__table__)
    stmt = update(table).where(table.c.pmid == bindparam("b_pmid"))
    for batch in chunks(rows):
        session.connection().execute(stmt.values(notices=bindparam("notices")), batch)
