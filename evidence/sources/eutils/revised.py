"""Asking E-utilities which PMIDs were revised: the terms to send, and which way costs less.

Two ways to ask "which of these records were modified from day A to day B" (esearch with
``datetype=mdat``, ``mindate``, ``maxdate``): by the PMIDs themselves, ORed as
``(1[uid] OR 2[uid] ...)`` in terms of at most :data:`MAX_TERM_CHARS` (POSTed), or by the
searches that found them, ORed the same way (the answer is then cut down to the PMIDs).
Each term is one request when its answer fits a page; the way with fewer terms wins, ids
on a tie (their answer is exact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

MAX_TERM_CHARS = 8_000  # ~470 eight-digit PMIDs per request; NCBI takes long POSTed terms
UID_LIST = "uid-list"
QUERY_TERMS = "query-terms"


def day(value: date) -> str:
    """``YYYY/MM/DD``, as esearch takes ``mindate``/``maxdate``."""
    return value.strftime("%Y/%m/%d")


def ored(parts: Iterable[str], limit: int = MAX_TERM_CHARS) -> list[str]:
    """``(a OR b ...)`` terms, each under ``limit`` characters (a longer part goes alone)."""
    terms: list[str] = []
    current: list[str] = []
    length = 2
    for part in parts:
        extra = len(part) + (4 if current else 0)
        if current and length + extra > limit:
            terms.append(f"({' OR '.join(current)})")
            current, length, extra = [], 2, len(part)
        current.append(part)
        length += extra
    if current:
        terms.append(f"({' OR '.join(current)})")
    return terms


def uid_terms(pmids: Sequence[str], limit: int = MAX_TERM_CHARS) -> list[str]:
    """The PMIDs as ``(1[uid] OR 2[uid] ...)`` terms."""
    return ored((f"{p}[uid]" for p in pmids), limit)


def query_terms(terms: Sequence[str], limit: int = MAX_TERM_CHARS) -> list[str]:
    """The searches as ``((t1) OR (t2) ...)`` terms (each search once)."""
    return ored((f"({t})" for t in dict.fromkeys(terms)), limit)


def cheaper_plan(
    pmids: Sequence[str], terms: Sequence[str], limit: int = MAX_TERM_CHARS
) -> tuple[str, list[str]]:
    """(method, terms to send): by id unless the searches take fewer requests."""
    by_uid = uid_terms(pmids, limit)
    by_term = query_terms(terms, limit) if terms else []
    if by_term and len(by_term) < len(by_uid):
        return QUERY_TERMS, by_term
    return UID_LIST, by_uid
