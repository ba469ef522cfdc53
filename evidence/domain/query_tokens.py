"""The words of PubMed's query language: field tags, and the tokens of a query term.

Field tags: every accepted spelling, and the canonical short tag it means.

Sources: PubMed's help ("Search Field Descriptions and Tags") for the short tags and their
names, and the ``einfo`` field lists of the pubmed database (2008 to 2025) for the internal
names (``MESH``, ``PDAT``...) and the full names used in query translations
(``Date - Publication``, ``Author - First``...). Spellings are matched case-insensitively and
with whitespace ignored, so ``[MeSH Terms]``, ``[mesh terms]`` and ``[ MeSHTerms ]`` are one tag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

# canonical short tag -> every other spelling of it (lower case)
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "1au": ("faut", "first author", "first author name", "author - first"),
    "ab": ("abstract",),
    "ad": ("affl", "affiliation"),
    "aid": ("article identifier",),
    "all": ("all fields",),
    "au": ("auth", "author"),
    "aucl": ("author cluster id",),
    "auid": ("author identifier", "author - identifier"),
    "book": (),
    "cn": ("coln", "corporate author", "author - corporate"),
    "cois": ("conflict of interest statement", "conflict of interest statements"),
    "crdt": ("create date", "date - create"),
    "dcom": ("cdat", "completion date", "date - completion"),
    "dp": ("pdat", "publication date", "date - publication"),
    "ed": ("editor",),
    "edat": ("entry date", "entrez date", "date - entry", "date - entrez"),
    "eid": ("extended pmid",),
    "epdat": ("epdt", "electronic publication date"),
    "fau": ("full", "full author name", "author - full"),
    "fir": ("finv", "full investigator name", "investigator - full"),
    "gr": ("grnt", "grant number", "grants and funding"),
    "ip": ("iss", "issue"),
    "ir": ("invr", "investigator"),
    "is": ("issn",),
    "isbn": (),
    "jid": ("nlm unique id",),
    "la": ("lang", "language"),
    "lastau": ("laut", "last author", "last author name", "author - last"),
    "lid": ("location id",),
    "majr": ("mesh major topic",),
    "mdat": ("lr", "modification date", "date - modification"),
    "mh": ("mesh", "mesh terms"),
    "mhda": ("mesh date", "date - mesh"),
    "nm": ("subs", "supplementary concept", "substance name"),
    "ot": ("otrm", "other term"),
    "pa": ("papx", "pharmacological action"),
    "pg": ("page", "pagination"),
    "pid": ("publisher id",),
    "pl": ("cnty", "place of publication"),
    "ppdat": ("ppdt", "print publication date"),
    "ps": ("personal name as subject", "subject - personal name"),
    "pt": ("ptyp", "publication type"),
    "pubn": ("publisher",),
    "rn": ("ecno", "ec/rn number"),
    "sb": ("filt", "filter", "subset"),
    "sh": ("subh", "subheading", "mesh subheading", "mesh subheadings"),
    "si": ("secondary source id",),
    "ta": ("jour", "journal", "journal title"),
    "ti": ("titl", "title"),
    "tiab": ("title/abstract",),
    "tt": ("transliterated title",),
    "tw": ("word", "text word", "text words"),
    "uid": ("pmid",),
    "vi": ("vol", "volume"),
}

NOEXP_FIELDS = frozenset({"mh", "majr", "sh"})
"""Fields that take ``:noexp`` (do not explode the MeSH tree): ``[mh:noexp]``."""

DATE_FIELDS = frozenset({"crdt", "dcom", "dp", "edat", "epdat", "mdat", "mhda", "ppdat"})
RANGE_FIELDS = DATE_FIELDS | {"uid"}
"""Fields that take a range ``low:high[tag]``."""

PROXIMITY_FIELDS = frozenset({"ad", "ti", "tiab"})
"""Fields that take proximity ``"a b"[tiab:~N]``."""


def _all_spellings() -> dict[str, str]:
    tags: dict[str, str] = {}
    for canonical, others in _SPELLINGS.items():
        for spelling in (canonical, *others):
            tags[spelling] = canonical
            if canonical in NOEXP_FIELDS:
                tags[f"{spelling}:noexp"] = f"{canonical}:noexp"
    return tags


FIELD_TAGS: Mapping[str, str] = MappingProxyType(_all_spellings())
"""Every accepted tag spelling (lower case) -> its canonical short tag."""

_BY_KEY = {"".join(spelling.split()): tag for spelling, tag in FIELD_TAGS.items()}
_PROXIMITY = re.compile(r"[0-9]{1,4}")
_HISTORY = re.compile(r"#[0-9]+")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_WORD = re.compile(r'[^\s()\[\]"]+')  # one character class: no backtracking
_TAG_BODY = re.compile(r'[^()\[\]"]*')


def shown(text: str, limit: int = 40) -> str:
    """``text`` on one line and at most ``limit`` characters, for a message."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def parse_tag(content: str) -> tuple[str, int | None] | str:
    """The canonical field and proximity of a tag's ``content``, or what is wrong with it."""
    key = "".join(content.split()).lower()
    proximity = None
    if ":~" in key:
        key, _, distance = key.partition(":~")
        if not _PROXIMITY.fullmatch(distance):
            return f"bad proximity in [{shown(content)}]: write [{shown(key)}:~N]"
        proximity = int(distance)
    field = _BY_KEY.get(key)
    if field is None:
        return f"unknown field tag [{shown(content)}]"
    if proximity is not None and field not in PROXIMITY_FIELDS:
        return f"proximity [{shown(content)}] works only with [ti], [tiab] or [ad]"
    return field, proximity


