"""The report's "What changed since the previous refresh" cells, capped like the study tables.

A refresh can add tens of thousands of studies: each cell shows its first
:data:`CHANGES_SHOWN` items and says how many more there are and where they all are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidence.report.audit import SEARCH_RUNS_PATH

CHANGES_SHOWN = 100  # items per cell (PMIDs, or notes on flagged and revised records)
# Plain text (no Markdown): the same words go into the HTML and the Markdown report.
WHERE_ALL_ARE = (
    f"every search run's PMIDs are in {SEARCH_RUNS_PATH}; the command evidence diff lists them"
)


@dataclass(frozen=True)
class Capped:
    """The first items of a cell and how many more it holds."""

    shown: tuple[str, ...]
    more: int

    @property
    def more_note(self) -> str:
        """``and 29,900 more (where they all are)``, or "" when every item is shown."""
        return f"and {self.more:,} more ({WHERE_ALL_ARE})" if self.more else ""


def capped(items: Sequence[str], limit: int = CHANGES_SHOWN) -> Capped:
    """``items`` cut to their first ``limit``."""
    return Capped(tuple(items[:limit]), max(0, len(items) - limit))
