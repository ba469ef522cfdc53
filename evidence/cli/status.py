"""``evidence status``: per claim, what the evidence amounts to."""

from __future__ import annotations

from dataclasses import asdict

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option
from evidence.domain.views import ArticleChoice


@click.command("status")
@article_option
@json_option
@pass_app
def status_command(app: App, slug: ArticleChoice, as_json: bool) -> None:
    """Per claim: its conclusion, studies by evidence level and verdict, retractions, and why.

    The conclusion states direction and certainty together ("Contradicted · high
    certainty"), or why nothing can be said yet ("Search failed", "Never searched", "No
    studies found", "Not judged yet"), by the rules in docs/certainty.md; machine
    suggestions never change it.
    """
    from evidence.services.views import load_report

    with app.database(create=False).session() as session:
        data = load_report(session, slug)
    summaries = [claim.summarized for claim in data.claims]
    flagged = {
        claim.key: [(study.pmid, study.status_sources) for study in claim.studies if study.badges]
        for claim in data.claims
    }
    if as_json:
        claims = [
            {**asdict(s), "flagged": [
                {"pmid": pmid, "flag_sources": [f.to_json() for f in sources]}
                for pmid, sources in flagged[s.claim]
            ]}
            for s in summaries
        ]  # fmt: skip
        echo_json({"article": data.article.slug, "claims": claims})
        return
    for s in summaries:
        click.echo(f"{s.claim}: {s.conclusion_label} ({s.studies} studies)")
        searched = f"{s.last_searched:%Y-%m-%d %H:%M:%S} UTC" if s.last_searched else "never"
        click.echo(f"  last searched: {searched}; new since the last review: {s.new_since_review}")
        levels = ", ".join(f"level {k}: {v}" for k, v in sorted(s.by_level.items()))
        verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_verdict.items()))
        click.echo(f"  by level: {levels or 'none'}")
        click.echo(f"  reviewer verdicts: {verdicts or 'none'}")
        machine = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_suggestion.items()))
        click.echo(f"  machine suggestions (not verdicts): {machine or 'none'}")
        if s.retracted:
            by = ", ".join(f"{k}: {v}" for k, v in sorted(s.retracted_by_source.items()))
            click.echo(f"  RETRACTED studies: {s.retracted} ({by})")
        for pmid, sources in flagged[s.claim]:
            click.echo(f"  PMID {pmid}: {'; '.join(f.badge for f in sources)}")
        for reason in s.reasons:
            click.echo(f"  - {reason}")
