"""The root ``evidence`` command: builds the application context, maps errors to exit codes."""

from __future__ import annotations

import click

from evidence import __version__
from evidence.cli.audit import audit_group
from evidence.cli.claims import claims_group
from evidence.cli.context import App, configure_logging
from evidence.cli.db import db_group
from evidence.cli.mirror import mirror_group
from evidence.cli.options import add_verbosity_options
from evidence.cli.refresh import refresh_command
from evidence.cli.report import export_command, report_command
from evidence.cli.retractions import retractions_group
from evidence.cli.review import review_group
from evidence.cli.runs import diff_command, runs_command
from evidence.cli.serve import serve_command
from evidence.cli.status import status_command
from evidence.cli.users import users_group
from evidence.domain.errors import EvidenceError
from evidence.settings import Settings, redact

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class EvidenceGroup(click.Group):
    """The root group: turns every EvidenceError into a one-line message and exit code.

    The line starts with the error's ``label``: "Error", or "Changed" for exit 4.

    Ctrl-C and SIGTERM (see ``cli.refresh.sigterm_interrupts``) end in one line and 130.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except EvidenceError as exc:
            key = ctx.obj.settings.eutils.api_key if isinstance(ctx.obj, App) else None
            click.echo(f"{exc.label}: {redact(str(exc), key)}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            key = ctx.obj.settings.eutils.api_key if isinstance(ctx.obj, App) else None
            notes = getattr(exc, "__notes__", None) or ["stopped"]
            click.echo(f"Interrupted: {redact(notes[-1], key)}", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=EvidenceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
@click.option(
    "--db",
    "database",
    metavar="URL",
    help="Database: a SQLAlchemy URL or a SQLite file path. "
    "[env: EVIDENCE_DATABASE_URL; default: sqlite:///data/evidence.db]",
)
@click.option(
    "--eutils-url",
    metavar="URL",
    help="E-utilities base URL. [env: EVIDENCE_EUTILS_URL; default: NCBI's]",
)
@click.option(
    "--project",
    metavar="DIR",
    help="Project folder (data/, queries/, reports/, evidence.toml). [env: EVIDENCE_HOME;"
    " default: found by walking up from the working folder]",
)
@click.option("--api-key", metavar="KEY", help="NCBI API key. [env: NCBI_API_KEY]")
@click.option("--email", metavar="ADDRESS", help="Contact e-mail sent to NCBI. [env: NCBI_EMAIL]")
@click.option("-v", "--verbose", count=True, help="More messages on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bar.")
@click.pass_context
def cli(
    ctx: click.Context,
    database: str | None,
    eutils_url: str | None,
    api_key: str | None,
    email: str | None,
    project: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Check what a health article claims against the PubMed literature.

    A claims file (queries/*.toml) lists the article's claims and the PubMed
    searches for each; `refresh` runs them and stores the records, `report`
    and `export` link each claim to its studies.
    """
    settings = Settings.from_env(
        database=database, api_key=api_key, email=email, eutils_url=eutils_url, project=project
    )
    verbosity = -1 if quiet else verbose
    configure_logging(settings, verbosity)
    app = App(settings=settings, verbosity=verbosity)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(refresh_command)
cli.add_command(report_command)
cli.add_command(export_command)
cli.add_command(claims_group)
cli.add_command(review_group)
cli.add_command(status_command)
cli.add_command(runs_command)
cli.add_command(diff_command)
cli.add_command(audit_group)
cli.add_command(retractions_group)
cli.add_command(serve_command)
cli.add_command(mirror_group)
cli.add_command(db_group)
cli.add_command(users_group)
for _command in cli.commands.values():
    add_verbosity_options(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="evidence")
