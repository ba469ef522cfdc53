"""The application context, built once by the root command and handed down via ``ctx.obj``."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from evidence.settings import Settings, redact

if TYPE_CHECKING:
    from evidence.sources.base import Source
    from evidence.store.db import Database


@dataclass
class App:
    """Settings plus the objects built from them, created on first use."""

    settings: Settings
    verbosity: int = 0
    _db: Database | None = field(default=None, repr=False)
    _source: Source | None = field(default=None, repr=False)

    @property
    def quiet(self) -> bool:
        """True with ``-q``: no progress, no messages but errors."""
        return self.verbosity < 0

    def database(self) -> Database:
        """The database, opened (and migrated) on first use."""
        if self._db is None:
            from evidence.store.db import Database

            self._db = Database(self.settings.database_url)
        return self._db

    def source(self) -> Source:
        """The search source (NCBI E-utilities), created on first use."""
        if self._source is None:
            from evidence.sources.eutils.source import EutilsSource

            self._source = EutilsSource.from_settings(self.settings.eutils)
        return self._source

    def close(self) -> None:
        """Release the database and HTTP connections."""
        if self._source is not None:
            self._source.close()
        if self._db is not None:
            self._db.dispose()


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
