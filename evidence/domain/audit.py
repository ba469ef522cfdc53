"""What auditors check: the PMID-set hash and timestamps, each defined once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

NCBI_EUTILS_HOST = "eutils.ncbi.nlm.nih.gov"


def pmid_order(pmid: str) -> tuple[int, str]:
    """Numeric order of PMIDs kept as strings."""
    return (len(pmid), pmid)


def pmid_set_sha256(pmids: Iterable[str]) -> str:
    """SHA-256 of a PMID set: sorted numerically, one per line (reproducible by hand)."""
    ordered = sorted(set(pmids), key=pmid_order)
    return hashlib.sha256("".join(f"{p}\n" for p in ordered).encode()).hexdigest()


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
