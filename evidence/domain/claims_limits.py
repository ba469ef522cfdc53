"""Limits on claims files, sized far above real use, checked before TOML is even parsed.

A claims file is written by people, but it may also arrive from anywhere: a huge or
pathological file must be refused in milliseconds with ``FILE:LINE: message``, never take
the parser (or the refresh) down. ``tomllib`` recurses on nesting and is slow on very deep
dotted keys, so both are measured first by one linear pass over the text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimsLimits:
    """The documented limits (README "Claims files")."""

    max_bytes: int = 1_000_000  # the bundled file is ~6 KB
    max_depth: int = 8  # nested [ ] / { } and dotted key parts; claims files need 3
    max_claims: int = 500
    max_queries: int = 50  # per claim
    max_filters: int = 20  # per query
    max_statement: int = 2_000  # characters
    max_term: int = 4_000  # characters, filters included: PubMed refuses far shorter URLs
    max_text: int = 2_000  # any other string: title, labels, section, source, url


LIMITS = ClaimsLimits()


def structure_problem(text: str, limits: ClaimsLimits = LIMITS) -> tuple[int, str] | None:
    """(line, message) of the first nesting or dotted-key depth over the limit, else None.

    One pass, outside strings and comments: ``[``/``{`` open a level, ``]``/``}`` close one;
    dots outside numbers separate key parts.
    """
    scanner = _Scanner(text, limits.max_depth)
    return scanner.run()


class _Scanner:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.max_depth = max_depth
        self.line = 1
        self.depth = 0
        self.dots = 0

    def run(self) -> tuple[int, str] | None:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            char = text[i]
            if char in "\"'":
                i = self._skip_string(i)
                continue
            if char == "#":
                i = self._skip_comment(i)
                continue
            problem = self._visit(char, text[i - 1 : i], text[i + 1 : i + 2])
            if problem:
                return self.line, problem
            i += 1
        return None

    def _visit(self, char: str, before: str, after: str) -> str | None:
        if char == "\n":
            self.line += 1
            self.dots = 0
        elif char in "[{":
            self.depth += 1
            if self.depth > self.max_depth:
                return f"nested more than {self.max_depth} levels deep"
        elif char in "]}":
            self.depth = max(0, self.depth - 1)
        elif char == "." and not (before.isdigit() and after.isdigit()):
            self.dots += 1
            if self.dots >= self.max_depth:
                return f"a dotted key with more than {self.max_depth} parts"
        return None

    def _skip_comment(self, i: int) -> int:
        end = self.text.find("\n", i)
        return len(self.text) if end < 0 else end

    def _skip_string(self, i: int) -> int:
        text, quote = self.text, self.text[i]
        if text.startswith(quote * 3, i):
            end = text.find(quote * 3, i + 3)
            while quote == '"' and end > 0 and _escaped(text, end):
                end = text.find(quote * 3, end + 1)
            stop = len(text) if end < 0 else end + 3
            self.line += text.count("\n", i, stop)
            return stop
        j = i + 1
        while j < len(text) and text[j] not in (quote, "\n"):
            j += 2 if quote == '"' and text[j] == "\\" else 1
        return j + 1 if j < len(text) and text[j] == quote else j


def _escaped(text: str, at: int) -> bool:
    """True when the character at ``at`` follows an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1
