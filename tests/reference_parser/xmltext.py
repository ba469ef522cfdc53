"""Small, pure helpers for reading text and dates out of PubMed XML elements.

Inline markup (``<i>``, ``<sup>``, MathML...) is flattened by concatenating the text
nodes exactly as they are, so ``H<sub>2</sub>O`` reads ``H2O``; runs of whitespace
(including no-break spaces) then collapse to one space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import cast

from lxml import etree

_YEAR = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def flat_text(element: etree._Element | None) -> str:
    """All text inside ``element`` (markup dropped, no spaces added), whitespace collapsed."""
    if element is None:
        return ""
    if len(element):  # inline markup inside
        return normalise_space("".join(cast(Iterator[str], element.itertext())))
    return normalise_space(element.text or "")


def child_text(parent: etree._Element, path: str) -> str | None:
    """Flattened text of the first element at ``path``; ``None`` if missing or blank."""
    return flat_text(parent.find(path)) or None


def children_text(parent: etree._Element, path: str) -> tuple[str, ...]:
    """Flattened, non-blank texts of every element at ``path``, in document order."""
    texts = (flat_text(element) for element in parent.iterfind(path))
    return tuple(text for text in texts if text)


def first_year(candidates: Iterable[str | None]) -> int | None:
    """The first 4-digit year found in the candidate texts, tried in order."""
    for text in candidates:
        match = _YEAR.search(text or "")
        if match:
            return int(match.group())
    return None


def printed_date(date: etree._Element | None) -> str | None:
    """A PubDate as PubMed prints it: ``2019 Mar 5``, ``2020 Spring`` or the MedlineDate."""
    if date is None:
        return None
    medline_date = child_text(date, "MedlineDate")
    if medline_date:
        return medline_date
    month = _month_name(child_text(date, "Month")) or child_text(date, "Season")
    day = child_text(date, "Day")
    if day and day.isdigit():
        day = str(int(day))
    return " ".join(part for part in (child_text(date, "Year"), month, day) if part) or None


def _month_name(month: str | None) -> str | None:
    """``03`` -> ``Mar``; names are kept as given."""
    if month and month.isdigit() and 1 <= int(month) <= 12:
        return _MONTHS[int(month) - 1]
    return month
