"""Claims files: TOML describing a health article, its claims and their PubMed queries.

Validation errors name the file, the line and what is wrong; every problem of a file is
reported at once, and nothing is stored before a file validates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.domain.claims_limits import LIMITS, ClaimsLimits, structure_problem
from evidence.domain.claims_lines import LineIndex
from evidence.domain.errors import ClaimsFileError
from evidence.domain.query_syntax import check_query
from evidence.domain.vocab import MAX_REVIEWERS

CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
PUBMED_DATE = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")
DATETYPES = ("pdat", "edat", "mdat", "crdt")
ARTICLE_KEYS = {"slug", "title", "source", "url", "reviewed"}
CLAIM_KEYS = {"id", "statement", "section", "queries", "review"}
REVIEW_KEYS = {"reviewers", "blind"}
QUERY_KEYS = {"label", "term", "mindate", "maxdate", "datetype", "filters"}


@dataclass(frozen=True)
class QuerySpec:
    """A PubMed query: a label, a term, and optional date range and filters."""

    label: str
    term: str
    mindate: str | None = None
    maxdate: str | None = None
    datetype: str | None = None
    filters: tuple[str, ...] = ()

    @property
    def full_term(self) -> str:
        """The term as sent to PubMed: the term ANDed with each filter."""
        if not self.filters:
            return self.term
        return " AND ".join(f"({part})" for part in (self.term, *self.filters))


@dataclass(frozen=True)
class ReviewSpec:
    """A ``[review]`` table: independent verdicts per study, blind or not (None: not said,
    the stored setting, or the claim set's, applies)."""

    reviewers: int | None = None
    blind: bool | None = None


@dataclass(frozen=True)
class ClaimSpec:
    """A claim: stable id, one-line statement, article section, queries."""

    id: str
    statement: str
    section: str | None
    queries: tuple[QuerySpec, ...]
    review: ReviewSpec = ReviewSpec()


@dataclass(frozen=True)
class ClaimsFile:
    """A validated claims file."""

    path: Path
    sha256: str
    slug: str
    title: str
    source: str | None
    url: str | None
    reviewed: str | None
    claims: tuple[ClaimSpec, ...] = field(default_factory=tuple)
    review: ReviewSpec = ReviewSpec()

    def claim(self, claim_id: str) -> ClaimSpec:
        """The claim with this id, or UnknownClaimError."""
        from evidence.domain.errors import UnknownClaimError

        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        known = ", ".join(c.id for c in self.claims)
        raise UnknownClaimError(f"unknown claim {claim_id!r} in {self.path} (known: {known})")


def load_claims(path: Path, limits: ClaimsLimits = LIMITS) -> ClaimsFile:
    """Read and validate a claims file, or raise ClaimsFileError listing every problem.

    Oversized or pathologically nested files are refused before TOML parsing, within the
    documented :class:`~evidence.domain.claims_limits.ClaimsLimits`.
    """
    return parse_claims(_read_bounded(path, limits.max_bytes), path, limits)


def parse_claims(raw: bytes, path: Path, limits: ClaimsLimits = LIMITS) -> ClaimsFile:
    """Validate the bytes of a claims file (``path`` names it in messages). Pure: no I/O.

    Any input gives a ClaimsFile or a ClaimsFileError, never another exception.
    """
    if len(raw) > limits.max_bytes:
        raise ClaimsFileError(
            f"{path}:1: the file is over {limits.max_bytes:,} bytes, the limit for a claims file"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClaimsFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    problem = structure_problem(text, limits)
    if problem is not None:
        raise ClaimsFileError(f"{path}:{problem[0]}: {problem[1]}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsFileError(f"{path}: invalid TOML: {exc}") from exc
    except RecursionError:
        raise ClaimsFileError(f"{path}: nested too deeply to read") from None
    checker = _Checker(path, LineIndex(text), limits)
    claims_file = checker.claims_file(data, hashlib.sha256(raw).hexdigest())
    if checker.problems:
        raise ClaimsFileError("\n".join(checker.problems))
    return claims_file


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing (without reading it all) a file over ``max_bytes``."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ClaimsFileError(f"{path}: cannot read claims file: {exc.strerror}") from exc
    if len(raw) > max_bytes:
        raise ClaimsFileError(
            f"{path}:1: the file is over {max_bytes:,} bytes, the limit for a claims file"
        )
    return raw


class _Checker:
    """Collects validation problems with their line numbers."""

    def __init__(self, path: Path, lines: LineIndex, limits: ClaimsLimits) -> None:
        self.path = path
        self.lines = lines
        self.limits = limits
        self.problems: list[str] = []

    def fail(self, where: tuple[str | int, ...], message: str) -> None:
        self.problems.append(f"{self.path}:{self.lines.line_of(where)}: {message}")

    def syntax(self, where: tuple[str | int, ...], term: str) -> None:
        """Every PubMed syntax problem of ``term`` as FILE:LINE:COL (COL in the file when
        the term stands on one line, else ``term col N``)."""
        line = self.lines.line_of(where)
        for problem in check_query(term):
            column = self.lines.column_of(line, term, problem.column)
            if column is None:
                where_text = f"{self.path}:{line}: term col {problem.column}"
            else:
                where_text = f"{self.path}:{line}:{column}"
            self.problems.append(f"{where_text}: {problem.message}")

    def claims_file(self, data: dict[str, Any], sha256: str) -> ClaimsFile:
        for key in sorted(set(data) - {"article", "claims", "review"}):
            self.fail((key,), f"unknown key {key!r} (expected 'article', 'review' and 'claims')")
        article = self.table(data, ("article",))
        self.unknown_keys(article, ARTICLE_KEYS, ("article",))
        claims_raw = data.get("claims")
        if not isinstance(claims_raw, list) or not claims_raw:
            self.fail(("claims",), "no claims: add at least one [[claims]] table")
            claims_raw = []
        claims_raw = self.at_most(claims_raw, self.limits.max_claims, ("claims",), "claims")
        claims = tuple(self.claim(c, i) for i, c in enumerate(claims_raw))
        self.duplicates([c.id for c in claims], lambda i: ("claims", i, "id"), "claim id")
        reviewed = article.get("reviewed")
        return ClaimsFile(
            path=self.path,
            sha256=sha256,
            slug=self.slug(article),
            title=self.text(article, "title", ("article",), required=True),
            source=self.text(article, "source", ("article",)) or None,
            url=self.text(article, "url", ("article",)) or None,
            reviewed=reviewed.isoformat() if isinstance(reviewed, dt.date) else None,
            claims=claims,
            review=self.review(data, ()),
        )

    def review(self, raw: dict[str, Any], where: tuple[str | int, ...]) -> ReviewSpec:
        """The ``review`` table of ``raw`` (the file's or a claim's), if any."""
        if "review" not in raw:
            return ReviewSpec()
        table, where = raw["review"], (*where, "review")
        if not isinstance(table, dict):
            self.fail(where, "review must be a table: reviewers = N, blind = true|false")
            return ReviewSpec()
        self.unknown_keys(table, REVIEW_KEYS, where)
        reviewers, blind = table.get("reviewers"), table.get("blind")
        if reviewers is not None and (
            isinstance(reviewers, bool)
            or not isinstance(reviewers, int)
            or not 1 <= reviewers <= MAX_REVIEWERS
        ):
            self.fail(
                (*where, "reviewers"),
                f"reviewers must be a whole number from 1 to {MAX_REVIEWERS}, not {reviewers!r}",
            )
            reviewers = None
        if blind is not None and not isinstance(blind, bool):
            self.fail((*where, "blind"), f"blind must be true or false, not {blind!r}")
            blind = None
        return ReviewSpec(reviewers, blind)

    def slug(self, article: dict[str, Any]) -> str:
        slug = self.text(article, "slug", ("article",), required=True)
        if slug and not CLAIM_ID.match(slug):
            self.fail(("article", "slug"), f"slug {slug!r} must be lowercase letters, digits, '-'")
        return slug

    def claim(self, raw: Any, index: int) -> ClaimSpec:
        where: tuple[str | int, ...] = ("claims", index)
        if not isinstance(raw, dict):
            self.fail(where, "a claim must be a table")
            return ClaimSpec(id="", statement="", section=None, queries=())
        self.unknown_keys(raw, CLAIM_KEYS, where)
        claim_id = self.text(raw, "id", where, required=True)
        if claim_id and not CLAIM_ID.match(claim_id):
            self.fail(
                (*where, "id"), f"claim id {claim_id!r} must be lowercase letters, digits, '-'"
            )
        queries_raw = raw.get("queries")
        if not isinstance(queries_raw, list) or not queries_raw:
            self.fail(where, f"claim {claim_id!r} has no queries: add [[claims.queries]]")
            queries_raw = []
        queries_raw = self.at_most(queries_raw, self.limits.max_queries, where, "queries")
        queries = tuple(self.query(q, (*where, "queries", i)) for i, q in enumerate(queries_raw))
        self.duplicates(
            [q.label for q in queries], lambda i: (*where, "queries", i, "label"), "query label"
        )
        return ClaimSpec(
            id=claim_id,
            statement=self.text(
                raw, "statement", where, required=True, limit=self.limits.max_statement
            ),
            section=self.text(raw, "section", where) or None,
            queries=queries,
            review=self.review(raw, where),
        )

    def query(self, raw: Any, where: tuple[str | int, ...]) -> QuerySpec:
        if not isinstance(raw, dict):
            self.fail(where, "a query must be a table")
            return QuerySpec(label="", term="")
        self.unknown_keys(raw, QUERY_KEYS, where)
        mindate = self.date(raw, "mindate", where)
        maxdate = self.date(raw, "maxdate", where)
        if ("mindate" in raw) != ("maxdate" in raw):
            self.fail(where, "give both mindate and maxdate, or neither (PubMed needs both)")
        datetype = self.text(raw, "datetype", where) or None
        if datetype and datetype not in DATETYPES:
            self.fail((*where, "datetype"), f"datetype must be one of {', '.join(DATETYPES)}")
        filters = raw.get("filters", [])
        if not isinstance(filters, list) or not all(
            isinstance(f, str) and f.strip() for f in filters
        ):
            self.fail((*where, "filters"), "filters must be a list of non-empty PubMed terms")
            filters = []
        filters = self.at_most(filters, self.limits.max_filters, (*where, "filters"), "filters")
        term = self.text(raw, "term", where, required=True, limit=self.limits.max_term)
        if len(term) + sum(len(f) + 9 for f in filters) > self.limits.max_term:
            self.fail(
                (*where, "term"),
                f"the term with its filters is over {self.limits.max_term:,}"
                " characters, the limit for a query",
            )
            term, filters = "", []
        if term:
            self.syntax((*where, "term"), term)
        for value in filters:
            self.syntax((*where, "filters"), value)
        return QuerySpec(
            label=self.text(raw, "label", where, required=True),
            term=" ".join(term.split()),
            mindate=mindate,
            maxdate=maxdate,
            datetype=datetype or ("pdat" if mindate else None),
            filters=tuple(" ".join(f.split()) for f in filters),
        )

    def date(self, raw: dict[str, Any], key: str, where: tuple[str | int, ...]) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value.strftime("%Y/%m/%d")
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str) or not PUBMED_DATE.match(value):
            self.fail((*where, key), f"{key} must be YYYY, YYYY/MM or YYYY/MM/DD, not {value!r}")
            return None
        return value

    def table(self, data: dict[str, Any], where: tuple[str, ...]) -> dict[str, Any]:
        value = data.get(where[-1])
        if not isinstance(value, dict):
            self.fail(where, f"missing [{where[-1]}] table")
            return {}
        return value

    def at_most(
        self, items: list[Any], limit: int, where: tuple[str | int, ...], what: str
    ) -> list[Any]:
        """``items``, or its first ``limit`` with a problem when there are more."""
        if len(items) <= limit:
            return items
        self.fail((*where, limit), f"more than {limit:,} {what}, the limit for a claims file")
        return items[:limit]

    def text(
        self,
        raw: dict[str, Any],
        key: str,
        where: tuple[str | int, ...],
        required: bool = False,
        limit: int | None = None,
    ) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.fail(where, f"missing required key {key!r}")
            return ""
        if not isinstance(value, str):
            self.fail((*where, key), f"{key!r} must be a string")
            return ""
        if required and not value.strip():
            self.fail((*where, key), f"{key!r} is empty")
        limit = limit or self.limits.max_text
        if len(value) > limit:
            self.fail(
                (*where, key), f"{key!r} is {len(value):,} characters; the limit is {limit:,}"
            )
            return ""
        return value.strip()

    def unknown_keys(
        self, raw: dict[str, Any], known: set[str], where: tuple[str | int, ...]
    ) -> None:
        for key in sorted(set(raw) - known):
            self.fail((*where, key), f"unknown key {key!r} (allowed: {', '.join(sorted(known))})")

    def duplicates(self, values: list[str], where: Any, what: str) -> None:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value and value in seen:
                self.fail(where(index), f"duplicate {what} {value!r}")
            seen.add(value)
