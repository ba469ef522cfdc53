"""Turn PubMed XML elements into the parts of a record: abstract, authors, ids, MeSH...

Each function takes the element(s) NCBI puts the data in and returns typed values
from :mod:`evidence.domain.records`; none of them reads anything else.
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
from tests.reference_parser.xmltext import (
    child_text,
    children_text,
    flat_text,
    normalise_space,
)

_DOI = re.compile(r"10\.[0-9]+/\S.*")
_ORCID = re.compile(r"([0-9]{4})-?([0-9]{4})-?([0-9]{4})-?([0-9]{3}[0-9Xx])")
_UNLABELLED = "UNLABELLED"  # NLM's placeholder label; not worth printing


def abstract_sections(container: etree._Element) -> tuple[AbstractSection, ...]:
    """The AbstractText parts of ``container/Abstract``."""
    return tuple(
        AbstractSection(
            text=flat_text(part),
            label=normalise_space(part.get("Label") or "") or None,
            nlm_category=part.get("NlmCategory") or None,
        )
        for part in container.iterfind("Abstract/AbstractText")
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


def pages(container: etree._Element) -> str | None:
    """MedlinePgn, else StartPage-EndPage."""
    pagination = container.find("Pagination")
    if pagination is None:
        return None
    medline = child_text(pagination, "MedlinePgn")
    if medline:
        return medline
    bounds = [child_text(pagination, "StartPage"), child_text(pagination, "EndPage")]
    return "-".join(page for page in bounds if page) or None


def authors(author_lists: Iterable[etree._Element]) -> tuple[Author, ...]:
    """Authors of every non-editor AuthorList; ``ValidYN="N"`` entries are withdrawn names."""
    return tuple(
        _author(author)
        for author_list in author_lists
        if author_list.get("Type") != "editors"
        for author in author_list.iterfind("Author")
        if author.get("ValidYN") != "N"
    )


def _author(author: etree._Element) -> Author:
    """One Author element (``FirstName`` and a bare ``Affiliation`` are pre-2014 forms)."""
    return Author(
        last_name=child_text(author, "LastName"),
        fore_name=child_text(author, "ForeName") or child_text(author, "FirstName"),
        initials=child_text(author, "Initials"),
        collective_name=child_text(author, "CollectiveName"),
        affiliations=children_text(author, "AffiliationInfo/Affiliation")
        + children_text(author, "Affiliation"),
        orcid=_orcid(author),
    )


def _orcid(author: etree._Element) -> str | None:
    """The ORCID iD as ``0000-0002-1825-0097``, whatever URL or hyphenation NCBI kept."""
    for identifier in author.iterfind("Identifier[@Source='ORCID']"):
        raw = flat_text(identifier)
        match = _ORCID.search(raw)
        if match:
            return "-".join(match.groups()).upper()
        if raw:
            return raw
    return None


def with_legacy_affiliation(
    found: tuple[Author, ...], article: etree._Element
) -> tuple[Author, ...]:
    """Before 2014 ``Article/Affiliation`` held the first author's affiliation."""
    legacy = child_text(article, "Affiliation")
    if not legacy or not found or found[0].affiliations:
        return found
    return (replace(found[0], affiliations=(legacy,)), *found[1:])


def article_id(id_lists: Iterable[etree._Element], id_type: str) -> str | None:
    """The first ArticleId of ``id_type`` directly in the record's own ArticleIdLists."""
    for id_list in id_lists:
        for element in id_list.iterfind("ArticleId"):
            if element.get("IdType") == id_type and flat_text(element):
                return flat_text(element)
    return None


def doi(id_lists: Iterable[etree._Element], locations: Iterable[etree._Element]) -> str | None:
    """The record's DOI: its ArticleIdList first, then a valid doi ELocationID."""
    candidates = [
        flat_text(element)
        for id_list in id_lists
        for element in id_list.iterfind("ArticleId")
        if element.get("IdType") == "doi"
    ]
    candidates += [
        flat_text(location)
        for location in locations
        if location.get("EIdType") == "doi" and location.get("ValidYN") != "N"
    ]
    return next((candidate for candidate in candidates if _DOI.fullmatch(candidate)), None)


def publication_types(elements: Iterable[etree._Element]) -> tuple[PublicationType, ...]:
    """PublicationType elements with their MeSH UI."""
    return tuple(
        PublicationType(name=flat_text(element), ui=element.get("UI"))
        for element in elements
        if flat_text(element)
    )


def mesh_headings(citation: etree._Element) -> tuple[MeshHeading, ...]:
    """MeSH descriptors with qualifiers, in order; headings without a descriptor are skipped."""
    headings = (_mesh_heading(h) for h in citation.iterfind("MeshHeadingList/MeshHeading"))
    return tuple(heading for heading in headings if heading.descriptor)


def _mesh_heading(heading: etree._Element) -> MeshHeading:
    """One heading; ``major`` if the descriptor or any qualifier is a major topic."""
    descriptor = heading.find("DescriptorName")
    if descriptor is None:
        descriptor = etree.Element("DescriptorName")
    qualifiers = [
        (flat_text(q), q.get("MajorTopicYN") == "Y") for q in heading.iterfind("QualifierName")
    ]
    major = tuple(name for name, is_major in qualifiers if is_major)
    return MeshHeading(
        descriptor=flat_text(descriptor),
        ui=descriptor.get("UI"),
        major=bool(major) or descriptor.get("MajorTopicYN") == "Y",
        qualifiers=tuple(name for name, _ in qualifiers),
        major_qualifiers=major,
    )


def comments_corrections(citation: etree._Element) -> tuple[CommentCorrection, ...]:
    """CommentsCorrections links, including the pre-2008 ``<CommentIn>``-style form."""
    links = [
        _comment_correction(element.get("RefType") or "", element)
        for element in citation.iterfind("CommentsCorrectionsList/CommentsCorrections")
    ]
    links += [
        _comment_correction(element.tag, element)
        for group in citation.iterfind("CommentsCorrections")
        for element in group.iterchildren("*")
    ]
    return tuple(links)


def _comment_correction(ref_type: str, element: etree._Element) -> CommentCorrection:
    """One link: its type, the linked PMID and the citation text."""
    return CommentCorrection(
        ref_type=ref_type,
        pmid=child_text(element, "PMID"),
        ref_source=child_text(element, "RefSource"),
    )
