"""``evidence claims``: work with claims files."""

from __future__ import annotations

from pathlib import Path

import click

from evidence.cli.options import claims_file_argument, echo_json, json_option, resolve_claims_file


@click.group("claims")
def claims_group() -> None:
    """Inspect and validate claims files."""


@claims_group.command("check")
@claims_file_argument
@json_option
def check_command(claims_file: Path | None, as_json: bool) -> None:
    """Validate CLAIMS_FILE (default: queries/ketamine-chronic-pain.toml).

    Prints every problem as FILE:LINE: message and exits 2 when there is one.
    """
    from evidence.domain.claims import load_claims

    claims = load_claims(resolve_claims_file(claims_file))
    if as_json:
        echo_json(
            {
                "file": str(claims.path),
                "article": claims.slug,
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
