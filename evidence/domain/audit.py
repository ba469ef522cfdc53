"""What auditors check: the PMID-set hash and timestamps, each defined once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from evidence.domain.pmids import in_pmid_order

NCBI_EUTILS_HOST = "eutils.ncbi.nlm.nih.gov"


def pmid_order(pmid: str) -> tuple[int, str]:
    """Numeric order of PMIDs kept as strings."""
    return (len(pmid), pmid)


def sorted_pmids(pmids: Iterable[str]) -> list[str]:
    """``pmids`` in :func:`pmid_order`, as ``sorted(pmids, key=pmid_order)`` but without a
    key tuple per PMID (each length sorted apart): a list is all it holds."""
    by_length: dict[int, list[str]] = {}
    for pmid in pmids:
        by_length.setdefault(len(pmid), []).append(pmid)
    ordered: list[str] = []
    for length in sorted(by_length):
        group = by_length.pop(length)
        group.sort()
        ordered += group
    return ordered


def pmid_set_sha256(pmids: Iterable[str]) -> str:
    """SHA-256 of a PMID set: sorted numerically, one per line (reproducible by hand).

    Hashed as it goes, a page of lines at a time: memory is the PMIDs as 8-byte integers."""
    digest = hashlib.sha256()
    previous: str | None = None
    page: list[str] = []
    for pmid in in_pmid_order(pmids):
        if pmid != previous:  # each PMID once
            page.append(pmid)
            previous = pmid
        if len(page) >= _HASH_PAGE:
            digest.update(("\n".join(page) + "\n").encode())
            page.clear()
    if page:
        digest.update(("\n".join(page) + "\n").encode())
    return digest.hexdigest()


_HASH_PAGE = 4096


def utcnow() -> datetime:
    """Now, in UTC (timestamps are stored timezone-aware)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time made timezone-aware (SQLite hands back naive UTC datetimes)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_ncbi_eutils(location: str) -> bool:
    """True when ``location`` is NCBI's E-utilities (``https://eutils.ncbi.nlm.nih.gov/...``)."""
    parts = urlsplit(location.strip())
    on_host = parts.hostname == NCBI_EUTILS_HOST and parts.port in (None, 443)
    return parts.scheme == "https" and on_host
