"""Typed PubMed records, as the parser produces them and the store saves them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Author:
    """One author: a person (last/fore names) or a collective (group) name."""

    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None
    affiliations: tuple[str, ...] = ()
    orcid: str | None = None

    @property
    def display_name(self) -> str:
        """``Last FM`` for a person, the group name for a collective."""
        if self.collective_name:
            return self.collective_name
        parts = [p for p in (self.last_name, self.initials or self.fore_name) if p]
        return " ".join(parts)


@dataclass(frozen=True)
class AbstractSection:
    """One part of a (possibly structured) abstract."""

    text: str
    label: str | None = None
    nlm_category: str | None = None


@dataclass(frozen=True)
class MeshHeading:
    """A MeSH descriptor with its qualifiers; ``major`` if the descriptor or any qualifier is."""

    descriptor: str
    ui: str | None = None
    major: bool = False
    qualifiers: tuple[str, ...] = ()
    major_qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicationType:
    """A PubMed publication type, e.g. ``Randomized Controlled Trial`` (UI ``D016449``)."""

    name: str
    ui: str | None = None


@dataclass(frozen=True)
class CommentCorrection:
    """A CommentsCorrections link, e.g. ``RetractionIn`` pointing at the retraction notice."""

    ref_type: str
    pmid: str | None = None
    ref_source: str | None = None


@dataclass(frozen=True)
class Article:
    """One PubMed record (``PubmedArticle`` or ``PubmedBookArticle``)."""

    pmid: str
    title: str
    record_type: str = "PubmedArticle"  # or "PubmedBookArticle"
    abstract: str = ""
    abstract_sections: tuple[AbstractSection, ...] = ()
    journal: str | None = None
    journal_abbrev: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    year: int | None = None
    pub_date: str | None = None  # as printed: "2019 Mar 5", "1998 Dec-1999 Jan"
    authors: tuple[Author, ...] = ()
    doi: str | None = None
    pmc: str | None = None
    languages: tuple[str, ...] = ()
    publication_types: tuple[PublicationType, ...] = ()
    mesh_headings: tuple[MeshHeading, ...] = ()
    keywords: tuple[str, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    pmid_version: int = 1
    medline_status: str | None = None
    raw_xml: bytes = field(default=b"", repr=False, compare=False)

    @property
    def publication_type_names(self) -> tuple[str, ...]:
        """The publication types as plain names."""
        return tuple(p.name for p in self.publication_types)


@dataclass(frozen=True)
class DeletedCitation:
    """A PMID listed under ``DeleteCitation``: NCBI withdrew it; we note it, store nothing."""

    pmid: str
