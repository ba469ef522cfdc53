"""The project's vocabularies, defined once: the CLI, services and reports derive from them."""

from __future__ import annotations

from typing import Final

# A reviewer's verdict on a claim-study pair.
VERDICTS: Final = ("supports", "contradicts", "mixed", "inconclusive", "not-relevant")
# Verdicts that say which way a study points (they count towards certainty).
DIRECTIONAL_VERDICTS: Final = frozenset({"supports", "contradicts", "mixed"})
# A pair's reviewer consensus can also be one of these.
DISPUTED: Final = "disputed"
NOT_REVIEWED: Final = "not-reviewed"
VERDICT_FILTERS: Final = (*VERDICTS, DISPUTED, NOT_REVIEWED)

# PubMed's date types for mindate/maxdate, as claims files accept them.
DATETYPES: Final = ("pdat", "edat", "mdat", "crdt")

# The status of a refresh run and of each search run in it.
RUN_OK: Final = "ok"
RUN_INCOMPLETE: Final = "incomplete"
RUN_FAILED: Final = "failed"
RUN_RUNNING: Final = "running"
