"""A second Source for tests: searches and records held in memory, no HTTP at all.

It proves the seam: the refresh pipeline, grading, verdicts and reports run over it
unchanged. Records are PubMed XML (fixture files), parsed by the shared parser.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from evidence.domain.records import Article
from evidence.sources.base import FetchedBatch, SearchQuery, SearchResult, SourceIdentity
from evidence.sources.pubmed_xml.parser import parse_articles

KIND = "memory"


@dataclass
class MemorySource:
    """``searches``: term as sent -> PMIDs; ``records``: PMID -> one record's XML."""

    searches: Mapping[str, Sequence[str]]
    records: Mapping[str, bytes]
    searched: list[SearchQuery] = field(default_factory=list)
    fetched: list[tuple[str, ...]] = field(default_factory=list)
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

    def close(self) -> None:
        self.closed = True

    def _articles(self, pmids: Sequence[str]) -> list[Article]:
        body = b"".join(self.records[p] for p in pmids if p in self.records)
        return parse_articles(b"<PubmedArticleSet>" + body + b"</PubmedArticleSet>")
