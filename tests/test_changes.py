"""What changed since the previous refresh: added and dropped studies per claim."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
from click.testing import CliRunner

from evidence.cli.main import cli
from tests.claims_files import one_query_claims
from tests.eutils_server import synthetic_records

IDS = [str(41_000_000 + i) for i in range(5)]


def test_second_refresh_reports_added_and_dropped_studies(
    tmp_path: Path, eutils_server_factory: Callable[..., Any]
) -> None:
    searches = {"drug x[tiab]": IDS[:3]}
    server = eutils_server_factory(synthetic_records(IDS), searches)
    claims = one_query_claims(tmp_path, "drug x[tiab]")
    env = {
        "EVIDENCE_EUTILS_URL": server.url,
        "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "NCBI_API_KEY": "0123456789abcdef0123456789abcdef0123",
    }
    runner = CliRunner()
    first = json.loads(runner.invoke(cli, ["refresh", str(claims), "--json"], env=env).stdout)
    (change,) = first["changes"]
    assert change["previous_refresh"] is None and change["added"] == IDS[:3]

    searches["drug x[tiab]"] = [IDS[0], IDS[3], IDS[4]]  # PubMed's answer moved on
    second = runner.invoke(cli, ["refresh", str(claims), "--json"], env=env)
    assert second.exit_code == 0
    (change,) = json.loads(second.stdout)["changes"]
    assert change["previous_refresh"] == first["refresh_id"]
    assert change["added"] == IDS[3:] and change["dropped"] == IDS[1:3]
    assert change["updated"] == []

    out = tmp_path / "report"
    assert runner.invoke(cli, ["report", "--out", str(out)], env=env).exit_code == 0
    page = lxml.html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    (row,) = page.xpath("//section[@id='changes']//table[@class='changes']/tbody/tr")
    added, dropped = (cell.text_content().split() for cell in row.findall("td")[2:4])
    assert added == IDS[3:] and dropped == IDS[1:3]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    changes = markdown.split("## What changed since the previous refresh")[1].split("## ")[0]
    assert " ".join(IDS[3:]) in changes and " ".join(IDS[1:3]) in changes

    text = runner.invoke(cli, ["refresh", str(claims)], env=env).stderr
    assert "only: since refresh" not in text  # third run: nothing changed, nothing said

    exported = json.loads(runner.invoke(cli, ["export"], env=env).stdout)
    assert {s["pmid"] for s in exported["claims"][0]["studies"]} == {IDS[0], IDS[3], IDS[4]}


def both_ways(url: str) -> tuple[list[Any], list[Any]]:
    """``claim_changes`` (paged in the database, for a refresh) and ``claim_changes_at_once``
    (a fixed number of statements, for the readers) of every stored claim set."""
    from sqlalchemy import select

    from evidence.services.changes import claim_changes, claim_changes_at_once
    from evidence.store.db import Database
    from evidence.store.models import ClaimSet

    with Database(url, create=False).session() as session:
        ids = list(session.scalars(select(ClaimSet.id)))
        paged = [c for i in ids for c in claim_changes(session, i)]
        at_once = [c for i in ids for c in claim_changes_at_once(session, i)]
    return paged, at_once


def test_the_paged_and_the_at_once_changes_agree(
    tmp_path: Path, eutils_server_factory: Callable[..., Any]
) -> None:
    """Added, dropped and updated (a record stored again after the previous refresh), over
    three refreshes and two claims, with a failed search in between."""
    from tests.eutils_server import Fault

    ids = [str(42_000_000 + i) for i in range(12)]
    searches = {"drug x[tiab]": ids[:6], "drug y[tiab]": ids[4:9]}
    records = synthetic_records(ids)
    server = eutils_server_factory(records, searches)
    claims = two_query_claims(tmp_path)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    env = {"EVIDENCE_EUTILS_URL": server.url, "EVIDENCE_DATABASE_URL": url}
    runner = CliRunner()
    assert runner.invoke(cli, ["refresh", str(claims)], env=env).exit_code == 0
    paged, at_once = both_ways(url)
    assert paged == at_once and paged[0].added == tuple(ids[:6])

    searches["drug x[tiab]"] = [ids[0], *ids[6:11]]
    server.revise(ids[5], records[ids[5]].replace(b"</ArticleTitle>", b" revised</ArticleTitle>"))
    assert runner.invoke(cli, ["refresh", str(claims)], env=env).exit_code == 0
    server.push(Fault.http(400, b"<html>Bad Request</html>", endpoint="esearch.fcgi"))
    runner.invoke(cli, ["refresh", str(claims)], env=env)  # one search fails
    paged, at_once = both_ways(url)
    assert paged == at_once
    assert any(c.added for c in paged) and any(c.dropped for c in paged)


def two_query_claims(folder: Path) -> Path:
    """A claims file with two claims of one query each."""
    path = folder / "two.toml"
    path.write_text(
        '[article]\nslug = "two"\ntitle = "Two claims"\n\n'
        '[[claims]]\nid = "x"\nstatement = "Drug x relieves pain."\n'
        '[[claims.queries]]\nlabel = "x"\nterm = "drug x[tiab]"\n\n'
        '[[claims]]\nid = "y"\nstatement = "Drug y relieves pain."\n'
        '[[claims.queries]]\nlabel = "y"\nterm = "drug y[tiab]"\n',
        encoding="utf-8",
    )
    return path
