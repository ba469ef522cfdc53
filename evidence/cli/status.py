"""``evidence status``: per claim, what the evidence amounts to."""

from __future__ import annotations

from dataclasses import asdict

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option


@click.command("status")
@article_option
@json_option
@pass_app
def status_command(app: App, slug: str | None, as_json: bool) -> None:
    """Per claim: studies by evidence level and verdict, retractions, certainty and why.

    The certainty label (high, moderate, low, very low) comes from reviewer verdicts and
    evidence levels by the rules in docs/certainty.md; machine suggestions never change it.
    """
    from evidence.services.views import load_report

    with app.database(create=False).session() as session:
        data = load_report(session, slug)
    summaries = [claim.summarized for claim in data.claims]
    if as_json:
        echo_json({"article": data.article.slug, "claims": [asdict(s) for s in summaries]})
        return
    for s in summaries:
        direction = f", {s.direction}" if s.direction else ""
        click.echo(f"{s.claim}: certainty {s.certainty.upper()}{direction} ({s.studies} studies)")
        levels = ", ".join(f"level {k}: {v}" for k, v in sorted(s.by_level.items()))
        verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_verdict.items()))
        click.echo(f"  by level: {levels or 'none'}")
        click.echo(f"  reviewer verdicts: {verdicts or 'none'}")
        machine = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_suggestion.items()))
        click.echo(f"  machine suggestions (not verdicts): {machine or 'none'}")
        if s.retracted:
            click.echo(f"  RETRACTED studies: {s.retracted}")
        for reason in s.reasons:
            click.echo(f"  - {reason}")
