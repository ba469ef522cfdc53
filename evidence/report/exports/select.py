"""Which claims and studies an export holds: ``--claim``, ``--level``, ``--verdict``.

Pure functions on :class:`ReportData`; no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace

from evidence.domain.errors import UnknownClaimError
from evidence.domain.views import ClaimReport, ReportData, StudyInfo, consensus_verdict
from evidence.domain.vocab import DISPUTED, NOT_REVIEWED, VERDICT_FILTERS
from evidence.report.studies import ClaimLinks, StudyReader

__all__ = ["DISPUTED", "NOT_REVIEWED", "VERDICT_FILTERS"]


def consensus(study: StudyInfo) -> str:
    """The reviewers' common verdict, ``disputed`` when they differ, else ``not-reviewed``."""
    return consensus_verdict(study) or NOT_REVIEWED


def filter_report(
    data: ReportData,
    *,
    claims: Collection[str] = (),
    max_level: int | None = None,
    verdicts: Collection[str] = (),
) -> ReportData:
    """``data`` narrowed to some claims and to the studies that pass every filter.

    ``claims``: only these claim ids (all when empty; an unknown id is an error).
    ``max_level``: studies graded at this evidence level or stronger (1 is the strongest);
    ungraded studies and notices are left out. ``verdicts``: studies whose reviewer
    consensus is one of these (``disputed`` and ``not-reviewed`` included).
    """
    known = [claim.key for claim in data.claims]
    unknown = [key for key in claims if key not in known]
    if unknown:
        raise UnknownClaimError.of("claim", unknown[0], known)
    kept = [claim for claim in data.claims if not claims or claim.key in claims]
    return replace(
        data,
        claims=tuple(_filter_claim(claim, max_level, verdicts) for claim in kept),
    )


def _filter_claim(
    claim: ClaimReport, max_level: int | None, verdicts: Collection[str]
) -> ClaimReport:
    studies = tuple(s for s in claim.studies if _passes(s, max_level, verdicts))
    return replace(claim, studies=studies)


def _passes(study: StudyInfo, max_level: int | None, verdicts: Collection[str]) -> bool:
    if max_level is not None and (study.evidence_level is None or study.evidence_level > max_level):
        return False
    return not verdicts or consensus(study) in verdicts


@dataclass(frozen=True)
class Reference:
    """One study for a reference manager, with every exported claim it is linked to."""

    study: StudyInfo
    claim_ids: tuple[str, ...]


def references(data: ReportData, studies: StudyReader) -> Iterator[Reference]:
    """Each study once (by PMID), in report order, with the ids of all its claims.

    The claims of each PMID come from the reader when it knows them (:class:`ClaimLinks`),
    else from the report's index; the studies themselves are read claim by claim through
    ``studies`` and dropped once written (each where its first claim has it).
    """
    claims_of = studies.claims_of if isinstance(studies, ClaimLinks) else index_links(data)
    for claim in data.claims:
        for study in studies(claim):
            ids = claims_of(claim, study)
            if ids[0] == claim.key:
                yield Reference(study, ids)


def index_links(data: ReportData) -> Callable[[ClaimReport, StudyInfo], tuple[str, ...]]:
    """``claims_of`` from the claims' study index: the claims that list each PMID."""
    claims_of: dict[str, list[str]] = {}
    for claim in data.claims:
        for study in claim.studies:
            ids = claims_of.setdefault(study.pmid, [])
            if claim.key not in ids:
                ids.append(claim.key)
    return lambda claim, study: tuple(claims_of[study.pmid])


def note(reference: Reference) -> str:
    """``Claims: a, b; evidence level: 2 · Randomized controlled trial`` (+ retraction)."""
    parts = [
        f"Claims: {', '.join(reference.claim_ids)}",
        f"evidence level: {reference.study.level_label}",
    ]
    if reference.study.retracted:
        parts.append("RETRACTED")
    return "; ".join(parts)


def one_line(text: str | None) -> str:
    """``text`` on a single line: any run of whitespace becomes one space."""
    return " ".join((text or "").split())


def unique(values: Iterable[str]) -> list[str]:
    """``values`` without repeats, in order."""
    return list(dict.fromkeys(values))
