"""The application context, built once by the root command and handed down via ``ctx.obj``."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import click

from evidence.services.context import Context
from evidence.settings import Settings, redact


@dataclass
class App(Context):
    """The CLI's context: the application context plus how much to say on stderr."""

    verbosity: int = 0

    @property
    def quiet(self) -> bool:
        """True with ``-q``: no progress, no messages but errors."""
        return self.verbosity < 0


pass_app = click.make_pass_decorator(App)


class RedactingFormatter(logging.Formatter):
    """A formatter that removes the API key from every log line."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._key = settings.eutils.api_key

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._key)


def configure_logging(settings: Settings, verbosity: int) -> None:
    """Log to stderr: warnings by default, INFO with -v, DEBUG with -vv, errors with -q."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(settings))
    root = logging.getLogger("evidence")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
