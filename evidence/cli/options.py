"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.settings import DEFAULT_CLAIMS_FILE

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
)

claims_file_argument = click.argument(
    "claims_file",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)

article_option = click.option(
    "--article",
    "slug",
    metavar="SLUG",
    help="Which article (claims file slug), when the database holds several.",
)


def resolve_claims_file(path: Path | None) -> Path:
    """The claims file given, else the bundled default."""
    return path if path is not None else DEFAULT_CLAIMS_FILE


def echo_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def message(text: str, *, quiet: bool = False) -> None:
    """A human message on stderr (never on stdout, which carries data)."""
    if not quiet:
        click.echo(text, err=True)
