"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.settings import DEFAULT_CLAIMS_FILE

F = TypeVar("F", bound=Callable[..., Any])


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A choice whose values come from ``load`` when first needed, so that the module
    defining them (a registry with heavy imports) loads only with the command using it."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        """The values, loaded on first use."""
        return tuple(self._load())

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        """Ignored: the values always come from ``load``."""


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
)

claims_file_argument = click.argument(
    "claims_file",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)


def _article_choice(ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    from evidence.cli.context import App
    from evidence.domain.choice import ArticleChoice

    app = ctx.find_object(App)
    claims_file = app.settings.claims_file if app is not None else DEFAULT_CLAIMS_FILE
    return ArticleChoice(value, preferred=article_of(claims_file))


def article_of(claims_file: Path) -> str | None:
    """The article (slug) of a claims file, when it is there and valid."""
    from evidence.domain.claims import load_claims
    from evidence.domain.errors import EvidenceError

    if not claims_file.is_file():
        return None
    try:
        return load_claims(claims_file).slug
    except EvidenceError:
        return None


article_option = click.option(
    "--article",
    "slug",
    metavar="SLUG",
    callback=_article_choice,
    help="Which article (claims file slug) when the database holds several "
    "[default: the one of the default claims file if stored, else the only one].",
)


def resolve_claims_file(app: Any, path: Path | None) -> Path:
    """The claims file given, else the project's default (``claims`` in evidence.toml)."""
    return path if path is not None else Path(app.settings.claims_file)


def echo_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout (streamed: :mod:`evidence.cli.json_out`)."""
    from evidence.cli import json_out

    json_out.echo_json(data)


def message(text: str, *, quiet: bool = False) -> None:
    """A human message on stderr (never on stdout, which carries data)."""
    if not quiet:
        click.echo(text, err=True)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _set_verbosity(ctx, -1)


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        _set_verbosity(ctx, value)


def _set_verbosity(ctx: click.Context, verbosity: int) -> None:
    from evidence.cli.context import App, configure_logging

    app = ctx.find_object(App)
    if app is not None:
        app.verbosity = verbosity if verbosity < 0 else max(app.verbosity, 0) + verbosity
        configure_logging(app.settings, app.verbosity)


def add_verbosity_options(command: click.Command) -> None:
    """Give every leaf command ``-q``/``-v`` too, so they work after the subcommand."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_verbosity_options(sub)
        return
    command.params += [
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="Only errors on stderr; no progress bar.",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_set_verbose,
            help="More messages on stderr (-vv for debug).",
        ),
    ]
