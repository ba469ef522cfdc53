"""Unit tests for the efetch XML parser, on hand-written fixtures and hostile documents."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from evidence.domain.errors import ParseError
from evidence.domain.records import (
    AbstractSection,
    Article,
    Author,
    CommentCorrection,
    DeletedCitation,
    MeshHeading,
    PublicationType,
)
from evidence.sources.pubmed_xml.parser import parse, parse_articles

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "pubmed"
DOCTYPE = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC '
    b'"-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
# Hostile input must be refused quickly; this only guards against a catastrophe
# (an expanded billion laughs takes minutes and gigabytes), it is not a benchmark.
FAST_SECONDS = 5.0


def articles(name: str) -> dict[str, Article]:
    """The articles of a fixture file, by PMID."""
    return {a.pmid: a for a in parse_articles((FIXTURES / name).read_bytes())}


def one_record() -> bytes:
    """The PubmedArticle of the rich fixture, as bytes."""
    data = (FIXTURES / "ketamine_rct.xml").read_bytes()
    return data.split(b"<PubmedArticleSet>")[1].split(b"</PubmedArticleSet>")[0]


def minimal_article(pmid: str = "39000099", extra_article: str = "", date: str = "") -> bytes:
    """A small valid PubmedArticleSet around one article, for one-off cases."""
    pub_date = date or "<Year>2020</Year>"
    return (
        DOCTYPE
        + (
            "<PubmedArticleSet><PubmedArticle><MedlineCitation Status='MEDLINE'>"
            f"<PMID Version='1'>{pmid}</PMID><Article PubModel='Print'><Journal>"
            f"<JournalIssue CitedMedium='Print'><PubDate>{pub_date}</PubDate></JournalIssue>"
            "</Journal><ArticleTitle>Ketamine and pain.</ArticleTitle>"
            f"{extra_article}<Language>eng</Language></Article>"
            "<MedlineJournalInfo><MedlineTA>Pain</MedlineTA></MedlineJournalInfo>"
            "</MedlineCitation></PubmedArticle></PubmedArticleSet>"
        ).encode()
    )


def refused(source: bytes) -> tuple[ParseError, list[object], float]:
    """Parse ``source`` expecting a ParseError: the error, what came out first, seconds."""
    out: list[object] = []
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        out.extend(parse(source))
    return caught.value, out, time.perf_counter() - started


# --- fields on a rich, structured record -------------------------------------------


def test_structured_abstract_keeps_labels_and_categories() -> None:
    article = articles("ketamine_rct.xml")["39000001"]
    assert [(s.label, s.nlm_category) for s in article.abstract_sections] == [
        ("BACKGROUND", "BACKGROUND"),
        ("METHODS", "METHODS"),
        ("RESULTS", "RESULTS"),
        ("CONCLUSIONS", "CONCLUSIONS"),
    ]
    paragraphs = article.abstract.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0] == (
        "BACKGROUND: The N-methyl-D-aspartate receptor antagonist ketamine may reduce "
        "opioid consumption after surgery."
    )
    assert paragraphs[3] == "CONCLUSIONS: Low-dose S-ketamine is opioid-sparing."
    assert "Copyright" not in article.abstract


def test_inline_markup_is_flattened_without_inventing_spaces() -> None:
    article = articles("ketamine_rct.xml")["39000001"]
    assert article.title == (
        "Low-dose S-ketamine and pain after CO2 insufflation in laparoscopic surgery: "
        "a randomised, placebo-controlled trial."
    )
    sections = {s.label: s.text for s in article.abstract_sections}
    assert "received S-ketamine 0.15 mg kg-1 or saline" in sections["METHODS"]
    # MathML and an entity-encoded "≥" inside the text
    assert sections["RESULTS"] == (
        "Morphine use fell by 31% (P<0.001); SpO2 ≥ 94% was kept in all patients."
    )
    assert article.keywords == ("S-ketamine", "opioid-sparing analgesia", "NMDA receptor")


def test_journal_issue_and_dates() -> None:
    article = articles("ketamine_rct.xml")["39000001"]
    assert (article.journal, article.journal_abbrev, article.issn) == (
        "Anesthesiology",
        "Anesthesiology",
        "1528-1175",
    )
    assert (article.volume, article.issue, article.pages) == ("140", "3", "412-424")
    assert (article.year, article.pub_date) == (2024, "2024 Mar 5")
    assert (article.pmid_version, article.medline_status) == (2, "MEDLINE")
    assert article.languages == ("eng",)


def test_authors_with_orcid_affiliations_and_collective_name() -> None:
    authors = articles("ketamine_rct.xml")["39000001"].authors
    assert authors[0] == Author(
        last_name="Lindqvist",
        fore_name="Maja",
        initials="M",
        affiliations=(
            "Department of Anaesthesia, Example University Hospital, Uppsala, Sweden.",
            "Pain Research Unit, Example Institute, Stockholm, Sweden.",
        ),
        orcid="0000-0002-1825-009X",
    )
    assert authors[1].orcid == "0000-0002-1825-0097"  # stored without hyphens by NCBI
    assert authors[2] == Author(collective_name="KETAPAIN Study Group")
    assert [a.display_name for a in authors] == ["Lindqvist M", "Okafor CE", "KETAPAIN Study Group"]


def test_doi_and_pmc_are_the_records_own_not_its_references() -> None:
    article = articles("ketamine_rct.xml")["39000001"]
    assert article.doi == "10.1097/ALN.0000000000004811"
    assert article.pmc == "PMC11000001"


def test_publication_types_with_ui() -> None:
    article = articles("ketamine_rct.xml")["39000001"]
    assert article.publication_types == (
        PublicationType("Journal Article", "D016428"),
        PublicationType("Randomized Controlled Trial", "D016449"),
    )


def test_mesh_major_topic_from_descriptor_or_qualifier() -> None:
    headings = {h.descriptor: h for h in articles("ketamine_rct.xml")["39000001"].mesh_headings}
    assert headings["Ketamine"] == MeshHeading(
        descriptor="Ketamine",
        ui="D007649",
        major=True,
        qualifiers=("administration & dosage", "adverse effects"),
        major_qualifiers=("administration & dosage",),
    )
    assert headings["Pain, Postoperative"].major
    assert headings["Pain, Postoperative"].major_qualifiers == ()
    assert not headings["Morphine"].major
    assert not headings["Humans"].major


# --- the awkward cases ----------------------------------------------------------------


def test_doi_only_in_elocation_skips_invalid_one_and_ignores_references() -> None:
    article = articles("varied_records.xml")["39000002"]
    # ValidYN="N" doi comes first; the ReferenceList holds a doi of a cited paper.
    assert article.doi == "10.1016/j.ajem.2023.09.017"
    assert article.pmc is None


def test_medline_date_gives_year_and_printed_date() -> None:
    article = articles("varied_records.xml")["39000002"]
    assert (article.year, article.pub_date) == (2023, "2023 Nov-Dec")


def test_start_and_end_page_and_fallbacks_to_medline_journal_info() -> None:
    article = articles("varied_records.xml")["39000002"]
    assert article.pages == "88-95"
    assert (article.journal_abbrev, article.issn) == ("Am J Emerg Med", "0735-6757")


def test_withdrawn_author_names_are_dropped() -> None:
    authors = articles("varied_records.xml")["39000002"].authors
    assert [a.last_name for a in authors] == ["Haddad"]


def test_retracted_publication_and_retraction_link() -> None:
    article = articles("varied_records.xml")["39000003"]
    assert "Retracted Publication" in article.publication_type_names
    assert article.comments_corrections == (
        CommentCorrection("RetractionIn", "39000009", "Pain Med. 2024 Feb 1;25(2):150"),
        CommentCorrection("CommentIn", "34000001", "Pain Med. 2021 Sep;22(9):2001-2002"),
    )
    assert article.pub_date == "2021 Jun"  # numeric <Month>06</Month>


def test_non_english_record() -> None:
    article = articles("varied_records.xml")["39000004"]
    assert article.title == "[Ketamine for acute pain in the emergency department: a review]."
    assert article.languages == ("ger",)
    # NLM's UNLABELLED placeholder is not printed; the OtherAbstract is not the abstract.
    assert article.abstract == (
        "Ketamine is increasingly used for acute pain in emergency care.\n\n"
        "CONCLUSION: Sub-dissociative doses are safe."
    )
    assert article.abstract_sections[0] == AbstractSection(
        "Ketamine is increasingly used for acute pain in emergency care.",
        "UNLABELLED",
        "UNASSIGNED",
    )


def test_vernacular_title_when_article_title_is_empty() -> None:
    article = articles("varied_records.xml")["39000005"]
    assert article.title == "Ketamine bij chronische pijn."
    assert (article.pub_date, article.year) == ("2012 Winter", 2012)
    assert (article.doi, article.abstract, article.authors) == (None, "", ())


def test_year_falls_back_to_article_date() -> None:
    extra = (
        "<Pagination><MedlinePgn>1-2</MedlinePgn></Pagination>"
        "<ArticleDate DateType='Electronic'><Year>2019</Year><Month>05</Month>"
        "<Day>02</Day></ArticleDate>"
    )
    source = minimal_article(extra_article=extra, date="<MedlineDate>Winter</MedlineDate>")
    (article,) = parse_articles(source)
    assert (article.year, article.pub_date) == (2019, "Winter")


def test_pre_2014_record_shape() -> None:
    article = articles("legacy_2005.xml")["15000001"]
    assert article.pmid_version == 1
    assert article.authors[0].affiliations == (
        "Department of Anesthesiology, Example Medical School, Lyon, France.",
    )
    assert article.authors[1].affiliations == ()
    assert article.authors[1].fore_name == "Paul"  # <FirstName>
    assert article.comments_corrections == (
        CommentCorrection("CommentIn", "16000002", "Anesth Analg. 2005 Sep;101(3):912"),
    )
    assert article.mesh_headings == (
        MeshHeading("Ketamine", None, True, ("administration & dosage",), ()),
    )


def test_book_chapter() -> None:
    chapter = articles("book_chapters.xml")["39000010"]
    assert chapter.record_type == "PubmedBookArticle"
    assert chapter.title == "Ketamine Infusion for Chronic Pain"
    assert chapter.journal == "Pain Management Reviews®"
    assert (chapter.year, chapter.pub_date) == (2020, "2020")
    assert [a.display_name for a in chapter.authors] == ["Tanaka H", "Silva A"]  # no editors
    assert chapter.abstract.startswith("CLINICAL CHARACTERISTICS: Chronic pain affects")
    assert chapter.publication_type_names == ("Review",)


def test_whole_book_takes_the_book_title_and_has_no_authors() -> None:
    book = articles("book_chapters.xml")["39000011"]
    assert book.title == "Pain Management Reviews®"
    assert book.authors == ()


def test_delete_citation_yields_each_pmid() -> None:
    records = list(parse((FIXTURES / "update_with_deletions.xml").read_bytes()))
    assert [type(r) for r in records] == [Article, DeletedCitation, DeletedCitation]
    assert records[1:] == [DeletedCitation("38000001"), DeletedCitation("38000002")]
    assert [
        a.pmid for a in parse_articles((FIXTURES / "update_with_deletions.xml").read_bytes())
    ] == ["39000020"]


# --- API behaviour ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_raw_xml_is_that_record_and_parses_back_to_it(name: str) -> None:
    for article in parse_articles((FIXTURES / name).read_bytes()):
        assert article.raw_xml.startswith(f"<{article.record_type}>".encode())
        assert article.raw_xml.endswith(f"</{article.record_type}>".encode())
        wrapped = b"<PubmedArticleSet>" + article.raw_xml + b"</PubmedArticleSet>"
        assert parse_articles(wrapped) == [article]


def test_stream_and_bytes_give_the_same_records() -> None:
    path = FIXTURES / "varied_records.xml"
    with path.open("rb") as stream:
        from_stream = list(parse(stream))
    assert from_stream == list(parse(path.read_bytes()))
    assert len(from_stream) == 4


class CountingStream(io.BytesIO):
    """A stream that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def test_records_are_yielded_while_the_stream_is_still_being_read() -> None:
    record = one_record()
    stream = CountingStream(DOCTYPE + b"<PubmedArticleSet>" + record * 500 + b"</PubmedArticleSet>")
    records = parse(stream)
    next(records)
    assert stream.consumed < len(stream.getvalue()) / 10
    assert sum(1 for _ in records) == 499