@dataclass(frozen=True)
class Problem:
    """Something wrong at ``column`` (1-based) of the query term."""

    column: int
    message: str


class Token(NamedTuple):
    """A token: WORD, PHRASE (no quotes), TAG (no brackets), LP, RP, OP, COLON, or BAD (a
    reported construct, dropped: it stands for the operand it should have been)."""

    kind: str
    text: str
    col: int
    low_tag: Token | None = None  # ``low[tag] : high[tag]``: the low bound's tag
    high_col: int = 0  # a range word: where its high bound starts


# --- tokens ---------------------------------------------------------------------------------


def lex(text: str, problems: list[Problem]) -> list[Token]:
    """The tokens of ``text``; unterminated quotes and tags are reported and dropped."""
    tokens: list[Token] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(Token("LP" if char == "(" else "RP", char, i + 1))
            i += 1
        elif char == "]":
            problems.append(Problem(i + 1, "stray ']' with no '[' before it"))
            i += 1
        elif char == '"':
            i = _lex_phrase(text, i, tokens, problems)
        elif char == "[":
            i = _lex_tag(text, i, tokens, problems)
        else:
            i = _lex_word(text, i, tokens, problems)
    return _merge_ranges(tokens, problems)


def _lex_phrase(text: str, start: int, tokens: list[Token], problems: list[Problem]) -> int:
    close = text.find('"', start + 1)
    if close < 0:
        problems.append(Problem(start + 1, "unterminated quote: this '\"' is never closed"))
        tokens.append(Token("BAD", '"', start + 1))
        return len(text)
    body = text[start + 1 : close]
    if not body.strip():
        problems.append(Problem(start + 1, 'empty phrase ""'))
        tokens.append(Token("BAD", '"', start + 1))
    else:
        _check_stars(body, start + 2, problems)
        tokens.append(Token("PHRASE", body, start + 1))
    return close + 1


def _lex_tag(text: str, start: int, tokens: list[Token], problems: list[Problem]) -> int:
    match = _TAG_BODY.match(text, start + 1)
    i = match.end() if match else start + 1
    if i == len(text) or text[i] != "]":
        problems.append(Problem(start + 1, "unclosed '[': the tag has no ']'"))
        tokens.append(Token("BAD", "[", start + 1))
        return start + 1  # what follows is read as words
    body = text[start + 1 : i]
    if not body.strip():
        problems.append(Problem(start + 1, "empty field tag []"))
        tokens.append(Token("BAD", "[", start + 1))
    else:
        tokens.append(Token("TAG", body, start + 1))
    return i + 1


def _lex_word(text: str, start: int, tokens: list[Token], problems: list[Problem]) -> int:
    match = _WORD.match(text, start)
    i = max(match.end() if match else 0, start + 1)  # always move on
    word, col = text[start:i], start + 1
    if word in _OPERATORS:
        tokens.append(Token("OP", word, col))
        return i
    if word[0] == "#" and _HISTORY.fullmatch(word):
        problems.append(Problem(col, f"search history reference {word} cannot be used here"))
    _check_stars(word, col, problems)
    if word.startswith(":"):
        tokens.append(Token("COLON", ":", col))
        word, col = word[1:], col + 1
    trailing = word.endswith(":")
    if trailing:
        word = word[:-1]
    if word:
        tokens.append(Token("WORD", word, col))
    if trailing:
        tokens.append(Token("COLON", ":", col + len(word)))
    return i


def _check_stars(text: str, col: int, problems: list[Problem]) -> None:
    """Truncation: a ``*`` must end a word that has something before the ``*``."""
    i = text.find("*")
    while i >= 0:
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if before.isspace():
            problems.append(Problem(col + i, "'*' with no word before it"))
        elif before != "*" and not after.isspace():
            problems.append(Problem(col + i, "'*' must end a word (truncation)"))
        i = text.find("*", i + 1)


def _bound(token: Token) -> bool:
    """A range bound: a date (``2020/01/31``) or a PMID, digits and slashes only."""
    return bool(token.text) and all(c.isdigit() or c == "/" for c in token.text)


def _merge_ranges(tokens: list[Token], problems: list[Problem]) -> list[Token]:
    """``low : high`` and ``low[tag] : high[tag]`` become one range word ``low:high``."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "COLON":
            out.append(tok)
            i += 1
            continue
        low_tag = out[-1] if len(out) > 1 and out[-1].kind == "TAG" else None
        low = out[-2] if low_tag else out[-1] if out else None
        high = tokens[i + 1] if i + 1 < len(tokens) else None
        tag_after = i + 2 < len(tokens) and tokens[i + 2].kind == "TAG"
        if not (
            low is not None
            and high is not None
            and low.kind == high.kind == "WORD"
            and _bound(low)
            and _bound(high)
            and (tag_after or not low_tag)
        ):
            problems.append(Problem(tok.col, "stray ':' (a range is written low:high[tag])"))
            out.append(Token("BAD", ":", tok.col))
            i += 1
            continue
        del out[-2 if low_tag else -1 :]
        text = f"{low.text}:{high.text}"
        out.append(Token("WORD", text, low.col, low_tag=low_tag, high_col=high.col))
        i += 2
    return out
