"""The only outbound links a report or the desk builds: PubMed and doi.org."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlencode

PUBMED_BASE = "https://pubmed.ncbi.nlm.nih.gov/"
DOI_BASE = "https://doi.org/"
# esearch's datetype -> the PubMed search field of that date (pdat is esearch's default)
DATE_FIELDS = {"pdat": "dp", "edat": "edat", "mdat": "mdat", "crdt": "crdt"}


def pubmed_url(pmid: str) -> str:
    """The record on PubMed."""
    return f"{PUBMED_BASE}{quote(pmid, safe='')}/"


def doi_url(doi: str | None) -> str | None:
    """The DOI resolver URL, the DOI percent-encoded (``/`` kept); None without a DOI."""
    doi = (doi or "").strip()
    return f"{DOI_BASE}{quote(doi, safe='/')}" if doi else None


def pubmed_search_term(term: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """The term as sent, with the run's date range as PubMed's web search writes it.

    ``mindate=2000, maxdate=3000, datetype=pdat`` becomes ``(term) AND 2000:3000[dp]``.
    """
    sent = dict(params)
    mindate, maxdate = sent.get("mindate"), sent.get("maxdate")
    if not mindate or not maxdate:
        return term
    field = DATE_FIELDS.get(sent.get("datetype") or "pdat", "dp")
    return f"({term}) AND {mindate}:{maxdate}[{field}]"


def pubmed_search_url(term: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """PubMed's web search running ``term`` as sent (date range included), percent-encoded."""
    return f"{PUBMED_BASE}?{urlencode({'term': pubmed_search_term(term, params)})}"
