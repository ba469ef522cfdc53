"""Turn PubMed XML elements into the parts of a record: abstract, authors, ids, MeSH...

Each function takes the element(s) NCBI puts the data in, or their children grouped by tag
(:data:`~evidence.sources.pubmed_xml.xmltext.Kids`, one pass per element instead of an
ElementPath lookup per field), and returns typed values from :mod:`evidence.domain.records`;
none of them reads anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from lxml import etree

from evidence.domain.records import (
    AbstractSection,
    Author,
    CommentCorrection,
    MeshHeading,
    PublicationType,
)
from evidence.sources.pubmed_xml.xmltext import (
    Kids,
    children,
    first,
    flat_text,
    kids,
    normalise_space,
    text,
)

_DOI = re.compile(r"10\.[0-9]+/\S.*")
_ORCID = re.compile(r"([0-9]{4})-?([0-9]{4})-?([0-9]{4})-?([0-9]{3}[0-9Xx])")
_UNLABELLED = "UNLABELLED"  # NLM's placeholder label; not worth printing


def abstract_sections(container: Kids) -> tuple[AbstractSection, ...]:
    """The AbstractText parts of ``container/Abstract``."""
    return tuple(
        AbstractSection(
            text=flat_text(part),
            label=normalise_space(part.get("Label") or "") or None,
            nlm_category=part.get("NlmCategory") or None,
        )
        for part in kids(container.get("Abstract", ())).get("AbstractText", ())
    )


def abstract_text(sections: Iterable[AbstractSection]) -> str:
    """Sections joined by a blank line, each prefixed ``LABEL: `` when labelled."""
    parts = (
        f"{section.label}: {section.text}"
        if section.label and section.label.upper() != _UNLABELLED
        else section.text
        for section in sections
        if section.text
    )
    return "\n\n".join(parts)


def pages(container: Kids) -> str | None:
    """MedlinePgn, else StartPage-EndPage."""
    pagination = first(container, "Pagination")
    if pagination is None:
        return None
    found = kids((pagination,))
    medline = text(found, "MedlinePgn")
    if medline:
        return medline
    bounds = [text(found, "StartPage"), text(found, "EndPage")]
    return "-".join(page for page in bounds if page) or None


def authors(author_lists: Iterable[etree._Element]) -> tuple[Author, ...]:
    """Authors of every non-editor AuthorList; ``ValidYN="N"`` entries are withdrawn names."""
    return tuple(
        _author(author)
        for author_list in author_lists
        if author_list.get("Type") != "editors"
        for author in author_list
        if author.tag == "Author" and author.get("ValidYN") != "N"
    )


def _author(author: etree._Element) -> Author:
    """One Author element (``FirstName`` and a bare ``Affiliation`` are pre-2014 forms).

    One pass over its children (an Author is read ~6 times a record: this is hot).
    """
    first_child: dict[object, etree._Element] = {}
    infos, bare, identifiers = [], [], []
    for child in children(author):
        tag = child.tag
        if tag == "AffiliationInfo":
            infos.append(child)
        elif tag == "Affiliation":
            bare.append(child)
        elif tag == "Identifier":
            identifiers.append(child)
        elif tag not in first_child:
            first_child[tag] = child
    nested = [c for info in infos for c in children(info) if c.tag == "Affiliation"]
    affiliations = (flat_text(element) for element in nested + bare)
    return Author(
        last_name=_text(first_child.get("LastName")),
        fore_name=_text(first_child.get("ForeName")) or _text(first_child.get("FirstName")),
        initials=_text(first_child.get("Initials")),
        collective_name=_text(first_child.get("CollectiveName")),
        affiliations=tuple(text for text in affiliations if text),
        orcid=_orcid(identifiers),
    )


def _text(element: etree._Element | None) -> str | None:
    """Flattened text of ``element``; ``None`` if missing or blank (``flat_text`` inlined)."""
    if element is None:
        return None
    if len(element):
        return flat_text(element) or None
    text = element.text
    return " ".join(text.split()) or None if text else None


def _orcid(identifiers: Iterable[etree._Element]) -> str | None:
    """The ORCID iD as ``0000-0002-1825-0097``, whatever URL or hyphenation NCBI kept."""
    for identifier in identifiers:
        if identifier.get("Source") != "ORCID":
            continue
        raw = flat_text(identifier)
        match = _ORCID.search(raw)
        if match:
            return "-".join(match.groups()).upper()
        if raw:
            return raw
    return None


def with_legacy_affiliation(found: tuple[Author, ...], article: Kids) -> tuple[Author, ...]:
    """Before 2014 ``Article/Affiliation`` held the first author's affiliation."""
    legacy = text(article, "Affiliation")
    if not legacy or not found or found[0].affiliations:
        return found
    return (replace(found[0], affiliations=(legacy,)), *found[1:])


