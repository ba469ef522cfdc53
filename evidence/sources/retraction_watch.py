"""The Retraction Watch dataset (distributed openly by Crossref), read as a stream.

A CSV of about 60 MB, updated every working day, one row per notice. It is read row by row
with the stdlib ``csv`` module from a file or over HTTP (``requests`` with ``stream=True``,
the raw body decoded as text), hashing every byte read on the way: memory stays flat
whatever the file's size.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import requests

from evidence.domain.errors import RetractionDataError
from evidence.domain.notices import NATURE_FLAGS, RetractionNotice

COLUMNS = (
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country",
    "Author", "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
)  # fmt: skip
NEEDED = ("Record ID", "RetractionNature", "RetractionDate", "OriginalPaperDOI")
NEEDED_PMID = "OriginalPaperPubMedID"
TIMEOUT = (10.0, 120.0)  # connect, read (between chunks)
_PMID = re.compile(r"[0-9]{1,12}")
_NO_DOI = {"", "unavailable", "not available", "n/a", "na", "none", "0"}


class HashingReader(io.RawIOBase):
    """A binary stream that hashes (SHA-256) and counts every byte read through it."""

    def __init__(self, stream: IO[bytes] | Any) -> None:
        self._stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._stream.read(len(buffer))
        if not chunk:
            return 0
        buffer[: len(chunk)] = chunk
        self.sha256.update(chunk)
        self.size += len(chunk)
        return len(chunk)


@dataclass
class Dataset:
    """An open dataset: where from, its text, and the hash of the bytes read so far."""

    location: str
    text: IO[str]
    reader: HashingReader

    @property
    def sha256(self) -> str:
        """SHA-256 of the bytes read (of the whole file once read to the end)."""
        return self.reader.sha256.hexdigest()


def is_url(location: str) -> bool:
    """True for ``http://`` and ``https://`` locations."""
    return location.startswith(("http://", "https://"))


@contextmanager
def open_dataset(location: str, *, email: str | None = None) -> Iterator[Dataset]:
    """Open the dataset at ``location`` (a file path or an http(s) URL) for streaming."""
    with ExitStack() as stack:
        if is_url(location):
            raw = stack.enter_context(_http_body(location, email))
        else:
            try:
                raw = stack.enter_context(Path(location).expanduser().open("rb"))
            except OSError as exc:
                raise RetractionDataError(
                    f"cannot read the Retraction Watch file {location}: {exc.strerror or exc}"
                ) from None
        reader = HashingReader(raw)
        buffered = io.BufferedReader(reader, buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="replace", newline="")
        yield Dataset(location, text, reader)


@contextmanager
def _http_body(url: str, email: str | None) -> Iterator[Any]:
    headers = {"User-Agent": f"evidence (mailto:{email})" if email else "evidence"}
    try:
        response = requests.get(url, stream=True, timeout=TIMEOUT, headers=headers)
    except requests.RequestException as exc:
        raise RetractionDataError(
            f"cannot reach the Retraction Watch dataset at {url}: {type(exc).__name__}"
        ) from None
    with response:
        if response.status_code != 200:
            raise RetractionDataError(
                f"the Retraction Watch dataset at {url} answered HTTP {response.status_code}"
            )
        response.raw.decode_content = True  # gzip/deflate undone while streaming
        yield response.raw


def read_notices(text: IO[str]) -> Iterator[RetractionNotice | None]:
    """One item per row: its notice, or None for a row that names no paper or no nature."""
    reader = csv.DictReader(text)
    header = reader.fieldnames or []
    missing = [c for c in (*NEEDED, NEEDED_PMID) if c not in header]
    if missing:
        raise RetractionDataError(
            "not the Retraction Watch CSV: no column "
            + ", ".join(repr(c) for c in missing)
            + f" (columns: {', '.join(header[:8]) or 'none'})"
        )
    try:
        for row in reader:
            yield notice_of(row)
    except csv.Error as exc:
        raise RetractionDataError(
            f"the Retraction Watch CSV is malformed at line {reader.line_num}: {exc}"
        ) from None


def notice_of(row: dict[str, str | None]) -> RetractionNotice | None:
    """The notice of one CSV row, or None when it names no paper or an unknown nature."""
    nature = " ".join((row.get("RetractionNature") or "").split())
    doi = clean_doi(row.get("OriginalPaperDOI"))
    pmid = clean_pmid(row.get("OriginalPaperPubMedID"))
    if nature.casefold() not in NATURE_FLAGS or not (doi or pmid):
        return None
    return RetractionNotice(
        record_id=(row.get("Record ID") or "").strip(),
        nature=nature,
        original_doi=doi,
        original_pmid=pmid,
        notice_date=iso_date(row.get("RetractionDate")),
        reasons=reasons(row.get("Reason")),
        retraction_doi=clean_doi(row.get("RetractionDOI")),
        retraction_pmid=clean_pmid(row.get("RetractionPubMedID")),
    )


def clean_doi(value: str | None) -> str | None:
    """A DOI lower-cased, without a ``https://doi.org/`` prefix; None when there is none."""
    doi = (value or "").strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if doi.startswith(prefix):
            doi = doi[len(prefix) :].strip()
    return None if doi in _NO_DOI else doi


def clean_pmid(value: str | None) -> str | None:
    """A PMID, or None for ``0``, empty or anything not a number."""
    pmid = (value or "").strip()
    if pmid.endswith(".0"):
        pmid = pmid[:-2]
    return pmid if _PMID.fullmatch(pmid) and int(pmid) > 0 else None


def iso_date(value: str | None) -> str | None:
    """``12/31/2019 0:00`` (or ``12/31/2019``, ``2019-12-31``) as ``2019-12-31``."""
    text = (value or "").strip()
    for pattern in ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def reasons(value: str | None) -> tuple[str, ...]:
    """``+Fake Peer Review;+Paper Mill;`` as ``("Fake Peer Review", "Paper Mill")``."""
    parts = (p.strip().lstrip("+").strip() for p in (value or "").split(";"))
    return tuple(p for p in parts if p)
