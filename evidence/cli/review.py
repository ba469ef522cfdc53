"""``evidence review``: the reviewer's queue, verdicts and their history."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option, message
from evidence.domain.vocab import VERDICTS

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice


@click.group("review")
def review_group() -> None:
    """Judge the studies of each claim: queue, set a verdict, show the history."""


@review_group.command("queue")
@click.argument("claim", required=False)
@article_option
@json_option
@pass_app
def queue_command(app: App, claim: str | None, slug: ArticleChoice, as_json: bool) -> None:
    """Studies not judged yet (or changed since), strongest evidence first.

    CLAIM limits the queue to one claim id.
    """
    from evidence.services.views import review_queue

    with app.database(create=False).session() as session:
        items = review_queue(session, claim, slug=slug)
    if as_json:
        echo_json([asdict(item) for item in items])
        return
    for item in items:
        mark = " [RE-REVIEW]" if item.rereview else ""
        flags = f" [{', '.join(item.flags)}]" if item.flags else ""
        click.echo(f"{item.claim}\tPMID {item.pmid}\t{item.level}{flags}{mark}\t{item.title}")
        if item.suggested_stance:
            click.echo(f"\tmachine suggestion: {item.suggested_stance}")
        if item.key_sentence:
            click.echo(f"\tkey sentence: {item.key_sentence}")
    message(f"{len(items)} stud{'y' if len(items) == 1 else 'ies'} to review", quiet=app.quiet)


@review_group.command("set")
@click.argument("claim")
@click.argument("pmid")
@click.option("--verdict", required=True, type=click.Choice(VERDICTS), help="Your verdict.")
@click.option("--note", help="Why: quoted in the report.")
@click.option("--reviewer", metavar="NAME", help="Who judges. [env: EVIDENCE_REVIEWER]")
@article_option
@pass_app
def set_command(
    app: App,
    claim: str,
    pmid: str,
    verdict: str,
    note: str | None,
    reviewer: str | None,
    slug: ArticleChoice,
) -> None:
    """Record a verdict on study PMID for CLAIM (a new row: history is kept)."""
    from evidence.services.review import record_verdict

    with app.database(create=False).session(write=True) as session:
        row = record_verdict(
            session,
            claim,
            pmid,
            verdict,
            reviewer=reviewer or app.settings.reviewer,
            note=note,
            slug=slug,
        )
    message(
        f"recorded: {row.claim} PMID {row.pmid} {row.verdict} by {row.reviewer}", quiet=app.quiet
    )
    if row.warning:
        click.echo(f"Warning: {row.warning}", err=True)


@review_group.command("show")
@click.argument("claim")
@click.argument("pmid", required=False)
@article_option
@json_option
@pass_app
def show_command(
    app: App, claim: str, pmid: str | None, slug: ArticleChoice, as_json: bool
) -> None:
    """The verdict history of CLAIM (or of one PMID), disagreements and re-review flags."""
    from evidence.services.review import pair_status

    with app.database(create=False).session() as session:
        pairs = pair_status(session, claim, pmid, slug=slug)
    if as_json:
        echo_json([{**asdict(p), "disagreement": p.disagreement} for p in pairs])
        return
    for pair in pairs:
        notes = []
        if pair.disagreement:
            notes.append("REVIEWERS DISAGREE")
        if pair.rereview_reason:
            notes.append(f"RE-REVIEW: {pair.rereview_reason}")
        click.echo(f"PMID {pair.pmid}  {pair.title}" + (f"  [{'; '.join(notes)}]" if notes else ""))
        for row in pair.history:
            note = f" — {row.note}" if row.note else ""
            click.echo(f"  {row.created_at:%Y-%m-%d %H:%M} {row.reviewer}: {row.verdict}{note}")
    if not pairs:
        message("no verdicts yet", quiet=app.quiet)
