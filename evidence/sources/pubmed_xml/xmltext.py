"""Small, pure helpers for reading text and dates out of PubMed XML elements.

Inline markup (``<i>``, ``<sup>``, MathML...) is flattened by concatenating the text
nodes exactly as they are, so ``H<sub>2</sub>O`` reads ``H2O``; runs of whitespace
(including no-break spaces) then collapse to one space.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator
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
        return " ".join("".join(cast(Iterator[str], element.itertext())).split())
    text = element.text  # the common case, kept to two C calls: this runs ~60 times a record
    return " ".join(text.split()) if text else ""


children = cast(Callable[[etree._Element], list[etree._Element]], operator.itemgetter(slice(None)))
"""``element[:]``: its children (comments too) as a list, built in C; iterating ``element``
creates each child's proxy one Python step at a time, about twice as slow."""

Kids = dict[object, list[etree._Element]]
"""An element's children grouped by tag, in document order (comments key under their own tag)."""


def kids(elements: Iterable[etree._Element]) -> Kids:
    """The children of every element of ``elements``, grouped by tag, in one pass.

    ``kids([e])["A"]`` is ``e.findall("A")`` and ``kids(kids([e])["A"])["B"]`` is
    ``e.findall("A/B")`` (every B child of every A child, in document order): ElementPath's
    results without its per-call path parsing, which costs microseconds a lookup.
    """
    grouped: Kids = {}
    for element in elements:
        for child in children(element):
            tag = child.tag
            found = grouped.get(tag)
            if found is None:
                grouped[tag] = [child]
            else:
                found.append(child)
    return grouped


def first(grouped: Kids, tag: str) -> etree._Element | None:
    """The first ``tag`` child, or ``None``."""
    found = grouped.get(tag)
    return found[0] if found else None


def text(grouped: Kids, tag: str) -> str | None:
    """Flattened text of the first ``tag`` child; ``None`` if missing or blank."""
    found = grouped.get(tag)
    return (flat_text(found[0]) or None) if found else None


def texts(grouped: Kids, tag: str) -> tuple[str, ...]:
    """Flattened, non-blank texts of every ``tag`` child, in document order."""
    found = grouped.get(tag)
    if not found:
        return ()
    flattened = (flat_text(element) for element in found)
    return tuple(value for value in flattened if value)


def first_year(candidates: Iterable[str | None]) -> int | None:
    """The first 4-digit year found in the candidate texts, tried in order."""
    for text in candidates:
        match = _YEAR.search(text or "")
        if match:
            return int(match.group())
    return None


def printed_date(date: Kids | None) -> str | None:
    """A PubDate's children as PubMed prints it: ``2019 Mar 5``, ``2020 Spring``, MedlineDate."""
    if date is None:
        return None
    medline_date = text(date, "MedlineDate")
    if medline_date:
        return medline_date
    month = _month_name(text(date, "Month")) or text(date, "Season")
    day = text(date, "Day")
    if day and day.isdigit():
        day = str(int(day))
    return " ".join(part for part in (text(date, "Year"), month, day) if part) or None


def _month_name(month: str | None) -> str | None:
    """``03`` -> ``Mar``; names are kept as given."""
    if month and month.isdigit() and 1 <= int(month) <= 12:
        return _MONTHS[int(month) - 1]
    return month
