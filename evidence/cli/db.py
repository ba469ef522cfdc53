"""``evidence db ...``: upgrade the database's schema, describe it, back it up."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import echo_json, json_option, message

if TYPE_CHECKING:
    from evidence.services.database import DatabaseInfo, UpgradeResult

COUNT_LABELS = {
    "claim_sets": "claim sets",
    "claims": "claims",
    "articles": "articles",
    "links": "links",
    "verdicts": "verdicts",
    "refresh_runs": "refresh runs",
    "mirror_records": "mirror records",
}


@click.group("db")
def db_group() -> None:
    """The database itself: its migration level and contents, upgrades, backups.

    Every other command refuses a database whose schema is behind this version (exit 5):
    back it up, then run `evidence db upgrade`.
    """


@db_group.command("upgrade")
@json_option
@pass_app
def upgrade_command(app: App, as_json: bool) -> None:
    """Migrate the database to this version's schema (Alembic; creates an empty one).

    Runs under the migration lock, so two at once are safe. One line on stderr says from
    which migration to which; a database written by a newer evidence is refused.
    """
    from evidence.services.database import upgrade

    result = upgrade(app)
    if as_json:
        echo_json(asdict(result))
    message(upgrade_line(result), quiet=app.quiet)


def upgrade_line(result: UpgradeResult) -> str:
    """``database X: upgraded from migration 0008 to 0009``, or created, or already there."""
    if result.before is None:
        return f"database {result.location}: created at migration {result.after}"
    if result.before == result.after:
        return f"database {result.location}: already at migration {result.after}, nothing to do"
    return f"database {result.location}: upgraded from migration {result.before} to {result.after}"


@db_group.command("info")
@json_option
@pass_app
def info_command(app: App, as_json: bool) -> None:
    """Backend, location (password hidden), migration level, row counts, SQLite file size."""
    from evidence.services.database import info

    found = info(app)
    if as_json:
        echo_json(asdict(found))
        return
    click.echo("\n".join(info_lines(found)))


def info_lines(found: DatabaseInfo) -> list[str]:
    """The text of ``db info``: one ``label  value`` line each."""
    lines = [
        f"backend         {found.backend}",
        f"location        {found.location}",
        f"migration       {level_text(found)}",
    ]
    if found.size_bytes is not None:
        wal = f" (+ {found.wal_bytes / 1e6:,.1f} MB write-ahead log)" if found.wal_bytes else ""
        lines.append(f"size            {found.size_bytes / 1e6:,.1f} MB{wal}")
    lines += [f"{COUNT_LABELS[k]:<15} {v:,}" for k, v in found.counts.items()]
    return lines


def level_text(found: DatabaseInfo) -> str:
    """The migration level against this version's newest, and what to do about it."""
    if found.state == "empty":
        return f"none (empty database; this version's newest is {found.head})"
    if found.state == "current":
        return f"{found.revision} (this version's newest)"
    if found.state == "behind":
        return f"{found.revision}, behind {found.head}: run `evidence db upgrade`"
    return f"{found.revision}, newer than this version's {found.head}: upgrade evidence"


@db_group.command("backup")
@click.argument("target", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@json_option
@pass_app
def backup_command(app: App, target: Path, force: bool, as_json: bool) -> None:
    """Copy the SQLite database to FILE while it stays in use (SQLite's online backup).

    The copy is a consistent snapshot: refreshes and the review desk may keep writing.
    FILE is not replaced unless --force. PostgreSQL: exits 2 with the pg_dump command to run.
    """
    from evidence.services.database import backup

    done = backup(app, target, force=force)
    if as_json:
        echo_json(asdict(done))
    message(
        f"backed up {done.source} (migration {done.revision or 'none'}) to {done.target}: "
        f"{done.size_bytes / 1e6:,.1f} MB in {done.seconds:.1f}s",
        quiet=app.quiet,
    )
