"""Which article (claim set) a command is about: light, for the CLI's option parsing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleChoice:
    """Which article (claim set) a command is about: the one asked for (``--article``), else
    the one of the claims file in use when it is stored, else the only one stored."""

    slug: str | None = None
    preferred: str | None = None  # the claims file's article


ArticleArg = ArticleChoice | str | None  # a plain slug (or None) is a choice too


def article_choice(arg: ArticleArg) -> ArticleChoice:
    """``arg`` as an :class:`ArticleChoice`."""
    return arg if isinstance(arg, ArticleChoice) else ArticleChoice(arg)
