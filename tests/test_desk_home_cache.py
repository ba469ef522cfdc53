"""Home's cached progress: the same as building it from the whole report on every request
(verdicts, withdrawals, resolutions, blind claims, every reviewer's view), and rebuilt when
a verdict is added or withdrawn, the data generation moves, or a review protocol changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from evidence.domain.review import VerdictInfo
from evidence.domain.views import StudyInfo
from evidence.services.conflicts import resolve
from evidence.services.desk import ArticleProgress, ClaimProgress, home
from evidence.services.desk.home import REPORTS, _with_rows
from evidence.services.review import record_verdict, withdraw_verdict
from evidence.services.views import as_seen_by, summarized
from evidence.store import reads
from evidence.store.db import Database
from evidence.store.models import Article, Claim, Query
from evidence.store.runs import NewRefreshRun, SearchRecord, add_search, start_refresh
from tests.db_support import postgres_url  # noqa: F401  (fixture)
from tests.desk_data import CLAIM, SLUG, DeskData, run
from tests.test_desk import any_desk, ordered_studies  # noqa: F401  (fixture, helper)

OTHER = "neuroplasticity"  # a second claim of the article
VIEWS = [(None, False), ("ann", False), ("bob", False), ("ed", False), ("ann", True), ("bob", True)]


def home_as_built_before(
    session: Session, *, reviewer: str | None = None, blind: bool = False
) -> list[ArticleProgress]:
    """Home as it was built before the cache: the whole report read on every request."""
    found = []
    for slug in reads.stored_slugs(session):
        ref = reads.resolve_claim_set(session, slug)
        data = reads.read_report(session, ref, with_pmids=False)
        if reviewer is not None:
            data = as_seen_by(data, reviewer, blind=blind)
        data = summarized(data)
        claims = []
        for claim in data.claims:
            standing = [s for s in claim.studies if s.standing]
            claims.append(
                ClaimProgress(
                    key=claim.key,
                    statement=claim.statement,
                    summary=claim.summarized,
                    linked=len(claim.studies),
                    judged=sum(1 for s in standing if not s.changed_since_review),
                    changed=sum(1 for s in claim.studies if s.changed_since_review),
                    retracted=claim.retracted_count,
                    retracted_judged=sum(1 for s in standing if s.retracted),
                )
            )
        found.append(ArticleProgress(ref.article, tuple(claims), data.agreement))
    return found


@pytest.fixture
def server_db(any_desk: DeskData) -> Iterator[Database]:  # noqa: F811
    """The database as the desk server holds it: one engine for every request."""
    db = Database(any_desk.url, create=False)
    yield db
    db.engine.dispose()


def views_of(db: Database) -> list[list[ArticleProgress]]:
    """Home in every view, each checked against the uncached build."""
    shown = []
    with db.session() as session:
        for reviewer, blind in VIEWS:
            expected = home_as_built_before(session, reviewer=reviewer, blind=blind)
            assert home(session, reviewer=reviewer, blind=blind) == expected, (reviewer, blind)
            assert home(session, reviewer=reviewer, blind=blind) == expected, (reviewer, blind)
            shown.append(expected)
    return shown


def first_study_of(url: str, key: str) -> str:
    with Database(url, create=False).session() as session:
        data = reads.read_report(session, reads.resolve_claim_set(session, SLUG), details=False)
    return next(c for c in data.claims if c.key == key).studies[0].pmid


def review_some(url: str, pmids: list[str]) -> None:
    """Verdicts by three reviewers, a withdrawal and a resolved conflict."""
    with Database(url, create=False).session() as session:
        record_verdict(session, CLAIM, pmids[0], "supports", reviewer="ann", slug=SLUG)
        record_verdict(session, CLAIM, pmids[0], "contradicts", reviewer="bob", slug=SLUG)
        resolve(session, CLAIM, pmids[0], "mixed", editor="ed", reason="both", slug=SLUG)
        record_verdict(session, CLAIM, pmids[1], "supports", reviewer="ann", slug=SLUG)
        withdraw_verdict(session, CLAIM, pmids[1], reviewer="ann", slug=SLUG)
        record_verdict(session, CLAIM, pmids[2], "contradicts", reviewer="bob", slug=SLUG)
        record_verdict(session, CLAIM, pmids[3], "contradicts", reviewer="bob", slug=SLUG)
        record_verdict(session, CLAIM, pmids[3], "supports", reviewer="ann", slug=SLUG)
        record_verdict(session, CLAIM, pmids[4], "mixed", reviewer="cy", slug=SLUG)
        other = first_study_of(url, OTHER)
        record_verdict(session, OTHER, other, "contradicts", reviewer="bob", slug=SLUG)


def failed_search(session: Session) -> None:
    """A refresh run whose search of the claim's first query failed."""
    query_id, term, set_id = session.execute(
        select(Query.id, Query.term, Claim.claim_set_id)
        .join(Claim, Claim.id == Query.claim_id)
        .where(Claim.key == CLAIM)
        .order_by(Query.position)
    ).first()  # type: ignore[misc]
    source = ("eutils", "http://127.0.0.1", None)
    refresh_id = start_refresh(session, NewRefreshRun(set_id, "0", "c.toml", "0", *source, {}))
    add_search(session, refresh_id, SearchRecord(query_id, term, datetime.now(UTC), "failed"))


