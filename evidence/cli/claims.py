"""``evidence claims``: work with claims files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import (
    article_option,
    claims_file_argument,
    echo_json,
    json_option,
    message,
    resolve_claims_file,
)
from evidence.domain.errors import NoDatabaseError
from evidence.domain.vocab import MAX_REVIEWERS

if TYPE_CHECKING:
    from evidence.domain.claims import ClaimsFile
    from evidence.domain.views import ArticleChoice


@click.group("claims")
def claims_group() -> None:
    """Inspect and validate claims files; set a claim's review protocol."""


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
                "review": asdict(claims.review),
                "claims": [
                    {
                        "id": c.id,
                        "statement": c.statement,
                        "review": asdict(c.review),
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


@claims_group.command("set-review")
@click.argument("target", metavar="CLAIM_OR_ARTICLE")
@click.option(
    "--reviewers",
    type=click.IntRange(1, MAX_REVIEWERS),
    metavar="N",
    help="Independent verdicts each study needs (1 to 10).",
)
@click.option(
    "--blind/--no-blind",
    default=None,
    help="Reviewers do not see the others' verdicts on a study before giving their own.",
)
@article_option
@json_option
@pass_app
def set_review_command(
    app: App,
    target: str,
    reviewers: int | None,
    blind: bool | None,
    slug: ArticleChoice,
    as_json: bool,
) -> None:
    """Set the review protocol of a claim, or of the whole article (its slug).

    A claim's own setting wins over the article's. A claims file's [review] table
    overrides what it states at the next refresh; what it leaves out stays as set here.
    """
    from evidence.services.claims import set_review

    with app.database(create=False).session(write=True) as session:
        done = set_review(session, target, reviewers=reviewers, blind=blind, slug=slug)
    if as_json:
        echo_json({"article": done.article, "claim": done.claim, **done.protocol.to_json()})
        return
    where = f"claim {done.claim!r}" if done.claim else f"article {done.article!r}"
    mode = "blind" if done.protocol.blind else "open"
    click.echo(f"{where}: {done.protocol.reviewers} reviewer(s) per study, {mode} review")
