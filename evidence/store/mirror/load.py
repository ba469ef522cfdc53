"""Writing the mirror: files and their progress, record batches, tombstones, the MeSH tree and
entry terms.

A batch is written in the caller's transaction together with its file's progress, so a
load killed at any point resumes at the first record not committed. Rows are written as
tuples by :mod:`evidence.store.bulk` (the search index, not a model, with ``executemany``);
a replaced or deleted record leaves the search index by its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from evidence.domain.audit import utcnow
from evidence.domain.mirror import (
    FIELDS,
    INDEX_VERSION,
    MeshDescriptor,
    MirrorFile,
    MirrorSummary,
    PreparedRecord,
)
from evidence.store import bulk
from evidence.store.mirror.models import (
    MirrorDeletionRow,
    MirrorFileRow,
    MirrorMeshRow,
    MirrorMeshTermRow,
    MirrorMeshTreeRow,
    MirrorMetaRow,
    MirrorRecordRow,
)

RECORD_COLUMNS = (
    "key", "pmid", "version", "record_type", "file_id", "dp", "edat", "crdt", "mdat", "raw"
)  # fmt: skip
IN_LIST = 900  # keys per IN (...) lookup
MESH_BATCH = 5000  # descriptors per insert (about ten entry terms each)
_SQLITE_FTS = f"INSERT INTO mirror_fts (rowid, {', '.join(FIELDS)}) VALUES ({{}})"


@dataclass(frozen=True)
class NewFile:
    """A file about to be loaded."""

    name: str
    kind: str
    year: int
    number: int
    size: int
    md5: str
    md5_checked: bool
    released_at: datetime | None


def is_sqlite(session: Session) -> bool:
    """True when the mirror's index is FTS5 (SQLite), False for PostgreSQL."""
    return session.get_bind().dialect.name == "sqlite"


def file_state(session: Session, name: str) -> MirrorFile | None:
    """The file of this name, loaded or being loaded; None if never started."""
    row = session.scalars(select(MirrorFileRow).where(MirrorFileRow.name == name)).one_or_none()
    return _file(row) if row is not None else None


def files(session: Session) -> list[MirrorFile]:
    """Every file started, in load order."""
    rows = session.scalars(select(MirrorFileRow).order_by(MirrorFileRow.id))
    return [_file(row) for row in rows]


def start_file(session: Session, new: NewFile) -> int:
    """Record that a file's load begins; its id."""
    row = MirrorFileRow(
        name=new.name,
        kind=new.kind,
        year=new.year,
        number=new.number,
        size=new.size,
        md5=new.md5,
        md5_checked=new.md5_checked,
        status="loading",
        records_done=0,
        upserted=0,
        deleted=0,
        started_at=utcnow(),
        released_at=new.released_at,
    )
    session.add(row)
    session.flush()
    _set_meta(session, "index_version", INDEX_VERSION)
    return row.id


def finish_file(session: Session, file_id: int) -> None:
    """Mark a file loaded."""
    session.execute(
        update(MirrorFileRow)
        .where(MirrorFileRow.id == file_id)
        .values(status="done", finished_at=utcnow())
    )


def stored_keys(session: Session, keys: Iterable[int], pmids: Iterable[int]) -> set[int]:
    """The keys stored among ``keys``, and those of any version of ``pmids``."""
    found: set[int] = set()
    for chunk in bulk.chunks(keys, IN_LIST):
        stmt = select(MirrorRecordRow.key).where(MirrorRecordRow.key.in_(chunk))
        found.update(session.scalars(stmt))
    for chunk in bulk.chunks(pmids, IN_LIST):
        stmt = select(MirrorRecordRow.key).where(MirrorRecordRow.pmid.in_(chunk))
        found.update(session.scalars(stmt))
    return found


