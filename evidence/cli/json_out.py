"""Indented JSON written in pieces, so a large summary is never one string in memory.

:func:`iter_json` yields exactly what ``json.dumps(value, indent=2, ensure_ascii=False,
default=str)`` returns, chunk by chunk; a compact :class:`PmidArray` is written as the list
of strings it stands for, one PMID at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click

from evidence.domain.pmids import PmidArray

INDENT = "  "
BUFFER_CHARS = 64_000  # written to stdout this many characters at a time


def iter_json(value: Any, level: int = 0) -> Iterator[str]:
    """``value`` as indented JSON, in pieces (their concatenation is ``json.dumps``'s)."""
    if isinstance(value, dict):
        yield from _container(value.items(), "{", "}", level)
    elif isinstance(value, list | tuple | PmidArray):
        yield from _container(value, "[", "]", level)
    else:
        yield json.dumps(value, ensure_ascii=False, default=str)


def _container(items: Any, opening: str, closing: str, level: int) -> Iterator[str]:
    inner = "\n" + INDENT * (level + 1)
    empty = True
    for item in items:
        yield (opening if empty else ",") + inner
        empty = False
        if opening == "{":
            key, item = item
            yield _key(key) + ": "
        yield from iter_json(item, level + 1)
    yield opening + closing if empty else "\n" + INDENT * level + closing


def _key(key: object) -> str:
    """A dict key as ``json`` writes it: a string as it is, a number, boolean or None as
    its JSON text (any other key is an error, as in ``json``)."""
    if isinstance(key, str):
        text = key
    elif key is None or isinstance(key, int | float):
        text = json.dumps(key)
    else:
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
    return json.dumps(text, ensure_ascii=False)


def echo_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout, a buffer at a time, then a newline."""
    buffer: list[str] = []
    size = 0
    for piece in iter_json(data):
        buffer.append(piece)
        size += len(piece)
        if size >= BUFFER_CHARS:
            click.echo("".join(buffer), nl=False)
            buffer.clear()
            size = 0
    click.echo("".join(buffer))
