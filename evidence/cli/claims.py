"""``evidence claims``: work with claims files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import (
    claims_file_argument,
    echo_json,
    json_option,
    message,
    resolve_claims_file,
)
from evidence.domain.errors import NoDatabaseError

if TYPE_CHECKING:
    from evidence.domain.claims import ClaimsFile


@click.group("claims")
def claims_group() -> None:
    """Inspect and validate claims files."""


@claims_group.command("check")
@claims_file_argument
@json_option
@pass_app
def check_command(app: App, claims_file: Path | None, as_json: bool) -> None:
    """Validate CLAIMS_FILE (default: queries/ketamine-chronic-pain.toml).

    Prints every problem as FILE:LINE[:COL]: message (PubMed query syntax included) and
    exits 2 when there is one. When the database holds the article, also says which claims'
    statements changed since stored: their verdicts reopen at the next refresh.
    """
    from evidence.domain.claims import load_claims

    claims = load_claims(resolve_claims_file(app, claims_file))
    reworded = _reworded(app, claims)
    for claim_id, version in reworded.items():
        message(
            f"{claims.path}: claim {claim_id!r}: the statement differs from stored version"
            f" {version}; the next refresh stores the new wording, and verdicts given for the"
            " old one are kept, marked, and their studies reopened",
            quiet=app.quiet,
        )
    if as_json:
        echo_json(
            {
                "file": str(claims.path),
                "article": claims.slug,
                "reworded": reworded,
                "claims": [
                    {
                        "id": c.id,
                        "statement": c.statement,
                        "queries": [{"label": q.label, "term": q.full_term} for q in c.queries],
                    }
                    for c in claims.claims
                ],
            }
        )
        return
    queries = sum(len(c.queries) for c in claims.claims)
    click.echo(f"{claims.path}: OK, {len(claims.claims)} claims, {queries} queries")


def _reworded(app: App, claims: ClaimsFile) -> dict[str, int]:
    """Claims whose wording differs from the stored one; nothing when there is no database."""
    from evidence.services.claims import wording_changes

    try:
        database = app.database(create=False)
    except NoDatabaseError:
        return {}
    with database.session() as session:
        return wording_changes(session, claims)
