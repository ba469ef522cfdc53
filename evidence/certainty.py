"""Claim summary: counts by evidence level and verdict, and a GRADE-style certainty label.

The certainty label follows explicit rules (``CERTAINTY_RULES_VERSION``; see
``docs/certainty.md``), computed only from *reviewer* verdicts and evidence levels. Machine
suggestions never change it; they are counted separately.

1. Evidence counted: studies with a reviewer consensus of supports, contradicts or mixed,
   that are not retracted (by PubMed or Retraction Watch) and not notices. Retracted ones
   are listed as excluded, with who says so; counted studies under an expression of
   concern are named in the reasons.
2. Starting point, from the strongest counted study: level 1 (meta-analysis / systematic
   review) or two or more RCTs -> high; one RCT or a controlled trial (level 2-3) -> moderate;
   observational or uncontrolled (level 4) -> low; anything weaker -> very low.
3. Downgrades, one step each: counted studies disagree in direction (some support, some
   contradict: inconsistency, e.g. "contradicting RCT"); every counted study is preclinical
   (animal or in vitro: indirectness, straight to very low); reviewers disagree on a study
   that no editor's resolution decides yet (it counts as neither side).
4. No counted study -> very low ("no reviewer verdicts on usable studies yet").

A study's verdict is an editor's resolution when there is one, else its reviewers' common
verdict (agreeing verdicts of several reviewers count once), else "disputed"
(:func:`evidence.domain.review.decided_verdict`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from evidence.domain.review import in_conflict
from evidence.domain.views import (
    ClaimReport,
    ClaimSummary,
    StudyInfo,
    consensus_verdict,
    search_state,
)
from evidence.domain.vocab import (
    CONTRADICTED,
    DIRECTIONAL_VERDICTS,
    INCONCLUSIVE,
    MIXED,
    NEVER_RUN,
    NEVER_SEARCHED,
    NO_STUDIES,
    NOT_JUDGED,
    RUN_FAILED,
    RUN_INCOMPLETE,
    SEARCH_FAILED,
    SUPPORTED,
)

CERTAINTY_RULES_VERSION = "2026.11-2"
LABELS = ("very low", "low", "moderate", "high")
DIRECTIONAL = DIRECTIONAL_VERDICTS
PRECLINICAL_LEVEL = 8


@dataclass
class StudyTally:
    """What a claim's summary needs of its studies, gathered one study at a time (in study
    order): counts, and the judged studies (those with verdict rows) themselves, so a claim's
    unjudged studies need not be held (streamed exports)."""

    studies: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    by_verdict: Counter[str] = field(default_factory=Counter)
    by_suggestion: Counter[str] = field(default_factory=Counter)
    retracted: int = 0
    retracted_by_source: Counter[str] = field(default_factory=Counter)
    unjudged_linked: Counter[datetime | None] = field(default_factory=Counter)  # link times
    judged: list[StudyInfo] = field(default_factory=list)

    def add(self, study: StudyInfo) -> None:
        """Count ``study`` (the next one in study order)."""
        self.studies += 1
        self.by_level[_level_key(study)] += 1
        self.by_verdict[consensus_verdict(study) or "not reviewed"] += 1
        if study.suggested_stance:
            self.by_suggestion[study.suggested_stance] += 1
        if study.retracted:
            self.retracted += 1
            self.retracted_by_source.update(_retracted_by(study))
        if study.verdicts:
            self.judged.append(study)
        else:
            self.unjudged_linked[study.linked_at] += 1


def tally(studies: Iterable[StudyInfo]) -> StudyTally:
    """The :class:`StudyTally` of ``studies`` (in study order)."""
    found = StudyTally()
    for study in studies:
        found.add(study)
    return found


def summarize(claim: ClaimReport, suggestions: dict[str, str] | None = None) -> ClaimSummary:
    """Summarize ``claim``: the one place a summary is computed.

    ``suggestions`` maps PMID -> machine stance, counted apart from verdicts.
    """
    counts = tally(claim.studies)
    counts.by_suggestion = Counter((suggestions or {}).values())
    return summarize_tally(claim, counts)


def summarize_tally(claim: ClaimReport, counts: StudyTally) -> ClaimSummary:
    """Summarize ``claim`` from the tally of its studies (``claim.studies`` is not read)."""
    judged = tuple(counts.judged)
    consensus = {s.pmid: consensus_verdict(s) for s in judged}
    counted = [s for s in judged if _counts(s, consensus[s.pmid])]
    certainty, reasons = _certainty(judged, counted, consensus)
    direction = _direction({consensus[s.pmid] for s in counted})
    searches = Counter(search_state(q) for q in claim.queries)
    kind, label = _conclusion(claim, counts, searches, direction, certainty)
    return ClaimSummary(
        claim=claim.key,
        studies=counts.studies,
        by_level=dict(counts.by_level),
        by_verdict=dict(counts.by_verdict),
        by_suggestion=dict(counts.by_suggestion),
        retracted=counts.retracted,
        retracted_by_source=dict(counts.retracted_by_source),
        certainty=certainty,
        direction=direction,
        reasons=tuple(_search_reasons(searches) + reasons),
        rules_version=CERTAINTY_RULES_VERSION,
        conclusion=kind,
        conclusion_label=label,
        searches=dict(searches),
        last_searched=max(
            (q.latest_run.started_at for q in claim.queries if q.latest_run), default=None
        ),
        new_since_review=_new_since_review(counts),
        conflicts=sum(1 for s in judged if in_conflict(s.verdicts, claim.review)),
        resolved=sum(1 for s in judged if s.resolution is not None),
    )


def _new_since_review(counts: StudyTally) -> int:
    """Studies nobody judged that were linked after the claim's latest verdict (all of the
    unjudged ones while the claim has no verdict)."""
    latest = max((v.created_at for s in counts.judged for v in s.verdicts), default=None)
    return sum(
        n
        for linked_at, n in counts.unjudged_linked.items()
        if latest is None or (linked_at is not None and linked_at > latest)
    )


def _conclusion(
    claim: ClaimReport,
    counts: StudyTally,
    searches: Counter[str],
    direction: str | None,
    certainty: str,
) -> tuple[str, str]:
    """The claim's conclusion (kind, label): direction and certainty together, or why not.

    In order: a failed latest search; no study and no search ever run; no study found; no
    reviewer verdict yet; verdicts that point nowhere; else the direction with its certainty.
    """
    if searches[RUN_FAILED]:
        return SEARCH_FAILED, "Search failed (see audit)"
    if not counts.studies:
        if searches[NEVER_RUN] == len(claim.queries):
            return NEVER_SEARCHED, "Never searched"
        return NO_STUDIES, "No studies found"
    if direction is None:
        if not any(s.current_verdicts for s in counts.judged):
            n = counts.studies
            return NOT_JUDGED, f"Not judged yet ({n} stud{_ies(n)})"
        return INCONCLUSIVE, f"Inconclusive · {certainty} certainty"
    kind = {"supports": SUPPORTED, "contradicts": CONTRADICTED}.get(direction, MIXED)
    return kind, f"{kind.capitalize()} · {certainty} certainty"


def _search_reasons(searches: Counter[str]) -> list[str]:
    notes = {
        RUN_FAILED: "latest search failed",
        RUN_INCOMPLETE: "latest search incomplete (some records missing)",
        NEVER_RUN: "never run",
    }
    return [
        f"{searches[state]} quer{'y' if searches[state] == 1 else 'ies'}: {note}"
        for state, note in notes.items()
        if searches[state]
    ]


def _counts(study: StudyInfo, verdict: str | None) -> bool:
    return verdict in DIRECTIONAL and not study.retracted and study.evidence_level is not None


def _certainty(
    studies: tuple[StudyInfo, ...], counted: list[StudyInfo], consensus: dict[str, str | None]
) -> tuple[str, list[str]]:
    reasons = _exclusions(studies, consensus)
    disputed = sum(1 for s in studies if consensus[s.pmid] == "disputed")
    resolved = sum(1 for s in studies if s.resolution is not None)
    if resolved:
        reasons.append(f"{resolved} stud{_ies(resolved)} decided by an editor's resolution")
    if not counted:
        if disputed:
            reasons.append(f"reviewers disagree on {disputed} stud{_ies(disputed)}")
        return "very low", [*reasons, "no reviewer verdicts on usable studies yet"]
    start, why = _start(counted)
    reasons.append(why)
    step = LABELS.index(start)
    if all((s.evidence_level or 0) >= PRECLINICAL_LEVEL for s in counted):
        reasons.append("downgraded: only animal or in vitro studies")
        step = 0
    if _inconsistent(counted, consensus):
        reasons.append(f"downgraded: {_inconsistency(counted, consensus)}")
        step = max(0, step - 1)
    if disputed:
        reasons.append(f"downgraded: reviewers disagree on {disputed} stud{_ies(disputed)}")
        step = max(0, step - 1)
    return LABELS[step], reasons


def _start(counted: list[StudyInfo]) -> tuple[str, str]:
    levels = Counter(s.evidence_level for s in counted)
    if levels[1]:
        return "high", f"starts high: {levels[1]} meta-analysis/systematic review"
    if levels[2] >= 2:
        return "high", f"starts high: {levels[2]} randomized controlled trials"
    if levels[2] or levels[3]:
        return "moderate", "starts moderate: one randomized or controlled trial"
    if levels[4]:
        return "low", "starts low: observational or uncontrolled studies only"
    return "very low", "starts very low: case reports, reviews, opinion or preclinical only"


def _inconsistent(counted: list[StudyInfo], consensus: dict[str, str | None]) -> bool:
    verdicts = {consensus[s.pmid] for s in counted}
    return "contradicts" in verdicts and ("supports" in verdicts or "mixed" in verdicts)


def _inconsistency(counted: list[StudyInfo], consensus: dict[str, str | None]) -> str:
    against = [s for s in counted if consensus[s.pmid] == "contradicts"]
    strongest = min(against, key=lambda s: s.evidence_level or 99)
    design = {1: "meta-analysis/systematic review", 2: "RCT"}.get(
        strongest.evidence_level or 0, "study"
    )
    return f"contradicting {design} (PMID {strongest.pmid})"


def _retracted_by(study: StudyInfo) -> tuple[str, ...]:
    return study.retraction_sources or ("PubMed",)


def _exclusions(studies: tuple[StudyInfo, ...], consensus: dict[str, str | None]) -> list[str]:
    excluded = [s for s in studies if s.retracted and consensus[s.pmid] in DIRECTIONAL]
    concern = [
        s for s in studies if "expression-of-concern" in s.flags and _counts(s, consensus[s.pmid])
    ]
    reasons = []
    if excluded:
        who = "; ".join(f"PMID {s.pmid}: {_who(s, 'retracted')}" for s in excluded)
        reasons.append(f"{len(excluded)} retracted stud{_ies(len(excluded))} excluded ({who})")
    if concern:
        who = "; ".join(f"PMID {s.pmid}: {_who(s, 'expression-of-concern')}" for s in concern)
        reasons.append(
            f"{len(concern)} counted stud{_ies(len(concern))} under an expression of concern"
            f" ({who})"
        )
    return reasons


def _who(study: StudyInfo, flag: str) -> str:
    """``Retraction Watch, 2024-03-01`` / ``PubMed``: who flagged the study."""
    found = [s.where for s in study.status_sources if s.flag == flag]
    return " and ".join(found) or "PubMed"


def _direction(directions: set[str | None]) -> str | None:
    found = {d for d in directions if d}
    if not found:
        return None
    return found.pop() if len(found) == 1 else "mixed"


def _level_key(study: StudyInfo) -> str:
    if study.evidence_level is None:
        return "notice" if study.design else "not graded"
    return f"{study.evidence_level}"


def _ies(n: int) -> str:
    return "y" if n == 1 else "ies"
