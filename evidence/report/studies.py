"""Where the outputs get each claim's full studies: from the report itself, or read in
batches (``services.views.StudyPages``) so that no output holds every study at once.

A report built for streaming carries each study's index fields only (level, verdicts, flags:
what summaries, filters, charts and order need); a :data:`StudyReader` gives a claim's full
studies (authors, abstracts) in the claim's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Protocol, runtime_checkable

from evidence.domain.views import ClaimReport, ReportData, StudyInfo

StudyReader = Callable[[ClaimReport], Iterable[StudyInfo]]


@runtime_checkable
class ClaimLinks(Protocol):
    """A reader that also says which exported claims keep each study it gave (a streamed
    export, whose report holds no study)."""

    def claims_of(self, claim: ClaimReport, study: StudyInfo) -> tuple[str, ...]:
        """The exported claims keeping ``study`` (just given for ``claim``), in order."""
        ...


STUDIES_SHOWN = 500  # per claim, in the HTML and Markdown reports


def in_memory(claim: ClaimReport) -> Iterable[StudyInfo]:
    """The claim's studies as the report holds them (a report read with every detail)."""
    return claim.studies


def shown_studies(
    data: ReportData, studies: StudyReader = in_memory, limit: int | None = STUDIES_SHOWN
) -> dict[str, tuple[StudyInfo, ...]]:
    """Claim id -> its strongest ``limit`` studies (all with None), in study order."""
    return {claim.key: tuple(islice(studies(claim), limit)) for claim in data.claims}


def shown_note(claim: ClaimReport, shown: Mapping[str, tuple[StudyInfo, ...]]) -> str | None:
    """``Showing the strongest 500 of 30,000 studies ...``, or None when all are shown."""
    total, count = len(claim.studies), len(shown.get(claim.key, ()))
    if count >= total:
        return None
    return (
        f"Showing the strongest {count:,} of {total:,} studies (by evidence level, then"
        f" relevance, then year); all {total:,} are in studies.csv beside this report."
    )