def article_id(ids: Iterable[etree._Element], id_type: str) -> str | None:
    """The first non-blank ArticleId of ``id_type`` among ``ids``."""
    for element in ids:
        if element.get("IdType") == id_type:
            value = flat_text(element)
            if value:
                return value
    return None


def doi(ids: Iterable[etree._Element], locations: Iterable[etree._Element]) -> str | None:
    """The record's DOI: its ArticleIdList first, then a valid doi ELocationID."""
    candidates = [flat_text(element) for element in ids if element.get("IdType") == "doi"]
    candidates += [
        flat_text(location)
        for location in locations
        if location.get("EIdType") == "doi" and location.get("ValidYN") != "N"
    ]
    return next((candidate for candidate in candidates if _DOI.fullmatch(candidate)), None)


def publication_types(elements: Iterable[etree._Element]) -> tuple[PublicationType, ...]:
    """PublicationType elements with their MeSH UI."""
    named = ((flat_text(element), element) for element in elements)
    return tuple(
        PublicationType(name=name, ui=element.get("UI")) for name, element in named if name
    )


def mesh_headings(citation: Kids) -> tuple[MeshHeading, ...]:
    """MeSH descriptors with qualifiers, in order; headings without a descriptor are skipped."""
    headings = []
    for heading_list in citation.get("MeshHeadingList", ()):
        for heading in children(heading_list):
            if heading.tag == "MeshHeading":
                found = _mesh_heading(heading)
                if found is not None:
                    headings.append(found)
    return tuple(headings)


def _mesh_heading(heading: etree._Element) -> MeshHeading | None:
    """One heading (``major`` if the descriptor or any qualifier is); None without a name."""
    descriptor: etree._Element | None = None
    names, major_names = [], []
    for child in children(heading):
        tag = child.tag
        if tag == "QualifierName":
            name = _text(child) or ""
            names.append(name)
            if child.get("MajorTopicYN") == "Y":
                major_names.append(name)
        elif tag == "DescriptorName" and descriptor is None:
            descriptor = child
    descriptor_name = _text(descriptor)
    if descriptor_name is None or descriptor is None:
        return None
    return MeshHeading(
        descriptor=descriptor_name,
        ui=descriptor.get("UI"),
        major=bool(major_names) or descriptor.get("MajorTopicYN") == "Y",
        qualifiers=tuple(names),
        major_qualifiers=tuple(major_names),
    )


def comments_corrections(citation: Kids) -> tuple[CommentCorrection, ...]:
    """CommentsCorrections links, including the pre-2008 ``<CommentIn>``-style form."""
    links = [
        _comment_correction(element.get("RefType") or "", element)
        for element in kids(citation.get("CommentsCorrectionsList", ())).get(
            "CommentsCorrections", ()
        )
    ]
    links += [
        _comment_correction(element.tag, element)
        for group in citation.get("CommentsCorrections", ())
        for element in group.iterchildren("*")
    ]
    return tuple(links)


def _comment_correction(ref_type: str, element: etree._Element) -> CommentCorrection:
    """One link: its type, the linked PMID and the citation text."""
    found = kids((element,))
    return CommentCorrection(
        ref_type=ref_type, pmid=text(found, "PMID"), ref_source=text(found, "RefSource")
    )
