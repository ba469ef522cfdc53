"""``evidence report`` and ``evidence export``: render what is stored."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, message


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder. [default: reports/<article-slug>/]",
)
@article_option
@pass_app
def report_command(app: App, out_dir: Path | None, slug: str | None) -> None:
    """Write index.html, report.md and studies.csv linking each claim to its studies.

    The paths written are printed on stdout.
    """
    from evidence.report.writer import write_report
    from evidence.store.reads import load_report

    with app.database().session() as session:
        data = load_report(session, slug)
    target = out_dir if out_dir is not None else Path("reports") / data.article.slug
    files = write_report(data, target)
    for path in files:
        click.echo(str(path))
    message(f"report written to {target}/", quiet=app.quiet)


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@article_option
@pass_app
def export_command(app: App, fmt: str, slug: str | None) -> None:
    """Print the claim -> study links with the study fields on stdout."""
    from evidence.report.writer import export_json
    from evidence.store.reads import load_report

    with app.database().session() as session:
        data = load_report(session, slug)
    echo_json(export_json(data))
