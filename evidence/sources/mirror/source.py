"""The local PubMed mirror as a :class:`~evidence.sources.base.Source`.

Searches are parsed by the claims files' own parser (:func:`parse_query`) and answered by a
:class:`MirrorIndex` (the store's, built by the application context); records are the stored
XML of each PMID's latest version, read by the shared parser. The identity names the database
and the snapshot: ``baseline 2025 + update 1400``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Protocol

from evidence.domain.errors import MirrorSearchError
from evidence.domain.mirror import MirrorAnswer, MirrorSummary
from evidence.domain.query_syntax import (
    And,
    Node,
    Or,
    QuerySyntaxError,
    Range,
    Term,
    parse_query,
    render,
)
from evidence.sources.base import (
    FetchedBatch,
    RevisedRecords,
    SearchQuery,
    SearchResult,
    SourceIdentity,
)
from evidence.sources.eutils.source import split_deleted
from evidence.sources.mirror.records import decompress
from evidence.sources.pubmed_xml.parser import parse

KIND = "mirror"
BATCH = 500
DATETYPE_FIELDS = {"pdat": "dp", "edat": "edat", "mdat": "mdat", "crdt": "crdt"}


class MirrorIndex(Protocol):
    """What the adapter needs of the mirror's storage."""

    @property
    def location(self) -> str: ...

    def summary(self) -> MirrorSummary: ...

    def search(self, node: Node) -> MirrorAnswer: ...

    def records(self, pmids: Sequence[str]) -> tuple[dict[str, bytes], frozenset[str]]: ...

    def close(self) -> None: ...


class MirrorSource:
    """PubMed from the local mirror."""

    def __init__(self, index: MirrorIndex) -> None:
        self.index = index

    def identity(self) -> SourceIdentity:
        """``mirror``, the database, and the snapshot loaded."""
        return SourceIdentity(KIND, self.index.location, self.index.summary().snapshot)

    def search(self, query: SearchQuery) -> SearchResult:
        """Every PMID the mirror finds for the term (and date range), newest first."""
        node = query_node(query)
        answer = self.index.search(node)
        params = {"term": query.term}
        for name in ("mindate", "maxdate", "datetype"):
            value = getattr(query, name)
            if value is not None:
                params[name] = value
        return SearchResult(
            term=query.term,
            count=len(answer.pmids),
            pmids=answer.pmids,
            query_translation=render(node),
            warnings=answer.notes,
            errors=(),
            params=params,
            requests=0,
            retries=(),
            complete=True,
        )

    def modified_since(
        self, pmids: Sequence[str], since: date, until: date, *, terms: Sequence[str] = ()
    ) -> RevisedRecords:
        """Which of ``pmids`` the loaded files revised within the days (from the stored
        modification dates: no request)."""
        wanted = list(dict.fromkeys(pmids))
        dates = Range(f"{since:%Y/%m/%d}", f"{until:%Y/%m/%d}", "mdat")
        revised: set[str] = set()
        for start in range(0, len(wanted), BATCH):
            ids = wanted[start : start + BATCH]
            node = And((Or(tuple(Term(p, "uid", False, False) for p in ids)), dates))
            revised.update(self.index.search(node).pmids)
        return RevisedRecords(frozenset(revised) & set(wanted), method="stored-dates")

    def fetch(self, pmids: Sequence[str]) -> Iterator[FetchedBatch]:
        """The stored records, parsed, in batches of 500; deleted PMIDs said so."""
        wanted = list(dict.fromkeys(pmids))
        for start in range(0, len(wanted), BATCH):
            batch = tuple(wanted[start : start + BATCH])
            stored, deleted = self.index.records(batch)
            body = b"".join(decompress(stored[p]) for p in batch if p in stored)
            articles, _ = split_deleted(
                parse(b"<PubmedArticleSet>" + body + b"</PubmedArticleSet>")
            )
            yield FetchedBatch(
                requested=batch, articles=tuple(articles), deleted=frozenset(deleted)
            )

    def close(self) -> None:
        """Release the index."""
        self.index.close()


def query_node(query: SearchQuery) -> Node:
    """The AST of the term, with ``mindate``/``maxdate`` as a date range (default pdat)."""
    try:
        node = parse_query(query.term)
    except QuerySyntaxError as exc:
        raise MirrorSearchError(f"query syntax: {exc}") from exc
    if query.mindate or query.maxdate:
        field = DATETYPE_FIELDS.get(query.datetype or "pdat")
        if field is None:
            raise MirrorSearchError(f"the mirror has no datetype {query.datetype!r}")
        low = (query.mindate or "1000").replace("-", "/")
        high = (query.maxdate or "3000").replace("-", "/")
        node = And((node, Range(low, high, field)))
    return node
