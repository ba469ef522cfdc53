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
    _others: dict[str, Source] = field(default_factory=dict, repr=False)

    def database(self, *, create: bool, migrate: bool = True) -> Database:
        """The database, opened on first use (later calls get that one, whatever they ask).

        ``create=False`` (commands that only read, or need what a refresh stored) fails when
        the SQLite file does not exist, creating nothing; ``create=True`` may create the file,
        and its folder only for the default location (a mistyped ``--db`` is not a new ledger).
        ``migrate=True`` gives a new, empty database the schema and refuses one at another
        migration (only ``evidence db upgrade``, with ``migrate=False``, migrates).
        """
        if self._db is None:
            from evidence.store.db import Database

            self._db = Database(
                self.settings.database_url,
                create=create,
                make_folder=create and self.settings.database_is_default,
                migrate=migrate,
            )
        return self._db

    def source(self, kind: str | None = None, *, deadline: Deadline | None = None) -> Source:
        """The search source, created on first use: ``settings.source`` (NCBI E-utilities by
        default, or the local mirror), or ``kind`` ("eutils", "mirror") when given.

        ``deadline``: the command's time budget, which the source respects (no request,
        retry or wait past it); only the first call's counts.
        """
        if kind is not None and kind != self.settings.source:
            if kind not in self._others:
                self._others[kind] = self._build_source(kind, deadline)
            return self._others[kind]
        if self._source is None:
            self._source = self._build_source(self.settings.source, deadline)
        return self._source

    def _build_source(self, kind: str, deadline: Deadline | None) -> Source:
        if kind == "mirror":
            from evidence.sources.mirror.source import MirrorSource
            from evidence.store.mirror.index import StoreMirrorIndex

            return MirrorSource(StoreMirrorIndex(self.database(create=False)))
        from evidence.sources.eutils.source import EutilsSource

        return EutilsSource.from_settings(self.settings.eutils, deadline=deadline)

    def close(self) -> None:
        """Release the database and HTTP connections."""
        for source in (self._source, *self._others.values()):
            if source is not None:
                source.close()
        if self._db is not None:
            self._db.dispose()
