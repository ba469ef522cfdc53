"""``evidence status``: per claim, what the evidence amounts to, and how fresh the ledger is."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from evidence.cli.context import App, pass_app
from evidence.cli.options import article_option, echo_json, json_option
from evidence.domain.vocab import NOT_JUDGED

if TYPE_CHECKING:
    from evidence.domain.views import ArticleChoice, ClaimReport, ClaimSummary
    from evidence.services.views import StatusView


@click.command("status")
@article_option
@json_option
@pass_app
def status_command(app: App, slug: ArticleChoice, as_json: bool) -> None:
    """Per claim: its conclusion, studies by evidence level and verdict, retractions, and why.

    The conclusion states direction and certainty together ("Contradicted · high
    certainty"), or why nothing can be said yet ("Search failed", "Never searched", "No
    studies found", "Not judged yet"), by the rules in docs/certainty.md; machine
    suggestions never change it. Also when the ledger was last refreshed and re-checked.
    """
    from evidence.services.ledger import require_stored

    require_stored(app.settings.database_url)  # a missing or empty ledger: no SQLAlchemy
    from evidence.services.views import status

    with app.database(create=False).session() as session:
        view = status(session, slug)
    if as_json:
        echo_json(status_json(view))
        return
    click.echo(freshness(view))
    if view.report.agreement is not None:
        click.echo(f"reviewer agreement, all claims: {view.report.agreement.label}")
    for claim in view.report.claims:
        click.echo("\n".join(claim_lines(claim)))


def status_json(view: StatusView) -> dict[str, Any]:
    """The status as JSON-ready data."""
    refresh = view.report.last_refresh
    return {
        "article": view.report.article.slug,
        "last_refresh": asdict(refresh) if refresh else None,
        "last_recheck": view.last_recheck,
        "agreement": asdict(view.report.agreement) if view.report.agreement else None,
        "claims": [
            {
                **asdict(claim.summarized),
                "review": claim.review.to_json(),
                "flagged": [
                    {"pmid": s.pmid, "flag_sources": [f.to_json() for f in s.status_sources]}
                    for s in claim.studies
                    if s.badges
                ],
            }
            for claim in view.report.claims
        ],
    }


def freshness(view: StatusView) -> str:
    """``article: last refresh 12 (2026-11-30 06:00:03 UTC, ok); last re-check ...``."""
    refresh = view.report.last_refresh
    text = f"{view.report.article.slug}: "
    if refresh is None:
        text += "never refreshed"
    else:
        text += f"last refresh {refresh.run_id} ({refresh.started_at:%Y-%m-%d %H:%M:%S} UTC,"
        text += f" {refresh.status})"
    checked = view.last_recheck
    text += f"; last re-check: {f'{checked:%Y-%m-%d %H:%M:%S} UTC' if checked else 'never'}"
    return text


def claim_lines(claim: ClaimReport) -> list[str]:
    """The lines of one claim."""
    s: ClaimSummary = claim.summarized
    searched = f"{s.last_searched:%Y-%m-%d %H:%M:%S} UTC" if s.last_searched else "never"
    levels = ", ".join(f"level {k}: {v}" for k, v in sorted(s.by_level.items()))
    verdicts = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_verdict.items()))
    machine = ", ".join(f"{k}: {v}" for k, v in sorted(s.by_suggestion.items()))
    counted = "" if s.conclusion == NOT_JUDGED else f" ({s.studies} studies)"  # has them
    lines = [
        f"{s.claim}: {s.conclusion_label}{counted}",
        f"  last searched: {searched}; new since the last review: {s.new_since_review}",
        f"  by level: {levels or 'none'}",
        f"  reviewer verdicts: {verdicts or 'none'}",
        f"  machine suggestions (not verdicts): {machine or 'none'}",
    ]
    if s.retracted:
        by = ", ".join(f"{k}: {v}" for k, v in sorted(s.retracted_by_source.items()))
        lines.append(f"  RETRACTED studies: {s.retracted} ({by})")
    lines += review_lines(claim)
    lines += [
        f"  PMID {study.pmid}: {'; '.join(f.badge for f in study.status_sources)}"
        for study in claim.studies
        if study.badges
    ]
    lines += [f"  - {reason}" for reason in s.reasons]
    return lines


def review_lines(claim: ClaimReport) -> list[str]:
    """The claim's review protocol, unresolved conflicts and reviewers' agreement, if any."""
    s: ClaimSummary = claim.summarized
    lines = []
    if claim.review.reviewers > 1 or claim.review.blind:
        mode = ", blind" if claim.review.blind else ""
        lines.append(f"  review: {claim.review.reviewers} reviewer(s) per study{mode}")
    if s.conflicts or s.resolved:
        lines.append(f"  conflicts: {s.conflicts} unresolved, {s.resolved} resolved by an editor")
    if s.agreement is not None:
        lines.append(f"  agreement: {s.agreement.label}")
    return lines
