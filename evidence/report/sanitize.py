"""Untrusted PubMed text made safe for the HTML report.

Titles are plain text (the parser flattens markup), but a title may still carry PubMed's
inline markup written out literally. :func:`inline_markup` keeps exactly ``<i>``, ``<b>``,
``<sup>`` and ``<sub>`` without attributes and escapes everything else, so a hostile
``<script>`` is shown as text, never run, and its words stay visible. nh3 (ammonia) then
checks the result: only those four tags, no attributes, properly nested.
"""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset({"i", "b", "sup", "sub"})
_ALLOWED_TAG = re.compile(r"</?(?:i|b|sup|sub)>", re.IGNORECASE)
# In sanitised HTML: a tag or a character reference (left alone), or a word (maybe marked).
_TAG_REF_OR_WORD = re.compile(r"(<[^>]*>|&[#A-Za-z0-9]+;)|([A-Za-z0-9]+)")


def inline_markup(text: str | None) -> Markup:
    """``text`` as HTML: allowed inline tags kept, everything else escaped."""
    if not text:
        return Markup("")
    parts: list[str] = []
    position = 0
    for match in _ALLOWED_TAG.finditer(text):
        parts.append(str(escape(text[position : match.start()])))
        parts.append(match.group(0).lower())
        position = match.end()
    parts.append(str(escape(text[position:])))
    cleaned: str = nh3.clean(
        "".join(parts),
        tags=set(ALLOWED_TAGS),
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    return Markup(cleaned)


def mark_words(html: Markup, words: frozenset[str] | set[str]) -> Markup:
    """Sanitised ``html`` (from :func:`inline_markup`) with every word whose lower-case form
    is in ``words`` wrapped in ``<mark>``; tags and character references are never touched,
    so nothing but ``<mark>`` is added."""
    if not words:
        return html

    def mark(match: re.Match[str]) -> str:
        word = match.group(2)
        if word is None or word.lower() not in words:
            return match.group(0)
        return f"<mark>{word}</mark>"

    return Markup(_TAG_REF_OR_WORD.sub(mark, str(html)))
