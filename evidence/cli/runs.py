"""``evidence runs`` and ``evidence diff``: the run log, and what changed between two runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice


@click.command("runs")
@article_option
@json_option
@pass_app
def runs_command(app: App, slug: ArticleChoice, as_json: bool) -> None:
    """The refresh history: when, how long, which source, requests, counts and status."""
    from evidence.services.runs import history

    with app.database(create=False).session() as session:
        runs = history(session, slug)
    if as_json:
        echo_json([asdict(r) for r in runs])
        return
    for r in runs:
        took = f"{r.seconds:.0f}s" if r.seconds is not None else "-"
        failed = f", {r.failed_queries} failed" if r.failed_queries else ""
        click.echo(
            f"{r.id:>5}  {r.started_at:%Y-%m-%d %H:%M:%S} UTC  {took:>6}  {r.status:<11}"
            f" {r.queries} queries{failed}, {r.requests} requests, {r.retrieved} retrieved,"
            f" {r.new} new  [{r.source}]"
        )
        if r.error:
            click.echo(f"       error: {r.error}")


@click.command("diff")
@click.argument("run_a", type=int, required=False)
@click.argument("run_b", type=int, required=False)
@article_option
@json_option
@pass_app
def diff_command(
    app: App, run_a: int | None, run_b: int | None, slug: ArticleChoice, as_json: bool
) -> None:
    """Per claim, the studies added, dropped and changed from refresh RUN_A to RUN_B.

    Default: the last two refreshes; with RUN_A alone, RUN_A against the latest.
    """
    from evidence.services.runs import diff

    with app.database(create=False).session() as session:
        found = diff(session, run_a, run_b, slug)
    if as_json:
        echo_json({**asdict(found), "claims": [asdict(c) for c in found.claims]})
        return
    click.echo(f"{found.article}: refresh {found.run_a} -> {found.run_b}")
    for c in found.claims:
        if not (c.in_a and c.in_b):
            missing = " and ".join(
                str(run) for run, ran in ((found.run_a, c.in_a), (found.run_b, c.in_b)) if not ran
            )
            click.echo(f"  {c.claim}: not searched in refresh {missing}")
            continue
        if not c.any:
            click.echo(f"  {c.claim}: no change")
            continue
        click.echo(f"  {c.claim}:")
        for label, pmids in (("added", c.added), ("dropped", c.dropped), ("changed", c.changed)):
            if pmids:
                click.echo(f"    {label} ({len(pmids)}): {' '.join(pmids)}")
        for label, items in (("newly flagged", c.flagged), ("revised", c.revised)):
            for item in items:
                click.echo(f"    {label}: {item}")
