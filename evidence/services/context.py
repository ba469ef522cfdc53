"""The application context: settings and the objects built from them, once, on first use.

The CLI's root command and (later) the web app build one; every service gets its database
and source from it. Importing this module opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evidence.settings import Settings

if TYPE_CHECKING:
    from evidence.domain.deadline import Deadline
    from evidence.sources.base import Source
    from evidence.store.db import Database


@dataclass
class Context:
    """Settings plus the database and the search source, created on first use."""

    settings: Settings
    _db: Database | None = field(default=None, repr=False)
    _source: Source | None = field(default=None, repr=False)

    def database(self, *, create: bool) -> Database:
        """The database, opened (and migrated) on first use.

        ``create=False`` (commands that only read, or need what a refresh stored) fails when
        the SQLite file does not exist, creating nothing; ``create=True`` may create the file,
        and its folder only for the default location (a mistyped ``--db`` is not a new ledger).
        """
        if self._db is None:
            from evidence.store.db import Database

            self._db = Database(
                self.settings.database_url,
                create=create,
                make_folder=create and self.settings.database_is_default,
            )
        return self._db

    def source(self, *, deadline: Deadline | None = None) -> Source:
        """The search source (NCBI E-utilities), created on first use.

        ``deadline``: the command's time budget, which the source respects (no request,
        retry or wait past it); only the first call's counts.
        """
        if self._source is None:
            from evidence.sources.eutils.source import EutilsSource

            self._source = EutilsSource.from_settings(self.settings.eutils, deadline=deadline)
        return self._source

    def close(self) -> None:
        """Release the database and HTTP connections."""
        if self._source is not None:
            self._source.close()
        if self._db is not None:
            self._db.dispose()
