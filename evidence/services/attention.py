"""What a refresh tells an editor running it from cron: which claims' conclusions changed.

A conclusion counts as changed when, on either side, reviewers' verdicts make it one
(supported, contradicted, mixed, inconclusive) and its kind or certainty differs; a "Not
judged yet" count that grows is new studies, reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from evidence.domain.views import ClaimSummary
from evidence.domain.vocab import CONTRADICTED, INCONCLUSIVE, MIXED, SUPPORTED
from evidence.services.views import load_report
from evidence.store import reads

JUDGED = frozenset({SUPPORTED, CONTRADICTED, MIXED, INCONCLUSIVE})


@dataclass(frozen=True)
class ConclusionChange:
    """A claim whose conclusion changed during a refresh."""

    claim: str
    before: str  # "Never searched" for a claim new to the database
    after: str


def conclusions(session: Session, slug: str) -> dict[str, ClaimSummary]:
    """Each stored claim's summary for article ``slug``; {} when it is not stored yet, or
    when no reviewer judged any of its studies (then no conclusion is judged, and
    :func:`changed` reports nothing from it: the report of every linked study, which a
    refresh loads twice, is not loaded at all)."""
    if slug not in reads.stored_slugs(session) or not reads.has_verdicts(session, slug):
        return {}
    return {c.key: c.summarized for c in load_report(session, slug).claims}


def changed(
    before: dict[str, ClaimSummary], after: dict[str, ClaimSummary]
) -> list[ConclusionChange]:
    """The claims whose judged conclusion changed (appeared, went, or changed direction or
    certainty), in ``after``'s order. Claims nobody judged before or after are left out:
    new studies and failed searches are reported on their own."""
    found = []
    for key, now in after.items():
        was = before.get(key)
        old = _state(was) if was is not None else ("", "")
        if old != _state(now) and (old[0] in JUDGED or now.conclusion in JUDGED):
            label = was.conclusion_label if was is not None else "Never searched"
            found.append(ConclusionChange(key, label, now.conclusion_label))
    return found


def _state(summary: ClaimSummary) -> tuple[str, str]:
    judged = summary.conclusion in JUDGED
    return summary.conclusion, summary.certainty if judged else ""
