"""PubMed query syntax: a checker that finds every problem, a parser to an AST, a renderer.

PubMed's rules: upper-case AND, OR and NOT combine left to right, parentheses first, and
adjacent terms are ANDed. A term is a word, ``word*`` (truncation) or ``"a phrase"``, optionally
followed by a field tag: ``word[tiab]``, ``"a phrase"[mh]``, ``several words[ti]`` (a phrase),
``"a b"[tiab:~3]`` (proximity), ``low:high[dp]`` (a date or PMID range).

Everything is linear and iterative (no recursion, no backtracking regex), so any string, however
long or deeply nested, is checked quickly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from evidence.domain.errors import EvidenceError
from evidence.domain.query_tokens import (
    DATE_FIELDS,
    FIELD_TAGS,
    RANGE_FIELDS,
    Problem,
    Token,
    lex,
    parse_tag,
    shown,
)

__all__ = [
    "FIELD_TAGS",
    "And",
    "Node",
    "Not",
    "Or",
    "Problem",
    "QuerySyntaxError",
    "Range",
    "Term",
    "check_query",
    "parse_query",
    "render",
]

MAX_PROBLEMS = 50
"""At most this many problems are listed; the last one then says how many more there are."""


class QuerySyntaxError(EvidenceError):
    """A query term PubMed would misread; ``problems`` lists them all, ``str()`` the first."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else Problem(1, "invalid query")
        super().__init__(f"col {first.column}: {first.message}")


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase, in one field (canonical short tag) or untagged (``None``)."""

    text: str
    field: str | None
    phrase: bool
    truncated: bool
    column: int = dataclasses.field(default=0, compare=False)
    proximity: int | None = None


@dataclass(frozen=True, slots=True)
class Range:
    """``low:high[field]``: dates (YYYY, YYYY/MM or YYYY/MM/DD) or PMIDs."""

    low: str
    high: str
    field: str
    column: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``left NOT right``: PubMed's NOT is binary."""

    left: Node
    right: Node


Node: TypeAlias = Term | Range | And | Or | Not

_DATE = re.compile(r"([0-9]{4})(?:/([0-9]{1,2})(?:/([0-9]{1,2}))?)?")
_PMID = re.compile(r"[0-9]{1,12}")


def check_query(term: str) -> list[Problem]:
    """Every problem of a PubMed query term, in column order; ``[]`` when it is fine."""
    problems: list[Problem] = []
    _parse(term, problems)
    return _listed(problems)


def parse_query(term: str) -> Node:
    """The AST of a PubMed query term; raises :class:`QuerySyntaxError` listing every problem."""
    problems: list[Problem] = []
    node = _parse(term, problems)
    if problems or node is None:
        raise QuerySyntaxError(_listed(problems) or [Problem(1, "empty query")])
    return node


def _listed(problems: list[Problem]) -> list[Problem]:
    ordered = sorted(problems, key=lambda problem: problem.column)
    if len(ordered) <= MAX_PROBLEMS:
        return ordered
    rest = len(ordered) - MAX_PROBLEMS + 1
    cut = ordered[MAX_PROBLEMS - 1]
    return [*ordered[: MAX_PROBLEMS - 1], Problem(cut.column, f"{rest} more problems from here")]


def _parse(term: str, problems: list[Problem]) -> Node | None:
    if not term.strip():
        problems.append(Problem(1, "empty query"))
        return None
    node = _Parser(problems).run(lex(term, problems))
    if node is None and not problems:
        problems.append(Problem(1, "empty query"))
    return node


# --- parser --------------------------------------------------------------------------------


class _Frame:
    """One parenthesis level: its operands so far, combined left to right."""

    __slots__ = ("col", "items", "op", "pending", "seen")

    def __init__(self, col: int) -> None:
        self.col = col  # of its '(' (0 for the whole query)
        self.items: list[Node] = []  # operands of ``op``, a chain built at this level
        self.op: str | None = None
        self.pending: Token | None = None  # an operator waiting for its right operand
        self.seen = False  # any token at this level, good or bad

    def add(self, node: Node) -> None:
        op = self.pending.text if self.pending else "AND"
        self.pending = None
        if self.items and op == self.op and op != "NOT":
            self.items.append(node)
        elif self.items:
            self.items = [_combined(self.op, self.items), node]
            self.op = op
        else:
            self.items = [node]

    def result(self) -> Node | None:
        return _combined(self.op, self.items) if self.items else None


