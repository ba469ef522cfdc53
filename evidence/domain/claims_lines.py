"""Map positions in a claims file (``("claims", 2, "queries", 0, "term")``) to line numbers.

``tomllib`` gives values but not where they stand; this scans the text for table headers
and keys, which is enough for the array-of-tables shape of claims files.
"""

from __future__ import annotations

import re

HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")

Path = tuple[str | int, ...]


class LineIndex:
    """Line numbers (1-based) of the tables and keys of a TOML text."""

    def __init__(self, text: str) -> None:
        self.text_lines = text.splitlines()
        self._lines: dict[Path, int] = {}
        self._counters: dict[Path, int] = {}
        self._scan(text)

    def line_of(self, where: Path) -> int:
        """The line of ``where``, else of its nearest enclosing table, else 1."""
        for end in range(len(where), 0, -1):
            line = self._lines.get(where[:end])
            if line is not None:
                return line
        return 1

    def column_of(self, line: int, value: str, column: int) -> int | None:
        """The file column of ``value[column - 1]`` when ``value`` stands whole on ``line``."""
        if not 1 <= line <= len(self.text_lines) or not value:
            return None
        start = self.text_lines[line - 1].find(value)
        return start + column if start >= 0 else None

    def _scan(self, text: str) -> None:
        current: Path = ()
        in_multiline: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = HEADER.match(line)
            if header and not KEY.match(line):
                current = self._enter(header.group(2), header.group(1) == "[[")
                self._lines.setdefault(current, number)
                continue
            key = KEY.match(line)
            if key:
                self._lines.setdefault((*current, key.group(1).strip('"')), number)
                in_multiline = _opens_multiline(line)

    def _enter(self, dotted: str, is_array: bool) -> Path:
        parts = [p.strip().strip('"') for p in dotted.split(".")]
        path: Path = ()
        for i, name in enumerate(parts):
            path = (*path, name)
            last = i == len(parts) - 1
            if last and is_array:
                index = self._counters.get(path, -1) + 1
                self._counters[path] = index
                self._reset_below(path)
                path = (*path, index)
            elif path in self._counters:
                path = (*path, self._counters[path])
        return path

    def _reset_below(self, array: Path) -> None:
        for key in [k for k in self._counters if len(k) > len(array) and k[: len(array)] == array]:
            del self._counters[key]


def _opens_multiline(line: str) -> str | None:
    for quote in ('"""', "'''"):
        if line.count(quote) % 2 == 1:
            return quote
    return None
