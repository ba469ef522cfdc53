"""``evidence audit``: check the audit trail that is stored."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option, message
from evidence.domain.errors import AuditMismatchError

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice


@click.group("audit")
def audit_group() -> None:
    """Check the stored audit trail."""


@audit_group.command("verify")
@json_option
@article_option
@pass_app
def verify_command(app: App, as_json: bool, slug: ArticleChoice) -> None:
    """Recompute the SHA-256 of every stored search run's PMID set and compare.

    Also checks that each run's stored retrieved count equals its number of stored
    PMIDs. One line per mismatch on stdout (--json: {"checked": N, "mismatches": [...]});
    failed runs are skipped and counted apart. Exits 3 when anything differs.
    """
    from evidence.services.audit import verify

    with app.database(create=False).session() as session:
        found = verify(session, slug.slug)  # without --article: every article stored
    if as_json:
        echo_json(
            {
                "checked": found.checked,
                "skipped_failed": found.skipped_failed,
                "mismatches": [asdict(m) for m in found.mismatches],
            }
        )
    else:
        for mismatch in found.mismatches:
            click.echo(mismatch.describe())
    skipped = f" ({found.skipped_failed} failed runs skipped)" if found.skipped_failed else ""
    message(
        f"{found.checked} search runs checked, {len(found.mismatches)} mismatches{skipped}",
        quiet=app.quiet,
    )
    if not found.ok:
        raise AuditMismatchError(
            f"audit verify found {len(found.mismatches)} search run(s) whose stored PMIDs "
            "do not match their SHA-256 or count"
        )
