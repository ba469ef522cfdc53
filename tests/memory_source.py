"""A second Source for tests: searches and records held in memory, no HTTP at all.

It proves the seam: the refresh pipeline, grading, verdicts and reports run over it
unchanged. Records are PubMed XML (fixture files), parsed by the shared parser.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from evidence.domain.records import Article
from evidence.sources.base import (
    FetchedBatch,
    RevisedRecords,
    SearchQuery,
    SearchResult,
    SourceIdentity,
)
from evidence.sources.pubmed_xml.parser import parse_articles

KIND = "memory"


@dataclass
class MemorySource:
    """``searches``: term as sent -> PMIDs; ``records``: PMID -> one record's XML;
    ``mdates``: PMID -> the day it was last modified (records not listed: never)."""

    searches: Mapping[str, Sequence[str]]
    records: Mapping[str, bytes]
    mdates: Mapping[str, date] = field(default_factory=dict)
    searched: list[SearchQuery] = field(default_factory=list)
    fetched: list[tuple[str, ...]] = field(default_factory=list)
    asked: list[tuple[tuple[str, ...], date, date]] = field(default_factory=list)
    closed: bool = False

    def identity(self) -> SourceIdentity:
        return SourceIdentity(KIND, "memory://fixtures", snapshot="fixture set 1")

    def search(self, query: SearchQuery) -> SearchResult:
        self.searched.append(query)
        pmids = tuple(self.searches.get(query.term, ()))
        return SearchResult(
            term=query.term,
            count=len(pmids),
            pmids=pmids,
            query_translation=None,
            warnings=(),
            errors=(),
            params={"term": query.term},
            requests=0,
            retries=(),
            complete=True,
        )

    def fetch(self, pmids: Sequence[str]) -> Iterator[FetchedBatch]:
        batch = tuple(pmids)
        self.fetched.append(batch)
        yield FetchedBatch(requested=batch, articles=tuple(self._articles(batch)))

    def modified_since(
        self, pmids: Sequence[str], since: date, until: date, *, terms: Sequence[str] = ()
    ) -> RevisedRecords:
        """Answered from ``mdates``, as a local mirror would from its stored dates."""
        self.asked.append((tuple(pmids), since, until))
        revised = {p for p in pmids if p in self.mdates and since <= self.mdates[p] <= until}
        return RevisedRecords(frozenset(revised), method="stored-dates")

    def close(self) -> None:
        self.closed = True

    def _articles(self, pmids: Sequence[str]) -> list[Article]:
        body = b"".join(self.records[p] for p in pmids if p in self.records)
        return parse_articles(b"<PubmedArticleSet>" + body + b"</PubmedArticleSet>")
