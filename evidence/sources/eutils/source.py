"""NCBI E-utilities as a :class:`~evidence.sources.base.Source`: esearch, then efetch parsed."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

from evidence.domain.deadline import Deadline
from evidence.domain.records import Article, DeletedCitation
from evidence.settings import EutilsSettings
from evidence.sources.base import FetchedBatch, SearchQuery, SearchResult, SourceIdentity
from evidence.sources.eutils.client import EutilsClient
from evidence.sources.pubmed_xml.parser import parse

log = logging.getLogger("evidence.fetch")

KIND = "eutils"


class EutilsSource:
    """PubMed through E-utilities; the client owns NCBI's etiquette."""

    def __init__(self, client: EutilsClient) -> None:
        self.client = client

    @classmethod
    def from_settings(
        cls, settings: EutilsSettings, *, deadline: Deadline | None = None
    ) -> EutilsSource:
        """A source with its own client (which stops at ``deadline``, when given)."""
        return cls(EutilsClient(settings, deadline=deadline))

    def identity(self) -> SourceIdentity:
        """``eutils`` and the base URL requests went to."""
        return SourceIdentity(KIND, self.client.settings.base_url)

    def search(self, query: SearchQuery) -> SearchResult:
        """esearch, paged and sliced past the 9,999 cap."""
        return self.client.esearch(
            query.term, mindate=query.mindate, maxdate=query.maxdate, datetype=query.datetype
        )

    def fetch(self, pmids: Sequence[str]) -> Iterator[FetchedBatch]:
        """efetch in batches of 500; each answer parsed whole before it is handed on."""
        for batch in self.client.efetch(pmids):
            articles, deleted = split_deleted(parse(batch.xml))
            yield FetchedBatch(
                requested=batch.requested,
                articles=tuple(articles),
                deleted=frozenset(deleted),
                requests=batch.requests,
                retries=batch.retries,
            )

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.close()


def split_deleted(items: Iterable[Article | DeletedCitation]) -> tuple[list[Article], set[str]]:
    """The records, and the PMIDs of the deleted citations among them."""
    articles: list[Article] = []
    deleted: set[str] = set()
    for item in items:
        if isinstance(item, DeletedCitation):
            log.info("PMID %s is a deleted citation; not stored", item.pmid)
            deleted.add(item.pmid)
        else:
            articles.append(item)
    return articles, deleted
