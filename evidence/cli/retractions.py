"""``evidence retractions``: the Retraction Watch cross-check."""

from __future__ import annotations

from dataclasses import asdict

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import echo_json, json_option, message


@click.group("retractions")
def retractions_group() -> None:
    """Cross-check linked studies against the Retraction Watch dataset."""


@retractions_group.command("update")
@click.option(
    "--from",
    "location",
    metavar="FILE_OR_URL",
    help="The dataset's CSV: a file or an http(s) URL. "
    "[env: EVIDENCE_RETRACTION_WATCH_URL; default: Crossref's, with your --email]",
)
@json_option
@pass_app
def update_command(app: App, location: str | None, as_json: bool) -> None:
    """Load the Retraction Watch dataset (streamed), replacing the previous load, and flag
    the linked studies its notices name (by PMID or DOI): retracted, corrected, expression
    of concern, reinstated, each with its source and date.
    """
    from evidence.services.retractions import update_dataset

    where = location or app.settings.retraction_watch_url
    summary = update_dataset(app.database(create=True), where, email=app.settings.eutils.email)
    if as_json:
        echo_json(asdict(summary))
        return
    for f in summary.newly_flagged:
        when = f", {f.date}" if f.date else ""
        click.echo(f"NEWLY {f.flag.upper()}: PMID {f.pmid} ({f.source}{when})")
    message(
        f"Retraction Watch: {summary.rows} rows read, {summary.notices} notices stored"
        f" (newest {summary.dataset_date or 'undated'}), sha256 {summary.sha256};"
        f" {len(summary.newly_flagged)} linked stud(ies) newly flagged",
        quiet=app.quiet,
    )
