"""The only outbound links a report or the desk builds: PubMed and doi.org."""

from __future__ import annotations

from urllib.parse import quote

PUBMED_BASE = "https://pubmed.ncbi.nlm.nih.gov/"
DOI_BASE = "https://doi.org/"


def pubmed_url(pmid: str) -> str:
    """The record on PubMed."""
    return f"{PUBMED_BASE}{quote(pmid, safe='')}/"


def doi_url(doi: str | None) -> str | None:
    """The DOI resolver URL, the DOI percent-encoded (``/`` kept); None without a DOI."""
    doi = (doi or "").strip()
    return f"{DOI_BASE}{quote(doi, safe='/')}" if doi else None
