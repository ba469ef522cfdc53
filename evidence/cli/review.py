"""``evidence review``: the reviewer's queue, verdicts and their history."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option, message
from evidence.domain.vocab import KIND_RESOLUTION, VERDICTS

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice


@click.group("review")
def review_group() -> None:
    """Judge the studies of each claim: queue, set a verdict, show the history."""


REVIEWER_OPTION = click.option(
    "--reviewer", metavar="NAME", help="Who judges. [env: EVIDENCE_REVIEWER]"
)


@review_group.command("queue")
@click.argument("claim", required=False)
@REVIEWER_OPTION
@article_option
@json_option
@pass_app
def queue_command(
    app: App, claim: str | None, reviewer: str | None, slug: ArticleChoice, as_json: bool
) -> None:
    """Studies still needing verdicts (or changed since), strongest evidence first.

    CLAIM limits the queue to one claim id. A study needs as many verdicts as its claim's
    review protocol asks for; with --reviewer (or EVIDENCE_REVIEWER), only the studies that
    still need yours.
    """
    from evidence.services.views import review_queue

    name = reviewer or app.settings.reviewer
    with app.database(create=False).session() as session:
        items = review_queue(session, claim, slug=slug, reviewer=name)
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
@REVIEWER_OPTION
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
@REVIEWER_OPTION
@article_option
@json_option
@pass_app
def show_command(
    app: App,
    claim: str,
    pmid: str | None,
    reviewer: str | None,
    slug: ArticleChoice,
    as_json: bool,
) -> None:
    """The verdict history of CLAIM (or of one PMID), disagreements and re-review flags.

    With --reviewer (or EVIDENCE_REVIEWER) on a blind claim, a study you have not judged
    shows only your own rows: the others' appear once you have given your verdict.
    """
    from evidence.services.review import pair_status

    name = reviewer or app.settings.reviewer
    with app.database(create=False).session() as session:
        pairs = pair_status(session, claim, pmid, slug=slug, reviewer=name)
    if as_json:
        echo_json([{**asdict(p), "disagreement": p.disagreement} for p in pairs])
        return
    for pair in pairs:
        notes = []
        if pair.hidden:
            notes.append("blind review: the others' verdicts show once you have judged")
        if pair.disagreement:
            notes.append("REVIEWERS DISAGREE")
        if pair.resolution:
            notes.append(f"RESOLVED: {pair.resolution}")
        if pair.rereview_reason:
            notes.append(f"RE-REVIEW: {pair.rereview_reason}")
        click.echo(f"PMID {pair.pmid}  {pair.title}" + (f"  [{'; '.join(notes)}]" if notes else ""))
        for row in pair.history:
            note = f" — {row.note}" if row.note else ""
            if row.kind == KIND_RESOLUTION:
                note = f" (resolution) — {row.reason}"
            click.echo(f"  {row.created_at:%Y-%m-%d %H:%M} {row.reviewer}: {row.verdict}{note}")
    if not pairs:
        message("no verdicts yet", quiet=app.quiet)


@review_group.command("conflicts")
@click.option("--claim", metavar="ID", help="Only this claim's conflicts.")
@article_option
@json_option
@pass_app
def conflicts_command(app: App, claim: str | None, slug: ArticleChoice, as_json: bool) -> None:
    """Studies whose reviewers disagree (as many verdicts as the claim asks for, or more),
    waiting for an editor's resolution (`evidence review resolve`)."""
    from evidence.services.conflicts import conflicts

    with app.database(create=False).session() as session:
        found = conflicts(session, claim, slug=slug)
    if as_json:
        echo_json([asdict(c) for c in found])
        return
    for item in found:
        given = ", ".join(f"{name}: {verdict}" for name, verdict in item.verdicts.items())
        click.echo(f"{item.claim}\tPMID {item.pmid}\t{item.level}\t{given}\t{item.title}")
    message(f"{len(found)} conflict{'' if len(found) == 1 else 's'} to resolve", quiet=app.quiet)


@review_group.command("resolve")
@click.argument("claim")
@click.argument("pmid")
@click.option("--verdict", required=True, type=click.Choice(VERDICTS), help="The decision.")
@click.option("--reason", required=True, help="Why: kept with the resolution, shown in history.")
@click.option("--editor", metavar="NAME", help="Who resolves (an editor). [env: EVIDENCE_REVIEWER]")
@article_option
@pass_app
def resolve_command(
    app: App,
    claim: str,
    pmid: str,
    verdict: str,
    reason: str,
    editor: str | None,
    slug: ArticleChoice,
) -> None:
    """Resolve the reviewers' conflict on study PMID for CLAIM (a new row of kind
    resolution: the certainty counts it; nothing is deleted)."""
    from evidence.services.conflicts import resolve

    with app.database(create=False).session(write=True) as session:
        row = resolve(
            session,
            claim,
            pmid,
            verdict,
            editor=editor or app.settings.reviewer,
            reason=reason,
            slug=slug,
        )
    message(
        f"resolved: {row.claim} PMID {row.pmid} {row.verdict} by {row.reviewer}", quiet=app.quiet
    )
