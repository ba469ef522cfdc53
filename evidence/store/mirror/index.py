"""The mirror as the Source adapter sees it: search, stored records, identity."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from evidence.domain.errors import MirrorEmptyError, MirrorSearchError, StoreError
from evidence.domain.mirror import INDEX_VERSION, MirrorAnswer, MirrorSummary
from evidence.domain.query_syntax import Node
from evidence.store.db import Database, display_name
from evidence.store.mirror import load, search
from evidence.store.mirror.models import MirrorDeletionRow, MirrorRecordRow


class StoreMirrorIndex:
    """A mirror in ``db`` (the ledger's database): implements ``sources.mirror.MirrorIndex``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def location(self) -> str:
        """The database, as messages name it (a SQLite path, or a URL without password)."""
        return display_name(self.db.engine.url)

    def summary(self) -> MirrorSummary:
        with self.db.session() as session:
            return load.summary(session)

    def search(self, node: Node) -> MirrorAnswer:
        """The query's answer; a query the database refuses (too deep for FTS5...) fails
        as this query's error, not the whole refresh's."""
        try:
            return self._search(node)
        except StoreError as exc:
            raise MirrorSearchError(f"the mirror could not run this query: {exc}") from exc
        except RecursionError:
            raise MirrorSearchError("the query is nested too deeply for the mirror") from None

    def _search(self, node: Node) -> MirrorAnswer:
        with self.db.session() as session:
            if not load.has_records(session):
                raise MirrorEmptyError(
                    f"the PubMed mirror in {self.location} holds no records: load NLM files"
                    " with `evidence mirror load FILE_OR_DIR...` (or try `make demo`)"
                )
            summary = load.summary(session)
            if summary.index_version not in (None, INDEX_VERSION):
                raise MirrorSearchError(
                    f"the mirror's index was built by another version (index"
                    f" {summary.index_version}, this one reads {INDEX_VERSION}): rebuild it"
                )
            return search.search(session, node, summary.mesh)

    def records(self, pmids: Sequence[str]) -> tuple[dict[str, bytes], frozenset[str]]:
        """PMID -> its latest version's stored (compressed) XML; the PMIDs deleted by NLM."""
        wanted = sorted({int(p) for p in pmids if p.isdigit()})
        found: dict[str, tuple[int, bytes]] = {}
        deleted: set[str] = set()
        with self.db.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = session.execute(
                    select(
                        MirrorRecordRow.pmid, MirrorRecordRow.version, MirrorRecordRow.raw
                    ).where(MirrorRecordRow.pmid.in_(chunk))
                )
                for pmid, version, raw in rows:
                    if str(pmid) not in found or found[str(pmid)][0] < version:
                        found[str(pmid)] = (version, raw)
                gone = session.scalars(
                    select(MirrorDeletionRow.pmid).where(MirrorDeletionRow.pmid.in_(chunk))
                )
                deleted.update(str(p) for p in gone)
        return {pmid: raw for pmid, (_, raw) in found.items()}, frozenset(deleted)

    def close(self) -> None:
        """Nothing of its own: the database belongs to the application context."""