def write_batch(
    session: Session,
    file_id: int,
    upserts: Sequence[PreparedRecord],
    deletions: Sequence[int],
    records_done: int,
) -> None:
    """Apply one batch (deletions, then upserts: each PMID's last state in the batch) and
    record the file's progress, in the session's transaction."""
    sqlite = is_sqlite(session)
    conn = session.connection()
    mark = "?" if sqlite else "%s"
    gone = sorted(stored_keys(session, (r.key for r in upserts), deletions))
    if gone:
        index_key = "rowid" if sqlite else "key"
        rows = [(key,) for key in gone]
        conn.exec_driver_sql(f"DELETE FROM mirror_fts WHERE {index_key} = {mark}", rows)
        bulk.delete_keys(session, _table(MirrorRecordRow), "key", gone)
    if deletions:
        tombstones = _table(MirrorDeletionRow)
        bulk.delete_keys(session, tombstones, "pmid", deletions)
        tombstone_rows = [(pmid, file_id) for pmid in deletions]
        bulk.insert_tuples(session, tombstones, ("pmid", "file_id"), tombstone_rows)
    if upserts:
        revived = sorted({r.pmid for r in upserts})
        bulk.delete_keys(session, _table(MirrorDeletionRow), "pmid", revived)
        records = [
            (r.key, r.pmid, r.version, r.record_type, file_id, r.dp, r.edat, r.crdt, r.mdat, r.raw)
            for r in upserts
        ]
        bulk.insert_tuples(session, _table(MirrorRecordRow), RECORD_COLUMNS, records)
        if sqlite:
            conn.exec_driver_sql(
                _SQLITE_FTS.format(", ".join([mark] * (len(FIELDS) + 1))),
                [(r.key, *r.texts) for r in upserts],
            )
        else:
            conn.exec_driver_sql(
                "INSERT INTO mirror_fts (key, doc) VALUES (%s, to_tsvector('simple', %s))",
                [(r.key, prefixed_document(r.texts)) for r in upserts],
            )
    session.execute(
        update(MirrorFileRow)
        .where(MirrorFileRow.id == file_id)
        .values(
            records_done=records_done,
            upserted=MirrorFileRow.upserted + len(upserts),
            deleted=MirrorFileRow.deleted + len(deletions),
        )
    )


def prefixed_document(texts: Sequence[str]) -> str:
    """PostgreSQL's one document: each field's tokens prefixed by the field's code."""
    return " ".join(
        f"{field}{token}"
        for field, text in zip(FIELDS, texts, strict=True)
        for token in text.split()
    )


def summary(session: Session) -> MirrorSummary:
    """Files, record and tombstone counts, the MeSH file, the index version."""
    rows = session.execute(select(MirrorMetaRow.key, MirrorMetaRow.value))
    meta = {key: value for key, value in rows}
    return MirrorSummary(
        files=tuple(files(session)),
        records=session.scalar(select(func.count()).select_from(MirrorRecordRow)) or 0,
        deleted=session.scalar(select(func.count()).select_from(MirrorDeletionRow)) or 0,
        mesh=meta.get("mesh"),
        index_version=meta.get("index_version"),
    )


def has_records(session: Session) -> bool:
    """True once any record is loaded."""
    return session.scalar(select(MirrorRecordRow.key).limit(1)) is not None


def storage_bytes(session: Session) -> int | None:
    """The database's size on disk (PostgreSQL: the whole database), or None if unknown."""
    conn = session.connection()
    if is_sqlite(session):
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
        size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
        return int(pages) * int(size)
    value = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    return int(value) if value is not None else None


def replace_mesh(session: Session, label: str, descriptors: Iterable[MeshDescriptor]) -> int:
    """Replace the MeSH tree and entry terms by ``descriptors``; how many descriptors.

    Written in batches of :data:`MESH_BATCH` descriptors, so only one batch is held at once.
    """
    for model in (MirrorMeshTermRow, MirrorMeshTreeRow, MirrorMeshRow):
        session.execute(delete(model))
    count = 0
    batch: list[MeshDescriptor] = []
    for descriptor in descriptors:
        batch.append(descriptor)
        count += 1
        if len(batch) >= MESH_BATCH:
            _insert_mesh(session, batch)
            batch = []
    _insert_mesh(session, batch)
    _set_meta(session, "mesh", f"{label} ({count:,} descriptors)")
    return count


def _insert_mesh(session: Session, batch: list[MeshDescriptor]) -> None:
    if not batch:
        return
    descriptors = [(d.ui, d.name, d.token) for d in batch]
    bulk.insert_tuples(session, _table(MirrorMeshRow), ("ui", "name", "token"), descriptors)
    trees = [(t, d.ui) for d in batch for t in d.tree_numbers]
    bulk.insert_tuples(session, _table(MirrorMeshTreeRow), ("tree_number", "ui"), trees)
    terms = [(d.ui, t) for d in batch for t in d.entry_terms]
    bulk.insert_tuples(session, _table(MirrorMeshTermRow), ("ui", "term"), terms)


def _set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(MirrorMetaRow, key)
    if row is None:
        session.add(MirrorMetaRow(key=key, value=value))
    else:
        row.value = value
    session.flush()


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _file(row: MirrorFileRow) -> MirrorFile:
    return MirrorFile(
        id=row.id,
        name=row.name,
        kind=row.kind,
        year=row.year,
        number=row.number,
        size=row.size,
        md5=row.md5,
        md5_checked=row.md5_checked,
        status=row.status,
        records_done=row.records_done,
        upserted=row.upserted,
        deleted=row.deleted,
        started_at=row.started_at,
        finished_at=row.finished_at,
        released_at=row.released_at,
    )
