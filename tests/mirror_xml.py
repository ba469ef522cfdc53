"""Write records in NLM's baseline format (``PubmedArticleSet``), for fixtures and the demo.

``python -m tests.mirror_xml`` rewrites the mirror test fixtures in
``tests/fixtures/baseline/`` (a baseline of two files, one update file with a deletion and a
revision, a versioned PMID, a book chapter) and ``desc2026.xml``, a small MeSH descriptor file
with tree numbers. Every text is written for these tests, not copied from a real record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC'
    ' "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    ' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
FOOTER = "</PubmedArticleSet>\n"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
Date = tuple[int, int, int]
Mesh = tuple[str, bool, tuple[str, ...]]  # descriptor, major, qualifiers (major if "*x")


@dataclass
class Rec:
    """One journal article (or, with ``book=True``, a book chapter)."""

    pmid: int
    title: str
    abstract: str | Sequence[tuple[str, str]] = ""  # text, or (label, text) sections
    mesh: Sequence[Mesh] = ()
    pt: Sequence[str] = ("Journal Article",)
    lang: str = "eng"
    authors: Sequence[tuple[str, str]] = (("Doe", "J"),)  # (last name, initials)
    journal: str = "Journal of Pain Studies"
    iso: str = "J Pain Stud"
    pub: Date = (2020, 1, 1)
    entrez: Date | None = None
    revised: Date = (2024, 1, 1)
    version: int = 1
    keywords: Sequence[str] = ()
    book: bool = False
    title_xml: str | None = None  # raw title markup (entities, inline tags)
    extra: dict[str, str] = field(default_factory=dict)

    def xml(self) -> str:
        return _book(self) if self.book else _article(self)


def _date(tag: str, d: Date, attrs: str = "") -> str:
    return (
        f"<{tag}{attrs}><Year>{d[0]}</Year><Month>{d[1]:02d}</Month><Day>{d[2]:02d}</Day></{tag}>"
    )


def _abstract(rec: Rec) -> str:
    if not rec.abstract:
        return ""
    if isinstance(rec.abstract, str):
        return f"<Abstract><AbstractText>{escape(rec.abstract)}</AbstractText></Abstract>"
    parts = "".join(
        f'<AbstractText Label="{escape(label)}" NlmCategory="{escape(label)}">'
        f"{escape(text)}</AbstractText>"
        for label, text in rec.abstract
    )
    return f"<Abstract>{parts}</Abstract>"


def _authors(rec: Rec) -> str:
    people = "".join(
        f'<Author ValidYN="Y"><LastName>{escape(last)}</LastName>'
        f"<ForeName>{escape(initials)}</ForeName><Initials>{escape(initials)}</Initials></Author>"
        for last, initials in rec.authors
    )
    return f'<AuthorList CompleteYN="Y">{people}</AuthorList>'


def _mesh(rec: Rec) -> str:
    if not rec.mesh:
        return ""
    items = []
    for name, major, qualifiers in rec.mesh:
        quals = "".join(
            f'<QualifierName UI="Q000000" MajorTopicYN="{"Y" if q.startswith("*") else "N"}">'
            f"{escape(q.lstrip('*'))}</QualifierName>"
            for q in qualifiers
        )
        items.append(
            f'<MeshHeading><DescriptorName UI="D000000" MajorTopicYN="{"Y" if major else "N"}">'
            f"{escape(name)}</DescriptorName>{quals}</MeshHeading>"
        )
    return f"<MeshHeadingList>{''.join(items)}</MeshHeadingList>"


def _pub_date(d: Date) -> str:
    return (
        f"<PubDate><Year>{d[0]}</Year><Month>{MONTHS[d[1] - 1]}</Month><Day>{d[2]}</Day></PubDate>"
    )


def _history(rec: Rec) -> str:
    entrez = rec.entrez or rec.pub
    return (
        "<History>"
        + _date("PubMedPubDate", entrez, ' PubStatus="pubmed"')
        + _date("PubMedPubDate", entrez, ' PubStatus="entrez"')
        + "</History>"
    )


def _article(rec: Rec) -> str:
    title = rec.title_xml if rec.title_xml is not None else escape(rec.title)
    pts = "".join(f'<PublicationType UI="D000000">{escape(p)}</PublicationType>' for p in rec.pt)
    keywords = (
        '<KeywordList Owner="NOTNLM">'
        + "".join(f'<Keyword MajorTopicYN="N">{escape(k)}</Keyword>' for k in rec.keywords)
        + "</KeywordList>"
        if rec.keywords
        else ""
    )
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="{rec.version}">{rec.pmid}</PMID>'
        f"{_date('DateRevised', rec.revised)}"
        f'<Article PubModel="Print"><Journal><ISSN IssnType="Print">1234-5678</ISSN>'
        f'<JournalIssue CitedMedium="Print"><Volume>1</Volume>{_pub_date(rec.pub)}</JournalIssue>'
        f"<Title>{escape(rec.journal)}</Title><ISOAbbreviation>{escape(rec.iso)}</ISOAbbreviation>"
        f"</Journal><ArticleTitle>{title}</ArticleTitle>{_abstract(rec)}{_authors(rec)}"
        f"<Language>{rec.lang}</Language><PublicationTypeList>{pts}</PublicationTypeList>"
        f"</Article><MedlineJournalInfo><Country>United States</Country>"
        f"<MedlineTA>{escape(rec.iso)}</MedlineTA></MedlineJournalInfo>"
        f"{_mesh(rec)}{keywords}</MedlineCitation>"
        f"<PubmedData>{_history(rec)}<PublicationStatus>ppublish</PublicationStatus>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{rec.pmid}</ArticleId></ArticleIdList>'
        f"<ReferenceList><Reference><Citation>A cited work on pain ketamine.</Citation>"
        f"</Reference></ReferenceList>"
        f"</PubmedData></PubmedArticle>\n"
    )


def _book(rec: Rec) -> str:
    pts = "".join(f"<PublicationType>{escape(p)}</PublicationType>" for p in rec.pt)
    return (
        f'<PubmedBookArticle><BookDocument><PMID Version="{rec.version}">{rec.pmid}</PMID>'
        f'<ArticleIdList><ArticleId IdType="bookaccession">NBK{rec.pmid}</ArticleId>'
        "</ArticleIdList>"
        f"<Book><Publisher><PublisherName>Test Press</PublisherName></Publisher>"
        f"<BookTitle>{escape(rec.journal)}</BookTitle>{_pub_date(rec.pub)}</Book>"
        f"<ArticleTitle>{escape(rec.title)}</ArticleTitle>{_authors(rec)}"
        f"<Language>{rec.lang}</Language>{pts}{_abstract(rec)}</BookDocument>"
        f"<PubmedBookData>{_history(rec)}<PublicationStatus>ppublish</PublicationStatus>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{rec.pmid}</ArticleId></ArticleIdList>'
        f"</PubmedBookData></PubmedBookArticle>\n"
    )


def deletion(*pmids: int) -> str:
    """A ``DeleteCitation`` element listing ``pmids``."""
    inner = "".join(f'<PMID Version="1">{p}</PMID>' for p in pmids)
    return f"<DeleteCitation>{inner}</DeleteCitation>\n"


def document(items: Sequence[Rec | str]) -> bytes:
    """A whole file: the records (and deletion elements) in order."""
    body = "".join(item if isinstance(item, str) else item.xml() for item in items)
    return (HEADER + body + FOOTER).encode("utf-8")


# --- the test fixtures ----------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "baseline"
KETAMINE: Mesh = ("Ketamine", True, ("therapeutic use",))
HUMANS: Mesh = ("Humans", False, ())

BASELINE_1 = [
    Rec(
        101,
        "Ketamine infusion relieves chronic neuropathic pain: a randomized trial",
        "Low-dose intravenous ketamine, an NMDA receptor antagonist, reduced pain scores.",
        mesh=[KETAMINE, ("Chronic Pain", True, ()), ("Neuralgia", False, ("*drug therapy",)),
              HUMANS, ("Infusions, Intravenous", False, ())],
        pt=["Journal Article", "Randomized Controlled Trial"],
        authors=[("Smith", "JA"), ("Doe", "B")],
        journal="Pain Medicine", iso="Pain Med",
        pub=(2019, 3, 5), entrez=(2019, 2, 1), revised=(2020, 1, 10),
        keywords=["subanesthetic dosing"],
    ),
    Rec(
        102,
        "Esketamine and synaptic plasticity in rodents",
        "Synaptogenesis and BDNF signalling rose after a single dose.",
        mesh=[("Ketamine", False, ("pharmacology",)), ("Neuronal Plasticity", True, ()),
              ("Brain-Derived Neurotrophic Factor", False, ()), ("Animals", False, ()),
              ("Rats", False, ())],
        authors=[("Lee", "K")], journal="Neuropharmacology", iso="Neuropharmacology",
        pub=(2015, 1, 20), entrez=(2015, 1, 2),
    ),
    Rec(
        103,
        "Zytokinantwort nach Ketaminanaesthesie",
        "Interleukin-6 and TNF-alpha fell after ketamine; C-reactive protein did not change.",
        mesh=[("Ketamine", False, ("adverse effects",)), ("Interleukin-6", False, ()),
              ("Tumor Necrosis Factor-alpha", False, ()), ("Inflammation", True, ()), HUMANS],
        pt=["Journal Article", "Clinical Trial"], lang="ger",
        authors=[("Müller", "H")], journal="Der Anaesthesist", iso="Anaesthesist",
        pub=(2008, 6, 1), entrez=(2008, 7, 1),
    ),
    Rec(
        104,
        "Opioid sparing after surgery",
        "Multimodal analgesia lowered opioid use in postoperative pain.",
        mesh=[("Pain, Postoperative", True, ()), ("Analgesics, Opioid", False, ()), HUMANS],
        pt=["Journal Article", "Meta-Analysis"],
        authors=[("Smith", "JB")], pub=(2021, 12, 1), entrez=(2021, 11, 20),
    ),
    Rec(
        105,
        "Ketamine for migraine in the emergency department",
        "Ketamine did not relieve headache better than placebo.",
        mesh=[KETAMINE, ("Headache", True, ()), HUMANS],
        pub=(2017, 5, 1),
    ),
    Rec(
        106,
        "Preliminary report on ketamine in fibromyalgia",
        "An open pilot of ketamine infusion in fibromyalgia.",
        mesh=[KETAMINE, ("Fibromyalgia", True, ()), HUMANS],
        pub=(2012, 2, 1),
    ),
    Rec(107, "Magnesium and NMDA", "Magnesium blocks the NMDA channel.", pub=(2010, 1, 1)),
    Rec(
        107,
        "Magnesium and NMDA receptors: a revised analysis",
        "Magnesium blocks the NMDA receptor channel in a voltage-dependent way.",
        version=2, pub=(2011, 1, 1),
    ),
    Rec(
        108,
        "Managing chronic pain",
        "This chapter reviews ketamine infusion among treatments for chronic pain.",
        pt=["Review"], journal="Handbook of Chronic Pain", book=True, pub=(2022, 1, 1),
        authors=[("Roe", "A")],
    ),
    Rec(
        109,
        "Functional connectivity in complex regional pain syndrome after ketamine",
        [("BACKGROUND", "Brain changes follow CRPS."),
         ("RESULTS", "Functional connectivity normalised after ketamine infusion.")],
        mesh=[KETAMINE, ("Complex Regional Pain Syndromes", True, ()),
              ("Magnetic Resonance Imaging", False, ()), ("Brain", True, ("*physiopathology",)),
              HUMANS],
        pt=["Journal Article", "Observational Study"], pub=(2023, 9, 1), entrez=(2023, 8, 1),
    ),
    Rec(
        110,
        "Ketamine & in vitro microglia",
        "Microglial activation and pro-inflammatory cytokines were reduced.",
        title_xml="Ketamine &amp; <i>in vitro</i> microglia",
        mesh=[("Ketamine", False, ()), ("Microglia", True, ()), ("Animals", False, ())],
        pub=(2024, 4, 1),
    ),
]  # fmt: skip
BASELINE_2 = [
    Rec(
        104,
        "Opioid sparing after surgery: updated",
        "Multimodal analgesia lowered opioid use in postoperative pain; ketamine added.",
        mesh=[("Pain, Postoperative", True, ()), ("Analgesics, Opioid", False, ()), HUMANS],
        pt=["Journal Article", "Meta-Analysis"],
        authors=[("Smith", "JB")], pub=(2021, 12, 1), entrez=(2021, 11, 20),
    ),
    Rec(
        111,
        "Wind-up and central sensitization in humans",
        "Temporal summation (wind-up) marks central sensitization.",
        mesh=[("Central Nervous System Sensitization", True, ()), HUMANS],
        pub=(2005, 1, 1),
    ),
    Rec(112, "Sub-anaesthetic ketamine and dissociation", "Dissociative effects were brief.",
        mesh=[KETAMINE, HUMANS], pt=["Journal Article", "Randomized Controlled Trial"],
        pub=(2018, 1, 1)),
]  # fmt: skip
UPDATE_3 = [
    deletion(105),
    Rec(
        106,
        "Final report on esketamine in fibromyalgia",
        "A randomized trial of esketamine infusion in fibromyalgia.",
        mesh=[KETAMINE, ("Fibromyalgia", True, ()), HUMANS],
        pt=["Journal Article", "Randomized Controlled Trial"],
        pub=(2012, 2, 1), revised=(2025, 6, 1),
    ),
    Rec(113, "Ketamine in cancer pain", "Ketamine helped opioid-refractory cancer pain.",
        mesh=[KETAMINE, ("Cancer Pain", True, ()), HUMANS], pub=(2025, 5, 1),
        entrez=(2025, 5, 2)),
]  # fmt: skip

MESH_TREE = [  # (UI, name, tree numbers): a corner of MeSH, enough to explode Pain
    ("D010146", "Pain", ["C23.888.592.612", "F02.830.816.444"]),
    ("D059350", "Chronic Pain", ["C23.888.592.612.274"]),
    ("D006261", "Headache", ["C23.888.592.612.441"]),
    ("D010149", "Pain, Postoperative", ["C23.888.592.612.050"]),
    ("D000072716", "Cancer Pain", ["C23.888.592.612.107"]),
    ("D009437", "Neuralgia", ["C10.668.829.500", "C23.888.592.612.547"]),
    ("D020918", "Complex Regional Pain Syndromes", ["C10.177.195", "C23.888.592.612.547.500"]),
    ("D005356", "Fibromyalgia", ["C05.651.324", "C05.799.321", "C10.668.491.425"]),
    ("D007649", "Ketamine", ["D02.455.426.559.389.657.410"]),
    ("D006801", "Humans", ["B01.050.150.900.649.313.988.400.112.400.400"]),
    ("D001921", "Brain", ["A08.186.211"]),
]


def mesh_document(tree: Sequence[tuple[str, str, Sequence[str]]] = MESH_TREE) -> bytes:
    """A ``DescriptorRecordSet`` in NLM's format, with these descriptors."""
    records = "".join(
        f'<DescriptorRecord DescriptorClass="1"><DescriptorUI>{ui}</DescriptorUI>'
        f"<DescriptorName><String>{escape(name)}</String></DescriptorName>"
        f"<TreeNumberList>{''.join(f'<TreeNumber>{t}</TreeNumber>' for t in trees)}"
        f"</TreeNumberList></DescriptorRecord>\n"
        for ui, name, trees in tree
    )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE DescriptorRecordSet SYSTEM'
        ' "https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20250101.dtd">\n'
        f'<DescriptorRecordSet LanguageCode="eng">\n{records}</DescriptorRecordSet>\n'
    ).encode()


def write_fixtures(folder: Path = FIXTURES) -> None:
    """Rewrite the fixture files (plain XML: read them, they are the expected data)."""
    (folder / "baseline").mkdir(parents=True, exist_ok=True)
    (folder / "updatefiles").mkdir(parents=True, exist_ok=True)
    (folder / "baseline" / "pubmed26n0001.xml").write_bytes(document(BASELINE_1))
    (folder / "baseline" / "pubmed26n0002.xml").write_bytes(document(BASELINE_2))
    (folder / "updatefiles" / "pubmed26n0003.xml").write_bytes(document(UPDATE_3))
    (folder / "desc2026.xml").write_bytes(mesh_document())


if __name__ == "__main__":
    write_fixtures()
