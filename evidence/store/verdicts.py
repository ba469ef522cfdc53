"""Reviewer verdicts: append-only rows, and the linked record each one judged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Session

from evidence.domain.audit import as_utc, utcnow
from evidence.domain.notices import notice_flag_names
from evidence.domain.review import VerdictInfo
from evidence.domain.vocab import KIND_VERDICT
from evidence.store.models import Article, ClaimArticle, ClaimStatement, Verdict

_JUDGED = ClaimStatement.__table__.alias("judged")

# What a VerdictInfo is made of: select them, add the judged wording with
# :func:`join_judged`, map each row with :func:`verdict_info_of`.
VERDICT_INFO_COLUMNS = (
    Verdict.reviewer,
    Verdict.verdict,
    Verdict.note,
    Verdict.created_at,
    Verdict.record_sha256,
    cast(Verdict.flags_at_review, Text).label("flags_at_review"),
    Verdict.kind,
    Verdict.reason,
    _JUDGED.c.version.label("judged_version"),
)


@dataclass(frozen=True)
class LinkedRecord:
    """The stored record of a study linked to a claim, as a verdict needs it."""

    pmid: str
    title: str
    record_sha256: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class VerdictRecord:
    """One stored verdict."""

    id: int
    pmid: str
    verdict: str
    reviewer: str
    note: str | None
    created_at: datetime
    record_sha256: str | None
    flags_at_review: tuple[str, ...]
    statement_version: int | None = None
    current_wording: bool = True
    kind: str = KIND_VERDICT
    reason: str | None = None


def join_judged(query: Select[Any]) -> Select[Any]:
    """``query`` (over :data:`VERDICT_INFO_COLUMNS`) joined to the wording each verdict judged."""
    return query.join(_JUDGED, _JUDGED.c.id == Verdict.statement_id, isouter=True)


def verdict_info_of(row: Any, current_version: int | None) -> VerdictInfo:
    """A row of :data:`VERDICT_INFO_COLUMNS` as a VerdictInfo; ``current_version``: the
    claim's wording now."""
    return VerdictInfo(
        row.reviewer,
        row.verdict,
        row.note,
        as_utc(row.created_at),
        row.record_sha256,
        json_words(row.flags_at_review),
        statement_version=row.judged_version,
        current_wording=row.judged_version == current_version,
        kind=row.kind,
        reason=row.reason,
    )


def json_words(json_text: str | None) -> tuple[str, ...]:
    """A JSON list of words (read as text: the JSON type's processing costs more)."""
    if not json_text or json_text == "[]":
        return ()
    return tuple(str(w) for w in json.loads(json_text) or ())


def linked_record(session: Session, claim_id: int, pmid: str) -> LinkedRecord | None:
    """The record of ``pmid`` if it is (or was) linked to the claim, else None."""
    row = session.execute(
        select(Article.pmid, Article.title, Article.record_sha256, Article.flags, Article.notices)
        .join(ClaimArticle, ClaimArticle.pmid == Article.pmid)
        .where(ClaimArticle.claim_id == claim_id, ClaimArticle.pmid == pmid)
    ).first()
    if row is None:
        return None
    return LinkedRecord(row.pmid, row.title, row.record_sha256, all_flags(row.flags, row.notices))


def all_flags(flags: list[str] | None, notices: list[dict[str, str]] | None) -> tuple[str, ...]:
    """A record's PubMed flags and those its Retraction Watch notices give, each once."""
    return tuple(dict.fromkeys((*(flags or ()), *notice_flag_names(notices or ()))))


def add_verdict(
    session: Session,
    claim_id: int,
    record: LinkedRecord,
    verdict: str,
    reviewer: str,
    note: str | None,
    *,
    kind: str = KIND_VERDICT,
    reason: str | None = None,
) -> VerdictRecord:
    """Append a verdict (or a resolution) on (claim, record), stamped with the record as it
    is now and the claim's current wording."""
    statement = session.execute(
        select(ClaimStatement.id, ClaimStatement.version)
        .where(ClaimStatement.claim_id == claim_id)
        .order_by(ClaimStatement.version.desc())
        .limit(1)
    ).first()
    row = Verdict(
        statement_id=statement.id if statement else None,
        claim_id=claim_id,
        pmid=record.pmid,
        verdict=verdict,
        reviewer=reviewer,
        note=note,
        created_at=utcnow(),
        record_sha256=record.record_sha256,
        flags_at_review=list(record.flags),
        kind=kind,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return _record(row, statement.version if statement else None, True)


def verdicts_of(session: Session, claim_id: int, pmid: str | None = None) -> list[VerdictRecord]:
    """Every verdict on the claim (or on one of its studies), oldest first, with the wording
    version it judged and whether that is still the claim's wording."""
    current = session.scalar(
        select(func.max(ClaimStatement.version)).where(ClaimStatement.claim_id == claim_id)
    )
    query = (
        select(Verdict, ClaimStatement.version)
        .join(ClaimStatement, ClaimStatement.id == Verdict.statement_id, isouter=True)
        .where(Verdict.claim_id == claim_id)
    )
    if pmid is not None:
        query = query.where(Verdict.pmid == pmid)
    rows = session.execute(query.order_by(Verdict.created_at, Verdict.id))
    return [_record(v, version, version == current) for v, version in rows]


def records_of(session: Session, pmids: set[str]) -> dict[str, LinkedRecord]:
    """The stored records of ``pmids`` (title, hash, flags), in one query."""
    rows = session.execute(
        select(
            Article.pmid, Article.title, Article.record_sha256, Article.flags, Article.notices
        ).where(Article.pmid.in_(sorted(pmids)))
    )
    return {
        r.pmid: LinkedRecord(r.pmid, r.title, r.record_sha256, all_flags(r.flags, r.notices))
        for r in rows
    }


def _record(row: Verdict, version: int | None, current: bool) -> VerdictRecord:
    return VerdictRecord(
        row.id,
        row.pmid,
        row.verdict,
        row.reviewer,
        row.note,
        row.created_at,
        row.record_sha256,
        tuple(row.flags_at_review or ()),
        version,
        current,
        row.kind,
        row.reason,
    )
