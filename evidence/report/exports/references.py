"""Reference-manager exports (Zotero, EndNote...): RIS, BibTeX and CSL-JSON.

Each study appears once (by PMID); its note names every exported claim it is linked to
and its evidence level. Authors are stored as ``Last FM`` display names: a name whose last
word is initials is split into family and given names, anything else (a collective, a
name without initials) is kept whole.
"""

from __future__ import annotations

import re
from typing import IO, Any

from evidence.domain.views import ReportData, StudyInfo
from evidence.report.exports.jsontext import array, dumps
from evidence.report.exports.select import Reference, note, one_line, references
from evidence.report.links import pubmed_url
from evidence.report.studies import StudyReader

_INITIALS = re.compile(r"[A-Z]{1,4}")
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_VERBATIM = {"{": "%7B", "}": "%7D", "\\": "%5C"}


def split_name(name: str) -> tuple[str, str] | None:
    """``("van der Berg", "JA")`` for ``"van der Berg JA"``; None when not a person's name."""
    words = name.split()
    if len(words) >= 2 and _INITIALS.fullmatch(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return None


def kind(study: StudyInfo) -> str:
    """``chapter``, ``book`` or ``article``, from the publication types."""
    types = {t.lower() for t in study.publication_types}
    if "book chapter" in types:
        return "chapter"
    if types & {"book", "books"}:
        return "book"
    return "article"


# --- RIS -------------------------------------------------------------------------------------

_RIS_TYPES = {"article": "JOUR", "book": "BOOK", "chapter": "CHAP"}


def write_ris(data: ReportData, studies: StudyReader, out: IO[str]) -> None:
    """One RIS record per study (UTF-8 text, ``TY`` to ``ER``)."""
    for ref in references(data, studies):
        out.write(_ris_record(ref))


def _ris_record(ref: Reference) -> str:
    study = ref.study
    container = "T2" if kind(study) == "chapter" else "JO"
    fields: list[tuple[str, str | int | None]] = [
        ("TY", _RIS_TYPES[kind(study)]),
        ("TI", study.title),
        *(("AU", _ris_author(a)) for a in study.authors),
        (container, study.journal if kind(study) != "book" else None),
        ("PY", study.year),
        ("DO", study.doi),
        ("UR", pubmed_url(study.pmid)),
        ("AN", study.pmid),
        *(("KW", t) for t in study.publication_types),
        ("N1", note(ref)),
    ]
    lines = [f"{tag}  - {one_line(str(value))}" for tag, value in fields if value not in (None, "")]
    return "\n".join([*lines, "ER  - ", "", ""])


def _ris_author(name: str) -> str:
    parts = split_name(name)
    return f"{parts[0]}, {parts[1]}" if parts else name


# --- BibTeX ----------------------------------------------------------------------------------

_BIB_TYPES = {"article": "article", "book": "book", "chapter": "incollection"}
_BIB_CONTAINERS = {"article": "journal", "book": "publisher", "chapter": "booktitle"}


def write_bibtex(data: ReportData, studies: StudyReader, out: IO[str]) -> None:
    """One entry per study, keyed ``pmidNNNN``, a blank line between; text LaTeX-escaped."""
    for n, ref in enumerate(references(data, studies)):
        out.write(("\n" if n else "") + _bib_entry(ref))


def _bib_entry(ref: Reference) -> str:
    study = ref.study
    text = {
        "title": study.title,
        _BIB_CONTAINERS[kind(study)]: study.journal if kind(study) != "book" else None,
        "year": str(study.year) if study.year is not None else None,
        "note": note(ref),
    }
    verbatim = {"doi": study.doi, "pmid": study.pmid, "url": pubmed_url(study.pmid)}
    fields = [(k, latex_escape(one_line(v))) for k, v in text.items() if v]
    if study.authors:
        fields.insert(1, ("author", " and ".join(_bib_author(a) for a in study.authors)))
    fields += [(k, _verbatim(one_line(v))) for k, v in verbatim.items() if v]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    key = "pmid" + re.sub(r"[^0-9A-Za-z]", "", study.pmid)
    return f"@{_BIB_TYPES[kind(study)]}{{{key},\n{body}\n}}\n"


def _bib_author(name: str) -> str:
    parts = split_name(name)
    if parts:
        return f"{latex_escape(parts[0])}, {latex_escape(parts[1])}"
    return "{" + latex_escape(name) + "}"  # a collective: one name, never split on "and"


def latex_escape(text: str) -> str:
    """``text`` safe inside a braced BibTeX field: no live commands, braces stay balanced.

    A brace is written ``\\textbraceleft{}``, never ``\\{``: BibTeX counts escaped braces too.
    """
    return "".join(_LATEX.get(char, char) for char in text)


def _verbatim(text: str) -> str:
    """A DOI or URL: left as is (verbatim fields) except braces and backslashes."""
    return "".join(_VERBATIM.get(char, char) for char in text)


# --- CSL-JSON --------------------------------------------------------------------------------

_CSL_TYPES = {"article": "article-journal", "book": "book", "chapter": "chapter"}


def write_csl_json(data: ReportData, studies: StudyReader, out: IO[str]) -> None:
    """A CSL-JSON list of items (what Zotero and citeproc read), item by item."""
    items = ([dumps(_csl_item(ref), 1)] for ref in references(data, studies))
    for piece in array(items, 0):
        out.write(piece)
    out.write("\n")


def _csl_item(ref: Reference) -> dict[str, Any]:
    study = ref.study
    item: dict[str, Any] = {
        "id": f"pmid{study.pmid}",
        "type": _CSL_TYPES[kind(study)],
        "title": study.title,
        "author": [_csl_author(a) for a in study.authors],
        "container-title": study.journal if kind(study) != "book" else None,
        "issued": {"date-parts": [[study.year]]} if study.year is not None else None,
        "DOI": study.doi,
        "PMID": study.pmid,
        "URL": pubmed_url(study.pmid),
        "note": note(ref),
    }
    return {key: value for key, value in item.items() if value not in (None, "", [])}


def _csl_author(name: str) -> dict[str, str]:
    parts = split_name(name)
    return {"family": parts[0], "given": parts[1]} if parts else {"literal": name}
