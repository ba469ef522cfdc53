"""Parsing efetch XML: evidence's parser vs Bio.Entrez.read, pubmed_parser and raw lxml.

Data: the shared corpus (``../shared/pubmed/corpus/efetch-distinct.xml.gz``, 3,150 distinct
real records), and the same records repeated with new PMIDs (copy c: PMID + c x 10^8) to
30,000 and 100,000 records, all written as efetch answers of 500 records (XML declaration,
PubMed's 2025 DOCTYPE, ``PubmedArticleSet``) in a temporary folder, deleted afterwards.
Two pre-2014 shapes that ``Bio.Entrez.read`` rejects outright (``Article/Affiliation``
outside ``AffiliationInfo``, ``CommentsCorrections`` without a list) are removed from every
record first, so every contender reads the same bytes.

Each contender parses every document of a size in a fresh process (``--worker``), one
document at a time as a caller gets them from efetch, and keeps nothing: the process's own
CPU and wall time around the loop, and its peak RSS (read by the parent from ``wait4``).

- ``evidence``: ``evidence.sources.pubmed_xml.parser.parse(body)``, every ``Article``
  (authors, MeSH, abstract sections, raw XML...).
- ``Bio.Entrez.read``: ``Entrez.read(handle, validate=False, escape=True)`` per document
  (the 2025 DTD rejects old records when validating); it uses the DTDs Biopython ships, and
  ``Bio.Entrez.Parser.urlopen`` is replaced by a function that raises, so a DTD download
  would fail the run instead of happening.
- ``pubmed_parser``: the loop of its ``parse_medline_xml`` (``iterparse``,
  ``parse_article_info`` and ``parse_grant_id`` per ``PubmedArticle``, ``clear()``) over
  each document's bytes, without the ``gzip.open`` it insists on.
- ``lxml iterparse``: a minimal loop extracting PMID, title, abstract sections, year, DOI,
  MeSH descriptors and publication types, clearing each record and its predecessors.

Field agreement (on the 3,150 distinct records, untimed): the share of the records a peer
returned where its value equals ours, after collapsing whitespace (see ``Fields``).

    python -m benchmarks.bench_parse [--quick] [--sizes 3150,30000,100000]
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from lxml import etree

from benchmarks.harness import (
    SHARED,
    ChildUsage,
    own_usage,
    peak_rss_mb,
    python_module,
    run_child,
)

CORPUS = SHARED / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
PER_DOCUMENT = 500
FULL_SIZES = (3_150, 30_000, 100_000)
QUICK_SIZES = (3_150, 10_000)
HEADER = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
FOOTER = b"</PubmedArticleSet>\n"
CONTENDERS = ("evidence", "Bio.Entrez.read", "pubmed_parser", "lxml iterparse")
_LEGACY_AFFILIATION = re.compile(rb"(<AffiliationInfo>\s*)?<Affiliation>.*?</Affiliation>", re.S)
_LEGACY_COMMENTS = re.compile(rb"<CommentsCorrections>.*?</CommentsCorrections>", re.S)
_TAG = re.compile(r"<[^>]+>")
_YEAR = re.compile(r"[0-9]{4}")


# -- data ------------------------------------------------------------------------------------


def entrez_compatible(raw: bytes) -> bytes:
    """The record without the two pre-2014 shapes Bio.Entrez.read refuses."""
    raw = _LEGACY_AFFILIATION.sub(lambda m: m.group(0) if m.group(1) else b"", raw)
    return _LEGACY_COMMENTS.sub(b"", raw)


def write_documents(folder: Path, size: int) -> Path:
    """``size`` records as efetch answers of 500 in ``folder/<size>/``; that folder."""
    from benchmarks.bench_mirror import corpus_records, repeated

    records = [(pmid, entrez_compatible(raw)) for pmid, raw in corpus_records()]
    target = folder / str(size)
    target.mkdir(parents=True)
    stream = repeated(records, 0, size)
    for number, start in enumerate(range(0, size, PER_DOCUMENT)):
        count = min(PER_DOCUMENT, size - start)
        body = b"\n".join(next(stream) for _ in range(count))
        (target / f"efetch-{number:04d}.xml").write_bytes(HEADER + body + b"\n" + FOOTER)
    return target


def documents(folder: Path) -> list[Path]:
    return sorted(folder.glob("efetch-*.xml"))


# -- contenders: each returns a function from an efetch body to its number of records -------

Counter = Callable[[bytes], int]


def evidence_counter() -> Counter:
    from evidence.sources.pubmed_xml.parser import parse

    return lambda body: sum(1 for _ in parse(body))


def offline_entrez() -> Any:
    """Bio.Entrez with DTD downloads made impossible (it must use the DTDs it ships)."""
    from Bio import Entrez
    from Bio.Entrez import Parser

    def refuse(url: object, *args: object, **kwargs: object) -> object:
        raise RuntimeError(f"Bio.Entrez tried to download {url}")

    Parser.urlopen = refuse  # type: ignore[attr-defined]
    return Entrez


def entrez_counter() -> Counter:
    entrez = offline_entrez()

    def count(body: bytes) -> int:
        result = entrez.read(io.BytesIO(body), validate=False, escape=True)
        return len(result["PubmedArticle"]) + len(result["PubmedBookArticle"])

    return count


def pubmed_parser_records(body: bytes) -> Iterator[dict[str, Any]]:
    """``pubmed_parser.parse_medline_xml``'s loop over bytes instead of a gzip path."""
    from pubmed_parser.medline_parser import (  # type: ignore[import-untyped]
        parse_article_info,
        parse_grant_id,
    )

    for _, element in etree.iterparse(io.BytesIO(body), events=("end",)):
        if element.tag == "PubmedArticle":
            result = parse_article_info(element, True, False, False, False, parse_subs=False)
            result["grant_ids"] = parse_grant_id(element)
            element.clear()
            yield result


