"""NCBI E-utilities as a :class:`~evidence.sources.base.Source`: esearch, then efetch parsed."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from evidence.domain.deadline import Deadline
from evidence.domain.records import Article, DeletedCitation
from evidence.settings import EutilsSettings
from evidence.sources.base import (
    FetchedBatch,
    RevisedRecords,
    SearchQuery,
    SearchResult,
    SourceIdentity,
)
from evidence.sources.eutils.client import EutilsClient, clean_pmids
from evidence.sources.eutils.revised import cheaper_plan, day

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
            articles, deleted = split_deleted(batch.records)
            yield FetchedBatch(
                requested=batch.requested,
                articles=tuple(articles),
                deleted=frozenset(deleted),
                requests=batch.requests,
                retries=batch.retries,
            )

    def modified_since(
        self, pmids: Sequence[str], since: date, until: date, *, terms: Sequence[str] = ()
    ) -> RevisedRecords:
        """esearch ``datetype=mdat`` over the PMIDs (or their searches, when fewer requests)."""
        wanted = clean_pmids(pmids)
        if not wanted:
            return RevisedRecords(frozenset(), method="none")
        method, sent = cheaper_plan(wanted, terms)
        found: set[str] = set()
        requests, retries = 0, list[str]()
        for term in sent:
            result = self.client.esearch(
                term, mindate=day(since), maxdate=day(until), datetype="mdat"
            )
            found.update(result.pmids)
            requests += result.requests
            retries.extend(result.retries)
        revised = frozenset(found & set(wanted))
        log.info(
            "%d of %d linked record(s) revised %s..%s (%s, %d request(s))",
            len(revised), len(wanted), day(since), day(until), method, requests,
        )  # fmt: skip
        return RevisedRecords(revised, requests, tuple(retries), method, tuple(sent))

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
