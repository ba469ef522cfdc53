"""The review protocol and the pure rules over a pair's verdict rows, each defined once.

A claim asks for ``reviewers`` independent verdicts per study, optionally ``blind``. Rows
are append-only: a reviewer's verdict (``kind`` verdict; ``withdrawn`` takes it back) or
an editor's ``resolution`` of a conflict. The rules here say what stands, what the pair's
decided verdict is, when it is a conflict, what a reviewer may see, and which verdicts
count for agreement (the first round).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from evidence.domain.vocab import DISPUTED, KIND_RESOLUTION, KIND_VERDICT, WITHDRAWN


@dataclass(frozen=True)
class ReviewProtocol:
    """How a claim is reviewed: independent verdicts per study, and whether blind."""

    reviewers: int = 1
    blind: bool = False

    def to_json(self) -> dict[str, int | bool]:
        """A JSON-ready dict."""
        return {"reviewers": self.reviewers, "blind": self.blind}


@dataclass(frozen=True, slots=True)
class VerdictInfo:
    """A reviewer's verdict (or an editor's resolution) on a claim-study pair."""

    reviewer: str
    verdict: str
    note: str | None
    created_at: datetime
    record_sha256: str | None = None  # the record as it was when judged
    flags_at_review: tuple[str, ...] = ()
    statement_version: int | None = None  # the claim wording the verdict was given for
    current_wording: bool = True  # False once the claim's statement has changed since
    kind: str = KIND_VERDICT  # verdict | resolution
    reason: str | None = None  # why a resolution decided so

    @property
    def is_resolution(self) -> bool:
        """True for an editor's resolution of a conflict."""
        return self.kind == KIND_RESOLUTION


@dataclass(frozen=True)
class Agreement:
    """Inter-reviewer agreement over the studies with enough first-round verdicts."""

    method: str  # "cohen" (two reviewers) | "fleiss" (more, or reviewers that vary)
    kappa: float | None  # None: undefined (every verdict in one category)
    percent: float  # share of studies on which every counted verdict agrees, 0-100
    studies: int  # how many studies it rests on
    raters: int  # verdicts counted per study

    @property
    def label(self) -> str:
        """``Cohen's kappa 0.62, 80% agreement (10 studies)``."""
        name = "Cohen's" if self.method == "cohen" else "Fleiss'"
        kappa = "n/a" if self.kappa is None else f"{self.kappa:.2f}"
        n = self.studies
        return f"{name} kappa {kappa}, {self.percent:.0f}% agreement ({n} stud{_ies(n)})"


def reviewer_rows(verdicts: Sequence[VerdictInfo]) -> tuple[VerdictInfo, ...]:
    """The reviewers' rows (verdicts and withdrawals), without editors' resolutions."""
    return tuple(v for v in verdicts if not v.is_resolution)


def standing_verdicts(verdicts: Sequence[VerdictInfo]) -> tuple[VerdictInfo, ...]:
    """The reviewers' rows (oldest first) without those whose latest row is a withdrawal.

    Undo appends a :data:`~evidence.domain.vocab.WITHDRAWN` row, never deletes: a reviewer
    whose latest row on the pair is one has no current verdict on it. Resolutions are not
    a reviewer's verdict and never stand here.
    """
    rows = reviewer_rows(verdicts)
    latest = {v.reviewer: v.verdict for v in rows}
    return tuple(v for v in rows if latest[v.reviewer] != WITHDRAWN)


def current_verdicts_of(standing: Sequence[VerdictInfo]) -> dict[str, str]:
    """Each reviewer's latest verdict on the claim's current wording, from standing rows."""
    return {v.reviewer: v.verdict for v in standing if v.current_wording}


def consensus_of(current: dict[str, str]) -> str | None:
    """The common verdict of ``current`` (reviewer -> verdict), "disputed", or None."""
    found = set(current.values())
    if not found:
        return None
    return found.pop() if len(found) == 1 else DISPUTED


def resolution_of(verdicts: Sequence[VerdictInfo]) -> VerdictInfo | None:
    """The latest resolution given for the claim's current wording, or None."""
    found = [v for v in verdicts if v.is_resolution and v.current_wording]
    return found[-1] if found else None


def decided_verdict(verdicts: Sequence[VerdictInfo]) -> str | None:
    """The pair's verdict: the resolution when there is one, else the reviewers' consensus
    ("disputed" while they disagree), else None."""
    resolution = resolution_of(verdicts)
    if resolution is not None:
        return resolution.verdict
    return consensus_of(current_verdicts_of(standing_verdicts(verdicts)))


def in_conflict(verdicts: Sequence[VerdictInfo], protocol: ReviewProtocol) -> bool:
    """True when at least ``protocol.reviewers`` current verdicts disagree and no resolution
    decides the pair (the conflict queue)."""
    current = current_verdicts_of(standing_verdicts(verdicts))
    disagree = len(current) >= protocol.reviewers and len(set(current.values())) > 1
    return disagree and resolution_of(verdicts) is None


def first_round(verdicts: Sequence[VerdictInfo]) -> dict[str, str]:
    """Each reviewer's committed verdict before any resolution (what agreement counts):
    their current verdict on the current wording over the rows older than the first
    resolution of that wording, in the order the reviewers first judged."""
    first = next(
        (i for i, v in enumerate(verdicts) if v.is_resolution and v.current_wording),
        len(verdicts),
    )
    return current_verdicts_of(standing_verdicts(verdicts[:first]))


def hides_others(verdicts: Sequence[VerdictInfo], reviewer: str, protocol: ReviewProtocol) -> bool:
    """True when ``reviewer`` may not see the others' verdicts yet: blind review, no current
    verdict of their own on the pair, and no resolution of theirs (resolving, they saw all)."""
    if not protocol.blind:
        return False
    if any(v.is_resolution and v.reviewer == reviewer for v in verdicts):
        return False
    return reviewer not in current_verdicts_of(standing_verdicts(verdicts))


def visible_to(
    verdicts: Sequence[VerdictInfo], reviewer: str, protocol: ReviewProtocol
) -> tuple[VerdictInfo, ...]:
    """The rows ``reviewer`` may see: all, or only their own while :func:`hides_others`."""
    if hides_others(verdicts, reviewer, protocol):
        return tuple(v for v in verdicts if v.reviewer == reviewer and not v.is_resolution)
    return tuple(verdicts)


def _ies(n: int) -> str:
    return "y" if n == 1 else "ies"