# Runs in a fresh interpreter; VmHWM (peak RSS of this process image, unlike ru_maxrss
# which survives exec) then reflects this parse alone.
MEMORY_PROBE = """
import re, sys
from pathlib import Path
from evidence.sources.pubmed_xml.parser import parse

def peak_kib():
    return int(re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text())[1])

record, copies = Path(sys.argv[1]).read_bytes(), int(sys.argv[2])

class Repeating:  # the set with `copies` records, made on demand, never all in memory
    def __init__(self):
        self.left, self.buffer = copies, b"<PubmedArticleSet>"
    def read(self, size=-1):
        while len(self.buffer) < size and self.left >= 0:
            self.buffer += record if self.left else b"</PubmedArticleSet>"
            self.left -= 1
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

before = peak_kib()
count = sum(1 for _ in parse(Repeating()))
print(count, peak_kib() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_memory_stays_flat_while_streaming(tmp_path: Path) -> None:
    record = tmp_path / "record.xml"
    record.write_bytes(one_record())
    copies = 1500  # about 10 MB of XML; kept as a tree it would take about 100 MB
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(record), str(copies)],
        capture_output=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    count, growth_kib = map(int, result.stdout.split())
    assert count == copies
    assert growth_kib < 16 * 1024


def test_doctype_system_id_is_not_fetched() -> None:
    with listening_socket() as (server, port):
        doctype = (
            f'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle//EN" '
            f'"http://127.0.0.1:{port}/pubmed_250101.dtd">'
        ).encode()
        source = minimal_article().replace(DOCTYPE, b'<?xml version="1.0"?>' + doctype)
        assert [a.pmid for a in parse_articles(source)] == ["39000099"]
        assert_no_connection(server)


def test_fixtures_follow_the_ncbi_dtd() -> None:
    """Keeps the hand-written fixtures honest (the legacy one is pre-2014 on purpose)."""
    bio_entrez = pytest.importorskip("Bio.Entrez")
    dtd_path = Path(bio_entrez.__file__).parent / "DTDs" / "pubmed_250101.dtd"
    if not dtd_path.is_file():
        pytest.skip(f"Biopython ships no {dtd_path.name}")
    dtd = etree.DTD(str(dtd_path))
    for path in sorted(FIXTURES.glob("*.xml")):
        if path.name != "legacy_2005.xml":
            assert dtd.validate(etree.parse(str(path))), (path.name, dtd.error_log)


# --- hostile and broken XML ---------------------------------------------------------


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [' + "".join(entities) + "]>"
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>&lol9;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    ).encode()


def test_billion_laughs_is_refused() -> None:
    error, out, seconds = refused(billion_laughs())
    assert "declares entities" in str(error)
    assert out == []
    assert seconds < FAST_SECONDS


def with_external_entity(system_id: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "{system_id}">]>'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    ).encode()


def test_external_entity_to_etc_passwd_is_refused() -> None:
    error, out, seconds = refused(with_external_entity("file:///etc/passwd"))
    assert "declares entities" in str(error)
    assert out == []
    assert "root:" not in str(error)
    assert seconds < FAST_SECONDS


def test_external_entity_to_a_local_file_leaks_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    error, out, _ = refused(with_external_entity(secret.as_uri()))
    assert "TOP-SECRET-MARKER" not in repr(error) + repr(out)


def with_parameter_entity(system_id: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE PubmedArticleSet [<!ENTITY % remote SYSTEM "{system_id}"> %remote;]>'
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID>"
        "</MedlineCitation></PubmedArticle></PubmedArticleSet>"
    ).encode()


class listening_socket:
    """A TCP socket on 127.0.0.1 that would see any connection the parser makes."""

    def __enter__(self) -> tuple[socket.socket, int]:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.setblocking(False)
        return self.server, self.server.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.server.close()


def assert_no_connection(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        server.accept()[0].close()


def test_remote_parameter_entity_is_refused_without_connecting() -> None:
    with listening_socket() as (server, port):
        error, out, seconds = refused(with_parameter_entity(f"http://127.0.0.1:{port}/x.dtd"))
        assert_no_connection(server)
    assert "declares entities" in str(error)
    assert out == []
    assert seconds < FAST_SECONDS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX FIFO")
def test_parameter_entity_file_is_never_opened(tmp_path: Path) -> None:
    """Opening a FIFO with no writer blocks, so a parser that reads the file would hang."""
    fifo = tmp_path / "evil.dtd"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    worker = threading.Thread(
        target=run_into(outcome, lambda: list(parse(with_parameter_entity(fifo.as_uri())))),
        daemon=True,
    )
    worker.start()
    worker.join(FAST_SECONDS)
    if worker.is_alive():  # unblock the reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the parser opened the external parameter entity")
    assert len(outcome) == 1 and isinstance(outcome[0], ParseError)


def run_into(outcome: list[BaseException], action: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            action()
        except BaseException as error:
            outcome.append(error)

    return run


@pytest.mark.parametrize("depth", [1_000, 100_000])  # 1,000 passes only with huge_tree=True
def test_deep_nesting_is_refused(depth: int) -> None:
    source = b"<PubmedArticleSet><PubmedArticle>" + b"<i>" * depth + b"</i>" * depth
    source += b"</PubmedArticle></PubmedArticleSet>"
    error, out, seconds = refused(source)
    assert "depth" in str(error).lower()
    assert out == []
    assert seconds < FAST_SECONDS


def test_truncated_document_is_a_one_line_error() -> None:
    data = (FIXTURES / "varied_records.xml").read_bytes()
    error, out, _ = refused(data[: len(data) * 3 // 4])
    message = str(error)
    assert message.startswith("malformed PubMed XML: ")
    assert "\n" not in message and len(message) < 300
    assert 1 <= len(out) < 4  # the complete records came first; the cut one did not


def test_error_message_stays_short_for_huge_garbage() -> None:
    name = "x" * 20_000
    error, _, _ = refused(f"<PubmedArticleSet><{name}></y></PubmedArticleSet>".encode())
    assert len(str(error)) < 300


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"", "malformed PubMed XML"),
        (b"not xml at all", "malformed PubMed XML"),
        (b"<eSearchResult><Count>0</Count></eSearchResult>", "not PubMed efetch XML"),
        (
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation/></PubmedArticle>"
            b"</PubmedArticleSet>",
            "has no PMID",
        ),
    ],
)
def test_other_bad_input_raises_parse_error(source: bytes, expected: str) -> None:
    error, _, _ = refused(source)
    assert expected in str(error)


def test_empty_article_set_is_fine() -> None:
    assert parse_articles(DOCTYPE + b"<PubmedArticleSet></PubmedArticleSet>") == []


def test_a_path_string_is_not_opened() -> None:
    with pytest.raises(TypeError):
        list(parse(str(FIXTURES / "ketamine_rct.xml")))  # type: ignore[arg-type]


def test_parse_is_lazy_until_iterated() -> None:
    records = parse(b"this is not xml")  # nothing is read yet
    with pytest.raises(ParseError):
        next(records)
