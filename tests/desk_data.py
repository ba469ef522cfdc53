"""Data for the review desk's tests: the bundled claims refreshed over the loopback
E-utilities server with the fixture records plus synthetic ones (abstracts with the claim's
words, several designs, one retracted, one under an expression of concern, one hostile).

``nmda-blockade`` gets 24 synthetic studies on top of its fixture records, so a reviewer
can judge 20 with the keyboard.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner, Result

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.services.context import Context
from evidence.settings import Settings
from tests.claims_files import BUNDLED, plan_searches
from tests.eutils_server import EutilsServer

CLAIM = "nmda-blockade"
SLUG = "ketamine-infusion-chronic-pain"
RETRACTED = "41000003"
CONCERN = "41000004"
HOSTILE = "41000005"
SCRIPT = "<script>alert('title')</script>"
EVENT = "<img src=x onerror=\"alert('img')\">"
JS_LINK = "<a href=\"javascript:alert('link')\">click me</a>"
DESIGNS = [  # publication types, cycled over the synthetic records
    ("Meta-Analysis",),
    ("Randomized Controlled Trial",),
    ("Observational Study",),
    ("Randomized Controlled Trial",),
    ("Case Reports",),
    ("Review",),
]
N_SYNTHETIC = 24


def desk_record(
    pmid: str,
    *,
    title: str,
    abstract: Sequence[tuple[str, str]],
    journal: str = "Pain Medicine",
    year: int = 2020,
    types: Sequence[str] = ("Randomized Controlled Trial",),
    refs: Sequence[str] = (),
    doi: str | None = None,
) -> bytes:
    """A PubmedArticle with a structured abstract, publication types, MeSH and links."""
    sections = "".join(
        f'<AbstractText Label="{escape(label)}">{escape(text)}</AbstractText>'
        if label
        else f"<AbstractText>{escape(text)}</AbstractText>"
        for label, text in abstract
    )
    kinds = "".join(f"<PublicationType>{escape(t)}</PublicationType>" for t in types)
    links = "".join(
        f'<CommentsCorrections RefType="{r}"><RefSource>Notice</RefSource>'
        f"<PMID>4999{pmid[-4:]}</PMID></CommentsCorrections>"
        for r in refs
    )
    doi_id = f'<ArticleId IdType="doi">{escape(doi)}</ArticleId>' if doi else ""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal>'
        f"<JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue>"
        f"<Title>{escape(journal)}</Title></Journal><ArticleTitle>{escape(title)}</ArticleTitle>"
        f"<Abstract>{sections}</Abstract><AuthorList><Author><LastName>Doe</LastName>"
        f"<Initials>J</Initials></Author></AuthorList>"
        f"<PublicationTypeList>{kinds}</PublicationTypeList></Article>"
        f"<MeshHeadingList><MeshHeading><DescriptorName>Humans</DescriptorName></MeshHeading>"
        f"<MeshHeading><DescriptorName>Ketamine</DescriptorName></MeshHeading></MeshHeadingList>"
        f"{'<CommentsCorrectionsList>' + links + '</CommentsCorrectionsList>' if links else ''}"
        f"</MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId>{doi_id}</ArticleIdList></PubmedData>'
        f"</PubmedArticle>"
    ).encode()


def synthetic_desk_records() -> dict[str, bytes]:
    """24 records for nmda-blockade: designs cycled, one retracted, one under concern, one
    carrying script, an event handler and a ``javascript:`` link in title, abstract and
    journal."""
    records = {}
    for n in range(N_SYNTHETIC):
        pmid = str(41000000 + n)
        types = list(DESIGNS[n % len(DESIGNS)])
        refs: list[str] = []
        title = f"Ketamine and NMDA receptor blockade in chronic pain: study {n}"
        journal = "Pain Medicine"
        abstract = [
            ("BACKGROUND", f"Ketamine blocks NMDA receptors (cohort {n})."),
            ("METHODS", "Adults with neuropathic pain received infusions or placebo."),
            ("CONCLUSIONS", "Ketamine relieved pain scores compared with placebo."),
        ]
        if pmid == RETRACTED:
            types.append("Retracted Publication")
            title = "Retracted: ketamine NMDA blockade relieves pain"
        if pmid == CONCERN:
            refs.append("ExpressionOfConcernIn")
        if pmid == HOSTILE:
            title = f"{SCRIPT} {EVENT} Ketamine hostile title"
            journal = f"Journal {EVENT}"
            abstract = [("RESULTS", f"Ketamine {JS_LINK} {SCRIPT} relieved pain.")]
        records[pmid] = desk_record(
            pmid,
            title=title,
            abstract=abstract,
            journal=journal,
            year=2000 + n % 20,
            types=types,
            refs=refs,
            doi=f"10.1000/desk.{n}",
        )
    return records


def desk_searches(fixture_records: Mapping[str, bytes], synthetic: Sequence[str]) -> Any:
    """Every query gets a slice of the fixture records; nmda-blockade's also the synthetic."""
    claims = load_claims(BUNDLED)
    searches = plan_searches(claims, list(fixture_records), 4)
    first, second = (q.full_term for q in claims.claim(CLAIM).queries)
    searches[first] = searches[first] + list(synthetic)
    searches[second] = searches[second] + list(synthetic[::2])
    return searches


def run(env: Mapping[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=dict(env), catch_exceptions=False)


@dataclass
class DeskData:
    """A refreshed database, and the loopback server that answered (for more refreshes)."""

    url: str
    server: EutilsServer
    env: dict[str, str]


def build(folder: Path, fixture_records: Mapping[str, bytes]) -> Iterator[DeskData]:
    """Refresh the bundled claims into ``folder/evidence.db`` (the server stays up)."""
    synthetic = synthetic_desk_records()
    records = {**fixture_records, **synthetic}
    with EutilsServer(records, desk_searches(fixture_records, sorted(synthetic))) as server:
        url = f"sqlite:///{folder / 'evidence.db'}"
        env = {
            "EVIDENCE_EUTILS_URL": server.url,
            "EVIDENCE_DATABASE_URL": url,
            "EVIDENCE_RATE_FILE": str(folder / "rate"),
        }
        done = run(env, "refresh", str(BUNDLED))
        assert done.exit_code == 0, done.stderr
        yield DeskData(url, server, env)


@pytest.fixture(scope="module")
def desk_template(
    tmp_path_factory: pytest.TempPathFactory, fixture_records: dict[str, bytes]
) -> Iterator[DeskData]:
    """The refreshed desk database, built once per module (copy it before writing)."""
    yield from build(tmp_path_factory.mktemp("desk"), fixture_records)


@pytest.fixture
def desk_db(desk_template: DeskData, tmp_path: Path) -> DeskData:
    """A copy of the desk database for one test."""
    source = Path(desk_template.url.removeprefix("sqlite:///"))
    target = tmp_path / "evidence.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    env = {**desk_template.env, "EVIDENCE_DATABASE_URL": url}
    return DeskData(url, desk_template.server, env)


def context_for(url: str) -> Context:
    """An application context on the database ``url``."""
    return Context(Settings(database_url=url))


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)
