"""The desk's search over title and abstract runs in SQL once per data generation: the
claim's index remembers its hits across pages and verdicts, and forgets them when a record
changes."""

from __future__ import annotations

from sqlalchemy import update

from evidence.services.desk import QueueFilter, claim_queue
from evidence.services.review import record_verdict
from evidence.store.db import Database
from evidence.store.models import Article
from tests.db_support import database_url  # noqa: F401  (fixture)
from tests.test_desk_index import PMIDS, db  # noqa: F401  (fixture)
from tests.test_queue_statements import counted

SEARCH = QueueFilter(state="all", search="synthetic article 2003")


def searched(db: Database) -> tuple[list[str], int]:  # noqa: F811
    """The queue's PMIDs for the search, and how many statements searched titles."""
    with counted(db) as statements, db.session() as session:
        page = claim_queue(session, "idx", "only", SEARCH, reviewer="ann")
    searches = [s for s in statements if "like" in s.lower() and "abstract" in s.lower()]
    return [row.study.pmid for row in page.rows], len(searches)


def test_a_search_is_read_once_per_generation(db: Database) -> None:  # noqa: F811
    assert searched(db) == ([PMIDS[3]], 1)
    assert searched(db) == ([PMIDS[3]], 0)  # remembered
    with db.session() as session:
        record_verdict(session, "only", PMIDS[3], "supports", reviewer="bob")
    assert searched(db) == ([PMIDS[3]], 0)  # a verdict changes no search
    with db.session() as session:
        session.execute(
            update(Article).where(Article.pmid == PMIDS[5]).values(title="Synthetic article 2003b")
        )
    assert searched(db) == ([PMIDS[3], PMIDS[5]], 1)  # the record changed: searched again
