"""The shared corpus (3,150 real PubMed records) as a mirror: the index agrees with the shared
parser record by record, the ketamine claims run against it, and the pipeline gives the same
claim -> study links through the mirror as through a loopback E-utilities server serving the
same records for the same searches."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidence.cli.main import cli
from evidence.domain.claims import load_claims
from evidence.domain.mirror import tokens, value_token
from evidence.domain.records import Article
from evidence.sources.base import SearchQuery
from evidence.sources.mirror.records import index_texts, open_stream, scan
from evidence.sources.mirror.source import MirrorSource
from evidence.sources.pubmed_xml.parser import parse_articles
from evidence.store.db import Database
from tests.claims_files import BUNDLED
from tests.mirror_support import mirror_source

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def corpus_file(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = shared_dir / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
    if not corpus.is_file():
        pytest.skip(f"shared PubMed corpus not found at {corpus} (set EVIDENCE_SHARED_DIR)")
    folder = tmp_path_factory.mktemp("nlm")
    link = folder / "pubmed26n0001.xml.gz"  # an NLM file name for the shared file, not a copy
    link.symlink_to(corpus)
    return link


@pytest.fixture(scope="module")
def corpus_mirror(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('mirror') / 'corpus.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "mirror", "load", str(corpus_file.parent)])
    assert result.exit_code == 0, result.output
    yield url


@pytest.fixture(scope="module")
def articles(corpus_file: Path) -> dict[str, Article]:
    with open_stream(corpus_file) as stream:
        parsed = (
            parse_articles(b"<PubmedArticleSet>" + r + b"</PubmedArticleSet>") for r in scan(stream)
        )
        return {a.pmid: a for batch in parsed for a in batch}


def test_every_corpus_record_is_in_the_mirror_and_fetched_back_unchanged(
    corpus_mirror: str, articles: dict[str, Article]
) -> None:
    db = Database(corpus_mirror)
    source = mirror_source(db)
    assert source.identity().snapshot == "baseline 2026 (to file 0001)"
    fetched = {a.pmid: a for b in source.fetch(sorted(articles)) for a in b.articles}
    assert set(fetched) == set(articles)
    assert all(fetched[p] == articles[p] for p in articles)  # every parsed field equal
    db.dispose()


def test_the_index_reads_the_records_as_the_shared_parser_does(corpus_file: Path) -> None:
    wrong = []
    with open_stream(corpus_file) as stream:
        for raw in scan(stream):
            [article] = parse_articles(b"<PubmedArticleSet>" + raw + b"</PubmedArticleSet>")
            head = raw.split(b"<ReferenceList", 1)[0]
            ti, ab, _kw, mh, _mj, _sh, pt, la, _au, _ta = index_texts(
                head, article.record_type == "PubmedBookArticle"
            )
            title_words = tokens(article.title)
            expected = {
                "ti": title_words == ti.split()[: len(title_words)],
                # [ab] also holds OtherAbstract texts (as PubMed's does); the parser skips them
                "ab": b"<OtherAbstract" in head
                or set(ab.split())
                <= set(
                    tokens(
                        " ".join(s.text for s in article.abstract_sections) + " " + article.abstract
                    )
                ),
                "mh": mh.split() == [value_token(h.descriptor) for h in article.mesh_headings],
                "pt": pt.split() == [value_token(p) for p in article.publication_type_names],
                "la": set(la.split()) >= {code.lower() for code in article.languages},
            }
            wrong.extend(f"{article.pmid} {field}" for field, ok in expected.items() if not ok)
    assert wrong == []


RCT = "Randomized Controlled Trial"


def tiab_words(article: Article) -> list[str]:
    return tokens(f"{article.title} {article.abstract} {' '.join(article.keywords)}")


@pytest.mark.parametrize(
    ("term", "matches"),
    [
        ("ketamine[tiab]", lambda a: "ketamine" in tiab_words(a)),
        ('"Humans"[mh]', lambda a: "Humans" in {h.descriptor for h in a.mesh_headings}),
        ("randomized controlled trial[pt]", lambda a: RCT in a.publication_type_names),
        ("fre[la]", lambda a: "fre" in a.languages),
        ('"breast cancer"[ti]', lambda a: " breast cancer " in f" {' '.join(tokens(a.title))} "),
    ],
)  # fmt: skip
def test_searches_find_exactly_the_records_a_brute_force_reading_finds(
    corpus_mirror: str,
    articles: dict[str, Article],
    term: str,
    matches: Callable[[Article], bool],
) -> None:
    db = Database(corpus_mirror)
    found = set(mirror_source(db).search(SearchQuery(term)).pmids)
    db.dispose()
    assert found == {p for p, a in articles.items() if matches(a)}
    assert found, f"{term} finds nothing in the corpus: a weak test"


def test_the_ketamine_claims_run_against_the_corpus_mirror(corpus_mirror: str) -> None:
    db = Database(corpus_mirror)
    source: MirrorSource = mirror_source(db)
    counts = {}
    for claim in load_claims(BUNDLED).claims:
        for q in claim.queries:
            result = source.search(SearchQuery(q.full_term, q.mindate, q.maxdate, q.datetype))
            counts[q.label] = result.count
            assert result.complete
            assert list(result.pmids) == sorted(result.pmids, key=int, reverse=True)
    # The corpus holds a handful of ketamine records, none on ketamine for pain: each claim's
    # ketamine block finds them, the whole queries (rightly) little or nothing.
    block = source.search(SearchQuery('("Ketamine"[mh] OR ketamine[tiab] OR esketamine[tiab])'))
    db.dispose()
    assert {"38011560", "34126264", "32020643"} <= set(block.pmids)
    assert all(count <= block.count for count in counts.values())


def corpus_claims(tmp_path: Path) -> Path:
    """Claims whose queries find many corpus records, with the operators the ketamine ones use."""
    queries = {
        "ketamine": '("Ketamine"[mh] OR ketamine[tiab] OR esketamine[tiab])',
        "pain": '(pain[tiab] OR analges*[tiab] OR "Pain"[mh]) AND humans[mh]',
        "inflammation": (
            '(cytokine*[tiab] OR interleukin*[tiab] OR "Inflammation"[mh]) AND 2010:3000[dp]'
        ),
        "trials": (
            "(randomized controlled trial[pt] OR meta-analysis[pt] OR systematic[sb])"
            " NOT animals[mh]"
        ),
    }
    claims = "".join(
        f'\n[[claims]]\nid = "{key}"\nstatement = "A statement about {key}."\n'
        f"\n[[claims.queries]]\nlabel = \"{key}\"\nterm = '{term}'\n"
        for key, term in queries.items()
    )
    path = tmp_path / "corpus-claims.toml"
    path.write_text(f'[article]\nslug = "corpus-topics"\ntitle = "Corpus topics"\n{claims}')
    return path


def test_mirror_and_loopback_eutils_give_the_same_links(
    corpus_mirror: str,
    tmp_path: Path,
    eutils_server_factory: Callable[..., Any],
    shared_corpus_records: dict[str, bytes],
) -> None:
    """The loopback server maps exact terms to PMID lists: it gets the mirror's own answers,
    serves the same records, and both refreshes must end with the same links and studies."""
    files = (BUNDLED, corpus_claims(tmp_path))
    db = Database(corpus_mirror)
    source = mirror_source(db)
    searches = {
        q.full_term: list(
            source.search(SearchQuery(q.full_term, q.mindate, q.maxdate, q.datetype)).pmids
        )
        for path in files
        for c in load_claims(path).claims
        for q in c.queries
    }
    db.dispose()
    assert sum(map(len, searches.values())) > 100  # something to compare
    server = eutils_server_factory(shared_corpus_records, searches)
    runner = CliRunner()
    via_eutils = f"sqlite:///{tmp_path / 'via-eutils.db'}"
    env = {"EVIDENCE_EUTILS_URL": server.url, "NCBI_EMAIL": "t@example.org"}
    exports: dict[str, dict[str, object]] = {corpus_mirror: {}, via_eutils: {}}
    for url, extra in ((corpus_mirror, ["--source", "mirror"]), (via_eutils, [])):
        for path in files:
            done = runner.invoke(cli, ["--db", url, "refresh", str(path), *extra], env=env)
            assert done.exit_code == 0, done.output
            slug = load_claims(path).slug
            export = ["--db", url, "export", "--format", "json", "--article", slug]
            data = json.loads(runner.invoke(cli, export, env=env).stdout)
            exports[url][slug] = {
                c["id"]: sorted(
                    (s["pmid"], s["title"], s["evidence_level"]["design"]) for s in c["studies"]
                )
                for c in data["claims"]
            }
    assert exports[corpus_mirror] == exports[via_eutils]
    assert all(exports[corpus_mirror]["corpus-topics"].values())