def _combined(op: str | None, items: list[Node]) -> Node:
    """The node of one chain ``items[0] op items[1] op ...`` (``items`` is not empty)."""
    if len(items) == 1:
        return items[0]
    if op == "NOT":
        return Not(items[0], items[1])
    return (Or if op == "OR" else And)(tuple(items))


class _Parser:
    """Tokens to an AST with an explicit stack (no recursion); reports what does not fit."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.stack = [_Frame(0)]
        self.words: list[Token] = []  # untagged words waiting for a tag or a boundary
        self.phrase: Token | None = None  # a phrase waiting for a tag or a boundary
        self.after_group = False  # the token before was ')'

    def run(self, tokens: list[Token]) -> Node | None:
        for tok in tokens:
            if tok.kind in ("WORD", "PHRASE", "TAG"):
                self.stack[-1].seen = True
                self._atom(tok)
                self.after_group = False
                continue
            self._flush()
            if tok.kind == "BAD":
                self._add(None)
            elif tok.kind == "OP":
                self._operator(tok)
            elif tok.kind == "LP":
                self.stack[-1].seen = True
                self.stack.append(_Frame(tok.col))
            else:
                self._close(tok)
            self.after_group = tok.kind == "RP"
        self._flush()
        return self._finish()

    def _problem(self, col: int, message: str) -> None:
        self.problems.append(Problem(col, message))

    def _operator(self, tok: Token) -> None:
        frame = self.stack[-1]
        if frame.pending:
            self._problem(tok.col, f"operator {tok.text} right after {frame.pending.text}")
        elif frame.items:
            frame.pending = tok
        elif not frame.seen:
            where = "at the start" if len(self.stack) == 1 else "right after '('"
            self._problem(tok.col, f"dangling operator {tok.text} {where}")
        frame.seen = True

    def _close(self, tok: Token) -> None:
        if len(self.stack) == 1:
            self._problem(tok.col, "unbalanced parenthesis: this ')' has no '('")
            return
        frame = self.stack.pop()
        if frame.pending:
            self._problem(frame.pending.col, f"dangling operator {frame.pending.text} before ')'")
        node = frame.result()
        if node is not None:
            self.stack[-1].add(node)
        else:  # reported, or reported below: an operator before it is not dangling as well
            self.stack[-1].pending = None
            if not frame.seen:
                self._problem(frame.col, "empty parentheses")
        self.stack[-1].seen = True

    def _finish(self) -> Node | None:
        pending = self.stack[-1].pending
        if pending:
            self._problem(pending.col, f"dangling operator {pending.text} at the end")
        while len(self.stack) > 1:
            frame = self.stack.pop()
            self._problem(frame.col, "unbalanced parenthesis: this '(' is never closed")
            node = frame.result()
            if node is not None:
                self.stack[-1].add(node)
        return self.stack[0].result()

    def _atom(self, tok: Token) -> None:
        if tok.kind == "WORD":
            if self.phrase:
                self._flush()
            self.words.append(tok)
        elif tok.kind == "PHRASE":
            self._flush()
            self.phrase = tok
        elif self.phrase or self.words:
            self._tagged(tok)
        else:
            where = (
                "after ')': tag each term, not a group"
                if self.after_group
                else "has nothing before it"
            )
            self._problem(tok.col, f"field tag [{shown(tok.text)}] {where}")
            self._add(None)

    def _flush(self) -> None:
        """Untagged words and phrase: each its own term."""
        for word in self.words:
            self._add(_term(word.text, None, False, word.col))
        if self.phrase:
            self._add(_term(self.phrase.text, None, True, self.phrase.col))
        self.words, self.phrase = [], None

    def _add(self, node: Node | None) -> None:
        """Add an operand; ``None`` stands for one that was reported and dropped."""
        frame = self.stack[-1]
        frame.seen = True
        if node is not None:
            frame.add(node)
        else:  # an operator before it is not dangling as well
            frame.pending = None

    def _tagged(self, tag: Token) -> None:
        parsed = parse_tag(tag.text)
        if isinstance(parsed, str):
            self._problem(tag.col, parsed)
            self._flush()
            return
        name, proximity = parsed
        words, phrase = self.words, self.phrase
        self.words, self.phrase = [], None
        if phrase:
            self._add(_term(phrase.text, name, True, phrase.col, proximity))
            return
        if proximity is not None:
            self._problem(tag.col, f"proximity [{shown(tag.text)}] needs a quoted phrase")
        last = words[-1]
        if (name in RANGE_FIELDS and ":" in last.text) or last.low_tag:
            self.words = words[:-1]
            self._flush()
            self._add(self._range(last, name, tag))
        elif len(words) == 1:
            self._add(_term(last.text, name, False, last.col))
        else:
            self._add(_term(" ".join(word.text for word in words), name, True, words[0].col))

    def _range(self, word: Token, name: str, tag: Token) -> Range | None:
        low, _, high = word.text.partition(":")
        high_col = word.high_col or word.col + len(low) + 1
        if name not in RANGE_FIELDS:
            self._problem(tag.col, f"a range needs a date tag or [uid], not [{shown(tag.text)}]")
            return None
        if word.low_tag and parse_tag(word.low_tag.text) != (name, None):
            low_tag = shown(word.low_tag.text)
            self._problem(
                word.low_tag.col, f"range tags differ: [{low_tag}] and [{shown(tag.text)}]"
            )
        for col, bound in ((word.col, low), (high_col, high)):
            problem = _bound_problem(bound, name)
            if problem:
                self._problem(col, problem)
        return Range(low, high, name, word.col)


def _term(
    text: str, name: str | None, phrase: bool, col: int, proximity: int | None = None
) -> Term | None:
    truncated = text.endswith("*")
    text = text[:-1] if truncated else text
    if not text.strip():
        return None
    return Term(text, name, phrase, truncated, col, proximity)


def _bound_problem(bound: str, name: str) -> str | None:
    """What is wrong with one bound of a range, or None."""
    if name not in DATE_FIELDS:
        return None if _PMID.fullmatch(bound) else f"range bound '{shown(bound)}' is not a PMID"
    date = _DATE.fullmatch(bound)
    parts = zip(date.groups()[1:], (12, 31), strict=True) if date else ()
    if date and all(1 <= int(part) <= most for part, most in parts if part):
        return None
    return f"range bound '{shown(bound)}' is not a date (YYYY, YYYY/MM or YYYY/MM/DD)"


# --- renderer ------------------------------------------------------------------------------


def render(node: Node) -> str:
    """The query text of an AST, which :func:`parse_query` reads back to an equal AST."""
    out: list[str] = []
    todo: list[Node | str] = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Term | Range):
            out.append(_render_leaf(item))
        else:
            todo.extend(reversed(_render_parts(item)))
    return "".join(out)


def _render_parts(node: And | Or | Not) -> list[Node | str]:
    op, items = (
        ("NOT", (node.left, node.right))
        if isinstance(node, Not)
        else (
            "AND" if isinstance(node, And) else "OR",
            node.items,
        )
    )
    parts: list[Node | str] = []
    for index, item in enumerate(items):
        if index:
            parts.append(f" {op} ")
        parts.extend(["(", item, ")"] if isinstance(item, And | Or | Not) else [item])
    return parts


def _render_leaf(leaf: Term | Range) -> str:
    if isinstance(leaf, Range):
        return f"{leaf.low}:{leaf.high}[{leaf.field}]"
    text = leaf.text + ("*" if leaf.truncated else "")
    text = f'"{text}"' if leaf.phrase else text
    if leaf.field is None:
        return text
    proximity = "" if leaf.proximity is None else f":~{leaf.proximity}"
    return f"{text}[{leaf.field}{proximity}]"