def pubmed_parser_counter() -> Counter:
    import pubmed_parser  # type: ignore[import-untyped]  # noqa: F401  (before the clock)

    return lambda body: sum(1 for _ in pubmed_parser_records(body))


def lxml_records(body: bytes) -> Iterator[tuple[Any, ...]]:
    """The minimal iterparse loop: the compared fields of every PubmedArticle, raw."""
    for _, record in etree.iterparse(io.BytesIO(body), tag="PubmedArticle"):
        citation = record.find("MedlineCitation")
        article = citation.find("Article")
        title = article.find("ArticleTitle")
        pub_date = article.find("Journal/JournalIssue/PubDate")
        dois = [
            e.text
            for e in record.iterfind("PubmedData/ArticleIdList/ArticleId")
            if e.get("IdType") == "doi"
        ] + [e.text for e in article.iterfind("ELocationID") if e.get("EIdType") == "doi"]
        yield (
            citation.findtext("PMID"),
            "".join(title.itertext()) if title is not None else "",
            [
                (p.get("Label"), "".join(p.itertext()))
                for p in article.iterfind("Abstract/AbstractText")
            ],
            pub_date.findtext("Year") or pub_date.findtext("MedlineDate"),
            dois[0] if dois else None,
            [d.text for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")],
            [p.text for p in article.iterfind("PublicationTypeList/PublicationType")],
        )
        record.clear()
        while record.getprevious() is not None:
            del record.getparent()[0]


def lxml_counter() -> Counter:
    return lambda body: sum(1 for _ in lxml_records(body))


COUNTERS: dict[str, Callable[[], Counter]] = {
    "evidence": evidence_counter,
    "Bio.Entrez.read": entrez_counter,
    "pubmed_parser": pubmed_parser_counter,
    "lxml iterparse": lxml_counter,
}


def worker(contender: str, folder: Path) -> dict[str, Any]:
    """In the child: parse every document of ``folder``, timing the loop only."""
    count = COUNTERS[contender]()
    paths = documents(folder)
    before = peak_rss_mb()
    cpu, wall = own_usage()
    records = size = 0
    for path in paths:
        body = path.read_bytes()
        size += len(body)
        records += count(body)
    cpu_end, wall_end = own_usage()
    return {
        "records": records,
        "bytes": size,
        "cpu": cpu_end - cpu,
        "wall": wall_end - wall,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


# -- field agreement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fields:
    """The compared values of one record, whitespace collapsed.

    ``abstract`` is the sections as ``LABEL text`` (the label only when there is one),
    joined by a space; ``year`` the first 4 digits of the printed date.
    """

    title: str
    abstract: str
    year: int | None
    doi: str | None
    mesh: tuple[str, ...]
    publication_types: tuple[str, ...]


FIELD_NAMES = tuple(field.name for field in fields(Fields))


def collapse(text: object) -> str:
    return " ".join(str(text or "").split())


def joined(sections: Iterable[tuple[str | None, str]]) -> str:
    return collapse(" ".join(f"{label} {text}" if label else text for label, text in sections))


def year_of(text: str | None) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group()) if match else None


def evidence_fields(body: bytes) -> dict[str, Fields]:
    from evidence.domain.records import Article
    from evidence.sources.pubmed_xml.parser import parse

    return {
        r.pmid: Fields(
            title=r.title,
            abstract=joined((s.label, s.text) for s in r.abstract_sections),
            year=r.year,
            doi=r.doi,
            mesh=tuple(h.descriptor for h in r.mesh_headings),
            publication_types=tuple(p.name for p in r.publication_types),
        )
        for r in parse(body)
        if isinstance(r, Article)
    }


def entrez_text(value: object) -> str:
    """Entrez's escaped text with literal markup tags -> plain collapsed text."""
    return collapse(html.unescape(_TAG.sub("", str(value))))


def entrez_fields(body: bytes) -> dict[str, Fields]:
    result = offline_entrez().read(io.BytesIO(body), validate=False, escape=True)
    out = {}
    for record in result["PubmedArticle"]:
        citation = record["MedlineCitation"]
        article = citation["Article"]
        date = article["Journal"]["JournalIssue"]["PubDate"]
        ids = [
            i
            for i in record.get("PubmedData", {}).get("ArticleIdList", [])
            if i.attributes["IdType"] == "doi"
        ]
        ids += [e for e in article.get("ELocationID", []) if e.attributes["EIdType"] == "doi"]
        parts = article.get("Abstract", {}).get("AbstractText", [])
        out[str(citation["PMID"])] = Fields(
            title=entrez_text(article.get("ArticleTitle", "")),
            abstract=joined((p.attributes.get("Label"), entrez_text(p)) for p in parts),
            year=year_of(date.get("Year") or date.get("MedlineDate")),
            doi=entrez_text(ids[0]) if ids else None,
            mesh=tuple(
                entrez_text(h["DescriptorName"]) for h in citation.get("MeshHeadingList", [])
            ),
            publication_types=tuple(entrez_text(p) for p in article.get("PublicationTypeList", [])),
        )
    return out


def names_of(flat: str) -> tuple[str, ...]:
    """pubmed_parser's ``UI:name; UI:name`` -> the names."""
    return tuple(item.partition(":")[2].strip() for item in flat.split("; ") if item)


def pubmed_parser_fields(body: bytes) -> dict[str, Fields]:
    return {
        r["pmid"]: Fields(
            title=collapse(r["title"]),
            abstract=collapse(r["abstract"]),
            year=year_of(r["pubdate"]),
            doi=r["doi"] or None,
            mesh=names_of(r["mesh_terms"]),
            publication_types=names_of(r["publication_types"]),
        )
        for r in pubmed_parser_records(body)
    }


def lxml_fields(body: bytes) -> dict[str, Fields]:
    return {
        pmid: Fields(
            title=collapse(title),
            abstract=joined((label, collapse(text)) for label, text in sections),
            year=year_of(date),
            doi=collapse(doi) or None,
            mesh=tuple(collapse(name) for name in mesh),
            publication_types=tuple(collapse(name) for name in types),
        )
        for pmid, title, sections, date, doi, mesh, types in lxml_records(body)
    }


FIELD_READERS: dict[str, Callable[[bytes], dict[str, Fields]]] = {
    "evidence": evidence_fields,
    "Bio.Entrez.read": entrez_fields,
    "pubmed_parser": pubmed_parser_fields,
    "lxml iterparse": lxml_fields,
}


def agreement(folder: Path, available: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per peer: records returned, and per field the share equal to ours (+ examples)."""
    bodies = [path.read_bytes() for path in documents(folder)]
    ours: dict[str, Fields] = {}
    for body in bodies:
        ours.update(evidence_fields(body))
    out = {}
    for peer in available:
        theirs: dict[str, Fields] = {}
        for body in bodies:
            theirs.update(FIELD_READERS[peer](body))
        shared = sorted(set(ours) & set(theirs))
        figures: dict[str, Any] = {"records": len(theirs), "compared": len(shared)}
        for index, name in enumerate(FIELD_NAMES):
            differ = [p for p in shared if astuple(ours[p])[index] != astuple(theirs[p])[index]]
            figures[name] = 1 - len(differ) / len(shared) if shared else None
            figures[f"{name}_differs"] = [
                {"pmid": p, "ours": astuple(ours[p])[index], "peer": astuple(theirs[p])[index]}
                for p in differ[:3]
            ]
        out[peer] = figures
    return out


# -- the section ---------------------------------------------------------------------------------


def installed(contender: str) -> str | None:
    """Why a contender cannot run here, or None."""
    if contender == "pubmed_parser":
        try:
            import pubmed_parser  # noqa: F401
        except ImportError:
            return "pubmed_parser is not installed (`pip install -e '.[bench]'`)"
    return None


def measure(contender: str, folder: Path) -> dict[str, Any]:
    usage: ChildUsage = run_child(python_module("bench_parse", "--worker", contender, str(folder)))
    figures = usage.json_line()
    figures["process_cpu"] = usage.cpu
    return figures


def section(quick: bool, sizes: Iterable[int] | None = None) -> tuple[str, dict[str, Any]]:
    """The parsing section: speed per size and contender, then field agreement."""
    if not CORPUS.is_file():
        reason = f"shared corpus not present ({CORPUS}); set EVIDENCE_SHARED_DIR"
        return f"Skipped: {reason}.", {"skipped": reason}
    chosen = tuple(sizes or (QUICK_SIZES if quick else FULL_SIZES))
    missing = {c: why for c in CONTENDERS if (why := installed(c))}
    available = [c for c in CONTENDERS if c not in missing]
    speed: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        for size in chosen:
            folder = write_documents(Path(tmp), size)
            speed[str(size)] = {c: measure(c, folder) for c in available}
            print(f"parse: {size:,} records measured", file=sys.stderr)
        agree = agreement(Path(tmp) / str(chosen[0]), available[1:])
    figures = {"sizes": chosen, "speed": speed, "agreement": agree, "missing": missing}
    return markdown(figures), figures


def markdown(figures: dict[str, Any]) -> str:
    """The speed table (one row per size and contender), then the agreement table."""
    generated = ", ".join(f"{int(size):,}" for size in figures["sizes"][1:])
    lines = [
        f"Data: the shared corpus's {int(figures['sizes'][0]):,} distinct real records"
        + (
            f", and the same records repeated with new PMIDs to {generated} records "
            "(generated into a temporary folder, deleted after the run)"
            if generated
            else ""
        )
        + ", as efetch documents of 500 records parsed one at a time in a fresh process per "
        "contender and size. CPU = user + sys of that process around the parsing loop; peak "
        "RSS = its VmHWM. `Bio.Entrez.read(handle, validate=False, escape=True)` with the DTDs "
        "Biopython ships (downloads made to fail); pubmed_parser = its `parse_medline_xml` "
        "loop on bytes; lxml = a minimal iterparse loop over the 7 compared fields. "
        "x columns: records per CPU-second over that peer's.",
        "",
        "| records | contender | CPU s | records / CPU-s | records / wall-s | MB / CPU-s "
        "| peak RSS MB (after imports) | x Bio.Entrez.read | x lxml |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, by_contender in figures["speed"].items():
        rate = {c: f["records"] / f["cpu"] for c, f in by_contender.items()}
        for contender, f in by_contender.items():
            ratios = [
                f"{rate[contender] / rate[peer]:.2f}" if peer in rate else "-"
                for peer in ("Bio.Entrez.read", "lxml iterparse")
            ]
            lines.append(
                f"| {int(size):,} | {contender} | {f['cpu']:.1f} | {rate[contender]:,.0f} "
                f"| {f['records'] / f['wall']:,.0f} | {f['bytes'] / 1e6 / f['cpu']:.1f} "
                f"| {f['peak_rss_mb']:.0f} ({f['rss_before_mb']:.0f}) | {' | '.join(ratios)} |"
            )
    lines += ["", _targets(figures["speed"])]
    agree = figures["agreement"]
    peers = list(agree)
    lines += [
        "",
        f"Field agreement with evidence on the {int(figures['sizes'][0]):,}-record set: the "
        "share of the records both returned where the values are equal (the peers' readers "
        "here take journal articles only, not the 9 book records):",
        "",
        "| field | " + " | ".join(peers) + " |",
        "| --- |" + " ---: |" * len(peers),
        "| records returned | " + " | ".join(f"{agree[p]['records']:,}" for p in peers) + " |",
    ]
    for name in FIELD_NAMES:
        shares = [agree[p][name] for p in peers]
        cells = ["-" if s is None else f"{s:.1%}" for s in shares]
        lines.append(f"| {name.replace('_', ' ')} | " + " | ".join(cells) + " |")
    lines += ["", "First difference of each field (PMID: ours / the peer's):", ""]
    for peer in peers:
        for name in FIELD_NAMES:
            for example in agree[peer][f"{name}_differs"][:1]:
                ours, theirs = (_short(example[side]) for side in ("ours", "peer"))
                lines.append(f"- {peer}, {name}: {example['pmid']}: {ours} / {theirs}")
    for contender, why in figures["missing"].items():
        lines += ["", f"{contender} not measured: {why}."]
    return "\n".join(lines)


def _targets(speed: dict[str, dict[str, Any]]) -> str:
    """Issue 15's parsing targets against this run's figures for evidence."""
    ours = {size: by["evidence"] for size, by in speed.items() if "evidence" in by}
    if not ours:
        return ""

    def ratio(size: str, peer: str) -> str:
        if peer not in speed[size]:
            return "not measured"
        theirs = speed[size][peer]
        value = (ours[size]["records"] / ours[size]["cpu"]) / (theirs["records"] / theirs["cpu"])
        return f"{value:.2f}x"

    sizes = list(ours)
    by_size = ", ".join(f"{ratio(s, 'Bio.Entrez.read')} at {int(s):,}" for s in sizes)
    vs_lxml = ", ".join(f"{ratio(s, 'lxml iterparse')} at {int(s):,}" for s in sizes)
    peaks = " -> ".join(f"{ours[s]['peak_rss_mb']:.0f} MB" for s in sizes)
    return (
        f"Targets (issue 15) for evidence: >= 5x Bio.Entrez.read: {by_size}; >= 0.6x raw lxml: "
        f"{vs_lxml}; memory flat: peak RSS {peaks} over the sizes."
    )


def _short(value: object) -> str:
    """A value for the doc: repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", help="comma-separated record counts")
    parser.add_argument(
        "--worker", nargs=2, metavar=("CONTENDER", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    text, _ = section(args.quick, sizes)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
