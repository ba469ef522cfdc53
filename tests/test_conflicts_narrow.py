"""The conflict queue reads only the pairs whose verdicts differ, and finds exactly the
conflicts the whole report shows (reworded claims, withdrawals, resolutions, unlinked
studies, protocols asking for one and three reviewers, two claims)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from evidence.domain.claims import ClaimsFile, load_claims
from evidence.domain.errors import UnknownClaimError
from evidence.domain.records import PublicationType
from evidence.domain.review import in_conflict
from evidence.domain.views import study_order
from evidence.domain.vocab import KIND_RESOLUTION, WITHDRAWN
from evidence.services.conflicts import Conflict, _conflict, conflicts
from evidence.services.records import store_records
from evidence.store import reads, review, verdicts, writes
from evidence.store.conflicts import disputed_claims
from evidence.store.db import Database
from evidence.store.runs import NewRefreshRun, start_refresh
from evidence.web.app import create_app
from tests.claims_files import BUNDLED
from tests.desk_data import context_for
from tests.test_desk import login
from tests.test_queue_statements import counted
from tests.test_store import make_article

ONE, THREE = "nmda-blockade", "neuroplasticity"  # claims asking for one and three reviewers
REVIEWERS = ("ann", "bob", "cy")
CHOICES = ("supports", "contradicts", "mixed", WITHDRAWN)
DESIGNS = ("Meta-Analysis", "Randomized Controlled Trial", "Observational Study", "Review")


def reference(session: Any, claim_key: str | None = None) -> list[Conflict]:
    """The conflicts as the whole report shows them (how the queue read them before)."""
    report = reads.read_report(session, reads.resolve_claim_set(session, None), with_pmids=False)
    return [
        _conflict(claim.key, study, claim.review)
        for claim in report.claims
        if claim_key is None or claim.key == claim_key
        for study in sorted(claim.studies, key=study_order)
        if in_conflict(study.verdicts, claim.review)
    ]


def reworded(claims: ClaimsFile, key: str) -> ClaimsFile:
    specs = tuple(
        replace(c, statement=c.statement + " (reworded)") if c.id == key else c
        for c in claims.claims
    )
    return replace(claims, claims=specs)


def judge_at_random(session: Any, pick: random.Random, claim_id: int, pmids: list[str]) -> None:
    """Up to five rows on each pair: reviewers' verdicts and withdrawals, sometimes an
    editor's resolution."""
    for pmid in pmids:
        record = verdicts.linked_record(session, claim_id, pmid)
        assert record is not None
        for _ in range(pick.randrange(6)):
            if pick.random() < 0.1:
                verdicts.add_verdict(
                    session,
                    claim_id,
                    record,
                    "mixed",
                    "eve",
                    None,
                    kind=KIND_RESOLUTION,
                    reason="r",
                )
            else:
                verdict = pick.choice(CHOICES)
                verdicts.add_verdict(
                    session, claim_id, record, verdict, pick.choice(REVIEWERS), None
                )


@pytest.fixture
def judged(database_url: str) -> Iterator[Database]:
    """Two claims with 120 and 80 linked studies judged at random, one claim reworded halfway
    and twenty of its studies unlinked afterwards."""
    db = Database(database_url)
    claims = load_claims(BUNDLED)
    pick = random.Random(20261130)
    pmids = [str(1_000 + n) for n in range(120)]
    with db.session() as s:
        claim_set = writes.sync_claims(s, claims)
        started = NewRefreshRun(claim_set.id, "t", "claims.toml", "0" * 64, "eutils", "x", None, {})
        run_id = start_refresh(s, started)
        articles = [
            make_article(
                p,
                title=f"Trial {p}",
                year=2000 + n % 7,
                publication_types=(PublicationType(DESIGNS[n % 4], None),),
            )
            for n, p in enumerate(pmids)
        ]
        store_records(s, articles)
        s.flush()
        one = writes.claim_by_key(s, claims.slug, ONE)
        three = writes.claim_by_key(s, claims.slug, THREE)
        writes.link_claim(s, one.id, run_id, pmids)
        writes.link_claim(s, three.id, run_id, pmids[:80])
        review.set_protocol(s, claim_set.id, THREE, reviewers=3, blind=None)
        judge_at_random(s, pick, one.id, pmids)
        judge_at_random(s, pick, three.id, pmids[:80])
        writes.sync_claims(s, reworded(claims, ONE))
        judge_at_random(s, pick, one.id, pmids)  # judged again
        writes.link_claim(s, one.id, run_id, pmids[:100])  # the last twenty are no longer linked
    yield db
    db.dispose()


def test_the_queue_finds_the_report_s_conflicts(judged: Database) -> None:
    with judged.session() as s:
        expected = reference(s)
        assert len({c.claim for c in expected}) == 2 and len(expected) >= 8
        assert conflicts(s) == expected
        for key in (ONE, THREE):
            assert conflicts(s, key) == reference(s, key)
        with pytest.raises(UnknownClaimError):
            conflicts(s, "no-such-claim")


def test_sql_reads_fewer_pairs_than_linked_but_every_conflict(judged: Database) -> None:
    with judged.session() as s:
        ref = reads.resolve_claim_set(s, None)
        read = {(c.key, st.pmid) for c in disputed_claims(s, ref) for st in c.studies}
        found = {(c.claim, c.pmid) for c in reference(s)}
        linked = sum(len(c.studies) for c in reads.read_report(s, ref).claims)
    assert found < read  # a superset: the domain rule decides
    assert len(read) < linked


def test_the_queue_reads_in_a_fixed_number_of_statements(judged: Database) -> None:
    with counted(judged) as statements, judged.session() as s:
        conflicts(s)
    assert len(statements) <= 7, statements
    assert not any("abstract" in sql for sql in statements)  # no abstracts, no authors
    assert not any("article_authors" in sql for sql in statements)


def test_the_page_lists_the_report_s_conflicts(judged: Database) -> None:
    with judged.session() as s:
        expected = reference(s)
        slug = reads.resolve_claim_set(s, None).slug
    context = context_for(judged.engine.url.render_as_string(hide_password=False))
    try:
        page = login(create_app(context)).get(f"/articles/{slug}/conflicts").text
    finally:
        context.close()
    shown = re.findall(r'data-claim="([^"]+)"|<article class="conflict" data-pmid="(\d+)"', page)
    pairs, claim = [], ""
    for key, pmid in shown:
        claim = key or claim
        if pmid:
            pairs.append((claim, pmid))
    assert pairs == [(c.claim, c.pmid) for c in expected]
    given = re.findall(r'verdict-[a-z-]+">([a-z-]+)</span> <span class="muted">\((\w+)\)', page)
    assert given == [(v, name) for c in expected for name, v in c.verdicts.items()]
