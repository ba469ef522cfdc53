"""``evidence refresh``: run the claims' PubMed queries and store what is new."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import claims_file_argument, echo_json, json_option, resolve_claims_file
from evidence.domain.errors import IncompleteRunError

if TYPE_CHECKING:
    from evidence.services.refresh import QuerySummary, RefreshSummary


@click.command("refresh")
@claims_file_argument
@click.option(
    "--claim",
    "claim_ids",
    multiple=True,
    metavar="ID",
    help="Refresh only this claim (repeatable).",
)
@click.option(
    "--source",
    type=click.Choice(["eutils", "mirror"]),
    help="Search PubMed (eutils) or the local mirror. [env: EVIDENCE_SOURCE; default: eutils]",
)
@json_option
@pass_app
def refresh_command(
    app: App,
    claims_file: Path | None,
    claim_ids: tuple[str, ...],
    source: str | None,
    as_json: bool,
) -> None:
    """Run every query of CLAIMS_FILE, fetch the records not yet stored, store everything.

    CLAIMS_FILE defaults to queries/ketamine-chronic-pain.toml. Exits 3 when the
    run finished but some records or queries could not be retrieved.
    """
    from evidence.domain.claims import load_claims
    from evidence.services.refresh import refresh

    claims = load_claims(resolve_claims_file(app, claims_file))
    for claim_id in claim_ids:
        claims.claim(claim_id)  # unknown ids fail before anything is opened
    total = sum(len(c.queries) for c in claims.claims if not claim_ids or c.id in claim_ids)
    show_bar = not (as_json or app.quiet) and sys.stderr.isatty()
    searching = "the local mirror" if (source or app.settings.source) == "mirror" else "PubMed"
    with click.progressbar(
        length=total, label=f"Searching {searching}", file=sys.stderr, hidden=not show_bar
    ) as bar:

        def progress(query: QuerySummary) -> None:
            bar.update(1)

        db = app.database(create=True)
        summary = refresh(db, app.source(source), claims, claim_ids=claim_ids, progress=progress)
    if as_json:
        echo_json(summary_json(summary))
    elif not app.quiet:
        click.echo(render_summary(summary), err=True)
    if summary.status != "ok":
        raise IncompleteRunError(
            f"refresh {summary.refresh_id} finished {summary.status}: see the messages above"
        )


def summary_json(summary: RefreshSummary) -> dict[str, object]:
    """The refresh summary as JSON-ready data."""
    return {
        "refresh_id": summary.refresh_id,
        "article": summary.article,
        "status": summary.status,
        "totals": summary.totals,
        "queries": [asdict(q) for q in summary.queries],
        "changes": [asdict(c) for c in summary.changes],
        "reworded": summary.reworded,
    }


def render_summary(summary: RefreshSummary) -> str:
    """A short human summary: one line per query, then the totals."""
    lines = []
    for q in summary.queries:
        note = f"  [{q.status}: {q.message}]" if q.status != "ok" else ""
        lines.append(
            f"{q.claim:<24} {q.label[:48]:<48} count={q.count} retrieved={q.retrieved} "
            f"new={q.new} stored={q.stored}{note}"
        )
    for c in summary.changes:
        if c.changed and c.previous_refresh is not None:
            lines.append(
                f"{c.claim}: since refresh {c.previous_refresh}: +{len(c.added)} added, "
                f"-{len(c.dropped)} dropped, {len(c.updated)} updated"
            )
    t = summary.totals
    lines.append(
        f"refresh {summary.refresh_id} {summary.status}: {t['queries']} queries, "
        f"{t['retrieved']} retrieved, {t['new']} new, {t['stored']} stored"
    )
    return "\n".join(lines)