def test_home_is_the_same_as_built_from_the_whole_report(
    any_desk: DeskData,  # noqa: F811
    server_db: Database,
) -> None:
    """On SQLite and PostgreSQL, open then blind, for the full view and each reviewer's."""
    review_some(any_desk.url, ordered_studies(any_desk.url))
    views_of(server_db)
    done = run(any_desk.env, "claims", "set-review", CLAIM, "--reviewers", "2", "--blind")
    assert done.exit_code == 0, done.stderr
    views_of(server_db)


def test_a_view_is_built_once_and_shared_by_those_who_see_the_same(server_db: Database) -> None:
    with server_db.session() as session:
        first = home(session)[0].claims
        assert home(session, reviewer="ann")[0].claims is first  # nothing blind: shared
        assert home(session, reviewer="ann", blind=True)[0].claims is not first
        assert (
            home(session, reviewer="ann", blind=True)[0].claims
            is home(session, reviewer="ann", blind=True)[0].claims
        )


def test_a_cached_home_notices_every_change(any_desk: DeskData, server_db: Database) -> None:  # noqa: F811
    """A verdict, a withdrawal, a resolution, a record changed by a refresh (the data
    generation), a failed search, and review protocols set on a claim and on the article."""
    url, pmids = any_desk.url, ordered_studies(any_desk.url)
    review_some(url, pmids)
    shown = views_of(server_db)
    steps: list[Callable[[Session], object]] = [
        lambda s: record_verdict(s, CLAIM, pmids[5], "contradicts", reviewer="bob", slug=SLUG),
        lambda s: withdraw_verdict(s, CLAIM, pmids[5], reviewer="bob", slug=SLUG),
        lambda s: resolve(s, CLAIM, pmids[3], "supports", editor="ed", reason="r", slug=SLUG),
        lambda s: s.execute(
            update(Article).where(Article.pmid == pmids[2]).values(record_sha256="0" * 64)
        ),
        failed_search,  # search runs: no trigger bumps the generation
    ]
    for step in steps:
        with Database(url, create=False).session() as session:
            step(session)
        now = views_of(server_db)
        assert now != shown
        shown = now
    for target in (CLAIM, SLUG):  # a claim's own protocol, then the article's (the others')
        done = run(any_desk.env, "claims", "set-review", target, "--blind")
        assert done.exit_code == 0, done.stderr
        now = views_of(server_db)
        assert now != shown
        shown = now


def test_new_verdicts_are_added_to_the_remembered_report(
    any_desk: DeskData,  # noqa: F811
    server_db: Database,
) -> None:
    """Verdicts alone changed: their rows are read and added, the studies are not read
    again (the other claims' studies are the very same), and home is as built anew."""
    url, pmids = any_desk.url, ordered_studies(any_desk.url)
    views_of(server_db)
    with server_db.session() as session:
        set_id = reads.resolve_claim_set(session, SLUG).id
    known = REPORTS.get(server_db.engine, set_id)
    assert known is not None
    review_some(url, pmids)
    views_of(server_db)
    now = REPORTS.get(server_db.engine, set_id)
    assert now is not None and now is not known
    for before, after in zip(known.data.claims, now.data.claims, strict=True):
        assert (after.studies is before.studies) == (after.key not in (CLAIM, OTHER))


def test_rows_the_report_already_holds_are_not_added_twice() -> None:
    """On PostgreSQL the report can be read with rows newer than its stamp."""
    ann = VerdictInfo("ann", "supports", None, datetime(2026, 1, 1, tzinfo=UTC))
    bob = replace(ann, reviewer="bob")
    study = StudyInfo("1", "", (), None, None, None, None, (), False, verdicts=(ann,))
    assert _with_rows(study, [ann, bob]).verdicts == (ann, bob)
