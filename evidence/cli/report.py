"""``evidence report`` and ``evidence export``: render what is stored."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import LazyChoice, article_option, message
from evidence.domain.vocab import VERDICT_FILTERS

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice


def _formats() -> tuple[str, ...]:
    from evidence.report.exports import FORMATS

    return FORMATS


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder. [default: reports/<article-slug>/ in the project folder]",
)
@click.option(
    "--pdf",
    "pdf",
    is_flag=True,
    help="Also print index.html to report.pdf with headless Chromium (apt-get install chromium).",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default="a4",
    show_default=True,
    help="Paper size of report.pdf.",
)
@article_option
@pass_app
def report_command(
    app: App, out_dir: Path | None, pdf: bool, paper: str, slug: ArticleChoice
) -> None:
    """Write index.html, report.md and studies.csv linking each claim to its studies.

    With --pdf, also report.pdf (needs Chromium). The paths written are printed on stdout.
    """
    from evidence.report.files import folder_for
    from evidence.report.pdf import render_pdf
    from evidence.report.writer import write_report
    from evidence.services.views import load_report_index

    with app.database(create=False).session() as session:
        data, studies = load_report_index(session, slug)
        target = (
            out_dir
            if out_dir is not None
            else folder_for(app.settings.reports_dir, data.article.slug)
        )
        files = write_report(data, target, studies)
    for path in files:
        click.echo(str(path))
    if pdf:
        click.echo(str(render_pdf(files.html, target / "report.pdf", paper=paper)))
    message(f"report written to {target}/", quiet=app.quiet)


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=LazyChoice(_formats),
    default="json",
    show_default=True,
    help="json and csv/xlsx: one entry per claim -> study link; ris, bibtex and csl-json "
    "(Zotero, EndNote...): each study once, its claims in the note.",
)
@click.option(
    "--claim",
    "claims",
    metavar="ID",
    multiple=True,
    help="Only this claim's studies (repeatable). [default: every claim]",
)
@click.option(
    "--level",
    type=click.IntRange(1, 9),
    metavar="N",
    help="Only studies graded at evidence level N or stronger (1 is the strongest); "
    "ungraded studies are left out.",
)
@click.option(
    "--verdict",
    "verdicts",
    type=click.Choice(VERDICT_FILTERS),
    multiple=True,
    help="Only studies whose reviewer consensus is this verdict (repeatable; "
    "'disputed' when reviewers differ, 'not-reviewed' when there is none).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout (required for xlsx).",
)
@click.option(
    "--as-reviewer",
    "as_reviewer",
    metavar="NAME",
    help="As this reviewer may see it: on blind claims, the studies NAME has not judged "
    "carry only NAME's own verdicts (and consensus and certainty are built from those).",
)
@article_option
@pass_app
def export_command(
    app: App,
    fmt: str,
    claims: tuple[str, ...],
    level: int | None,
    verdicts: tuple[str, ...],
    out: Path | None,
    as_reviewer: str | None,
    slug: ArticleChoice,
) -> None:
    """Export the claim -> study links, as data or for a reference manager."""
    from evidence.report.exports import check_format, stream_export, write_export
    from evidence.services.exports import ExportFilter, load_export

    check_format(fmt, out)
    selection = ExportFilter(claims, level, verdicts, as_reviewer)
    with app.database(create=False).session() as session:
        data, studies = load_export(session, slug, selection)
        if out is None:
            stream_export(data, fmt, studies, sys.stdout)
            return
        write_export(data, fmt, studies, out)
    message(f"{fmt} export written to {out}", quiet=app.quiet)
