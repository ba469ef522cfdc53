"""The review desk through Flask's test client: access, CSRF, origins, input checks,
hostile text, undo, filters and search, blind review, the next study, ``evidence serve``."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from evidence.cli.main import cli
from evidence.domain.views import StudyInfo
from evidence.services.review import record_verdict
from evidence.services.views import load_report
from evidence.store.db import Database
from evidence.store.models import Article, Verdict
from evidence.web.app import create_app, issue_login_url
from tests.claims_files import BUNDLED
from tests.desk_data import (
    CLAIM,
    CONCERN,
    EVENT,
    HOSTILE,
    JS_LINK,
    RETRACTED,
    SCRIPT,
    SLUG,
    DeskData,
    context_for,
    csrf_of,
    run,
)

BASE = f"/articles/{SLUG}/claims/{CLAIM}"
ORIGIN = "http://localhost"


def study(pmid: str) -> str:
    return f"{BASE}/studies/{pmid}"


@pytest.fixture
def app(desk_db: DeskData) -> Flask:
    made = create_app(context_for(desk_db.url))
    made.config["TESTING"] = True
    return made


@pytest.fixture(params=["sqlite", "postgresql"])
def any_desk(request: pytest.FixtureRequest, desk_template: DeskData) -> DeskData:
    """The refreshed desk database on SQLite (a copy), then on PostgreSQL (refreshed anew)."""
    if request.param == "sqlite":
        return DeskData(**vars(request.getfixturevalue("desk_db")))
    url = str(request.getfixturevalue("postgres_url"))
    env = {**desk_template.env, "EVIDENCE_DATABASE_URL": url}
    done = run(env, "refresh", str(BUNDLED))
    assert done.exit_code == 0, done.stderr
    return DeskData(url, desk_template.server, env)


def login(app: Flask, name: str = "ann") -> FlaskClient:
    """A browser that used a fresh login link and gave its name."""
    client = app.test_client()
    page = client.get(issue_login_url(app, ORIGIN).removeprefix(ORIGIN))
    assert page.status_code == 200, page.text
    named = client.post("/name", data={"name": name, "csrf_token": csrf_of(page.text)})
    assert named.status_code == 302
    return client


def token_of(client: FlaskClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def judge(client: FlaskClient, pmid: str, verdict: str, query: str = "") -> Any:
    page = client.get(study(pmid))
    assert page.status_code == 200, page.text
    return client.post(
        f"{study(pmid)}/verdict{query}",
        data={"verdict": verdict, "csrf_token": csrf_of(page.text)},
    )


def verdict_rows(url: str) -> list[tuple[str, str, str]]:
    with Database(url, create=False).session() as session:
        rows = session.execute(
            select(Verdict.pmid, Verdict.reviewer, Verdict.verdict).order_by(Verdict.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def claim_studies(url: str) -> list[StudyInfo]:
    """The claim's studies in the report's order (study_order)."""
    with Database(url, create=False).session() as session:
        data = load_report(session, SLUG)
    return list(next(c for c in data.claims if c.key == CLAIM).studies)


def ordered_studies(url: str) -> list[str]:
    return [s.pmid for s in claim_studies(url)]


def queue_pmids(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get(f"{BASE}/{query}")
    assert page.status_code == 200, page.text
    return Rows.of(page.text)


class Rows(HTMLParser):
    """The PMIDs of a queue page's rows, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.pmids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-pmid"):
            self.pmids.append(str(found["data-pmid"]))

    @classmethod
    def of(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        return parser.pmids


class Tags(HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


# --- access ----------------------------------------------------------------------------


ROUTES = [
    ("GET", "/"),
    ("GET", "/name"),
    ("GET", f"/articles/{SLUG}/report"),
    ("GET", f"{BASE}/"),
    ("GET", study(RETRACTED)),
    ("GET", f"{study(RETRACTED)}/next?step=1"),
    ("POST", f"{study(RETRACTED)}/verdict"),
    ("POST", f"{study(RETRACTED)}/undo"),
    ("POST", "/invite"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_the_session_only_the_login_page_is_served(
    app: Flask,
    desk_db: DeskData,
    method: str,
    path: str,
) -> None:
    client = app.test_client()
    answer = client.open(path, method=method, data={"verdict": "supports"})
    assert answer.status_code == 401
    assert "Open the link that" in answer.text and "evidence serve" in answer.text
    assert "Ketamine" not in answer.text and CLAIM not in answer.text
    assert verdict_rows(desk_db.url) == []
    # the routes exist: signed in, a GET answers 200 (a POST needs its form)
    if method == "GET":
        assert login(app).get(path, follow_redirects=True).status_code == 200


def test_static_files_and_the_login_page_need_no_session(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/static/desk.js").status_code == 200
    assert client.get("/static/desk.css").status_code == 200
    assert ".conclusion-supported" in client.get("/shared/conclusion.css").text
    assert client.get("/login").status_code == 401


def test_the_token_login_sets_an_httponly_samesite_strict_cookie_and_works_once(
    app: Flask,
) -> None:
    url = issue_login_url(app, ORIGIN).removeprefix(ORIGIN)
    first = app.test_client()
    page = first.get(url)
    assert page.status_code == 200 and 'name="name"' in page.text
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert first.get("/").status_code == 200  # signed in, asked for a name
    again = app.test_client()
    reused = again.get(url)
    assert reused.status_code == 403 and "already used" in reused.text
    assert again.get("/").status_code == 401
    wrong = app.test_client()
    assert wrong.get(url[:-3] + "xyz").status_code == 403
    assert wrong.get("/").status_code == 401


def test_the_secret_key_signs_the_cookie(desk_db: DeskData) -> None:
    """Another key (another start) does not accept this start's cookie."""
    first = create_app(context_for(desk_db.url))
    client = login(first)
    cookie = client.get_cookie("evidence_desk")
    assert cookie is not None
    other = create_app(context_for(desk_db.url)).test_client()
    other.set_cookie("evidence_desk", cookie.value)
    assert other.get("/").status_code == 401


def test_the_name_is_required_and_written_with_verdicts(app: Flask, desk_db: DeskData) -> None:
    client = app.test_client()
    page = client.get(issue_login_url(app, ORIGIN).removeprefix(ORIGIN))
    blank = client.post("/name", data={"name": "  ", "csrf_token": csrf_of(page.text)})
    assert blank.status_code == 400
    assert client.get(f"{BASE}/").status_code == 200 and "Who is reviewing" in client.get("/").text
    client.post("/name", data={"name": " Ann  Lee ", "csrf_token": csrf_of(page.text)})
    assert judge(client, RETRACTED, "supports").status_code == 302
    assert verdict_rows(desk_db.url) == [(RETRACTED, "Ann Lee", "supports")]


# --- CSRF, origins, headers --------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(app: Flask, desk_db: DeskData) -> None:
    client = login(app)
    answer = client.post(f"{study(RETRACTED)}/verdict", data={"verdict": "supports"})
    assert answer.status_code == 403
    wrong = client.post(
        f"{study(RETRACTED)}/verdict", data={"verdict": "supports", "csrf_token": "forged"}
    )
    assert wrong.status_code == 403
    assert verdict_rows(desk_db.url) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},  # an older browser: no Sec-Fetch-Site
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"},
    ],
)
def test_a_post_from_another_origin_is_refused(
    app: Flask,
    desk_db: DeskData,
    headers: dict[str, str],
) -> None:
    client = login(app)
    token = token_of(client, study(RETRACTED))
    answer = client.post(
        f"{study(RETRACTED)}/verdict",
        data={"verdict": "supports", "csrf_token": token},
        headers=headers,
    )
    assert answer.status_code == 403
    assert verdict_rows(desk_db.url) == []
    same = client.post(
        f"{study(RETRACTED)}/verdict",
        data={"verdict": "supports", "csrf_token": token},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # Chromium, no-referrer
    )
    assert same.status_code == 302 and len(verdict_rows(desk_db.url)) == 1


def test_security_headers(app: Flask) -> None:
    client = login(app)
    for path in ("/", f"{BASE}/", study(RETRACTED), "/login"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in csp and directives["frame-ancestors"] == "'none'"
        assert directives["default-src"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
    report = client.get(f"/articles/{SLUG}/report")
    csp = report.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp  # no script at all
    assert "frame-ancestors 'none'" in csp and "form-action 'none'" in csp
    meta = report.text.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    assert set(meta.split("; ")) <= set(csp.split("; "))  # at least as strict as its meta


# --- input checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("GET", f"/articles/{SLUG}/claims/no-such-claim/", None),
        ("GET", f"/articles/no-such-article/claims/{CLAIM}/", None),
        ("GET", study("99999999"), None),  # a PMID not linked to the claim
        ("GET", study("12ab"), None),
        ("GET", f"{BASE}/?state=everything", None),
        ("GET", f"{BASE}/?level=12", None),
        ("GET", f"{BASE}/?flag=<script>", None),
        ("GET", f"{BASE}/?verdict=maybe", None),
        ("GET", f"{study(RETRACTED)}/next?step=7", None),
        ("POST", f"{study(RETRACTED)}/verdict", {"verdict": "maybe"}),
        ("POST", f"{study(RETRACTED)}/verdict", {"verdict": "withdrawn"}),
        ("POST", f"{study('99999999')}/verdict", {"verdict": "supports"}),
        ("POST", f"/articles/{SLUG}/claims/nope/studies/{RETRACTED}/verdict", {"verdict": "mixed"}),
        ("POST", f"{study(RETRACTED)}/undo", {}),  # nothing to take back
    ],
)
def test_unknown_ids_and_values_are_refused_with_one_log_line(
    app: Flask,
    desk_db: DeskData,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    form: dict[str, str] | None,
) -> None:
    client = login(app)
    data = None
    if form is not None:
        data = {**form, "csrf_token": token_of(client)}
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="evidence.web"):
        answer = client.open(path, method=method, data=data)
    assert answer.status_code == 400, answer.text
    lines = [r for r in caplog.records if r.name == "evidence.web"]
    assert len(lines) == 1 and "\n" not in lines[0].getMessage()
    assert lines[0].getMessage().startswith(f"400 {method} ")
    assert verdict_rows(desk_db.url) == []


# --- hostile text ------------------------------------------------------------------------


def test_hostile_pubmed_text_is_escaped(any_desk: DeskData) -> None:
    client = login(create_app(context_for(any_desk.url)))
    for path in (study(HOSTILE), f"{BASE}/?state=all&q=hostile"):
        page = client.get(path).text
        parser = Tags()
        parser.feed(page)
        scripts = [a for t, a in parser.tags if t == "script"]
        assert scripts == [{"src": "/static/desk.js", "defer": None}], path
        assert not [t for t, _ in parser.tags if t in ("img", "iframe", "object", "embed")]
        for tag, attrs in parser.tags:
            assert not any(name.startswith("on") for name in attrs), (tag, attrs)
            assert not str(attrs.get("href") or "").lower().startswith("javascript:")
        assert (
            "&lt;script&gt;alert(&#39;title&#39;)" in page or "&lt;script&gt;alert('title')" in page
        )
    card = client.get(study(HOSTILE)).text
    assert "onerror=" in card.replace("&#34;", '"')  # the words stay visible, as text
    assert "javascript:alert" in card and "&lt;a href=" in card
    for raw in (SCRIPT, EVENT, JS_LINK):
        assert raw not in card


# --- undo, filters, search, next -----------------------------------------------------------


def test_undo_appends_a_withdrawn_row_and_the_pair_returns_to_the_queue(
    app: Flask,
    desk_db: DeskData,
) -> None:
    client = login(app)
    first = queue_pmids(client)[0]
    judged = judge(client, first, "supports")
    assert judged.status_code == 302
    assert first not in queue_pmids(client)
    card = client.get(judged.location).text  # the next study: undo points at the last verdict
    assert f"Undo my verdict on PMID {first}" in card
    undone = client.post(f"{study(first)}/undo", data={"csrf_token": csrf_of(card)})
    assert undone.status_code == 302 and undone.location.endswith(study(first))
    assert "Withdrawn: your verdict" in client.get(undone.location).text
    assert verdict_rows(desk_db.url) == [(first, "ann", "supports"), (first, "ann", "withdrawn")]
    assert queue_pmids(client)[0] == first  # back in the queue, in its place
    with Database(desk_db.url, create=False).session() as session:
        assert session.scalar(select(Verdict.id).where(Verdict.verdict == "withdrawn"))


def test_after_a_verdict_the_next_unjudged_study_opens(app: Flask) -> None:
    client = login(app)
    order = queue_pmids(client)
    assert len(order) >= 20
    done = judge(client, order[0], "mixed")
    assert done.location.endswith(study(order[1]))
    assert "Recorded: mixed on PMID" in client.get(done.location).text
    skipped = judge(client, order[5], "supports")  # after a jump, the next after it
    assert skipped.location.endswith(study(order[6]))
    nxt = client.get(f"{study(order[1])}/next?step=1")
    assert nxt.location.endswith(study(order[2]))
    prev = client.get(f"{study(order[2])}/next?step=-1")
    assert prev.location.endswith(study(order[1]))


def test_the_queue_is_in_study_order_and_its_filters_hold(any_desk: DeskData) -> None:
    """On SQLite and PostgreSQL: the order, each state, verdict, flag (JSON) and level
    filter, and the search (LIKE / ILIKE, any case, ``%`` taken literally)."""
    desk_db = any_desk
    client = login(create_app(context_for(desk_db.url)))
    everything = ordered_studies(desk_db.url)
    assert queue_pmids(client, "?state=all") == everything  # SQL order == study_order
    assert queue_pmids(client) == everything  # nothing judged: all to do
    judge(client, everything[0], "supports")
    judge(client, everything[1], "contradicts")
    with Database(desk_db.url, create=False).session() as session:  # bob disagrees on one
        record_verdict(session, CLAIM, everything[1], "supports", reviewer="bob", slug=SLUG)
        session.execute(  # the record of the first changes after its verdict
            update(Article).where(Article.pmid == everything[0]).values(record_sha256="0" * 64)
        )
    assert queue_pmids(client, "?state=judged") == [everything[1]]
    assert queue_pmids(client, "?state=changed") == [everything[0]]
    assert queue_pmids(client, "?state=unjudged") == everything[2:]
    assert queue_pmids(client) == [everything[0], *everything[2:]]
    assert queue_pmids(client, "?state=all&verdict=disputed") == [everything[1]]
    assert queue_pmids(client, "?state=all&verdict=supports") == [everything[0]]
    assert queue_pmids(client, "?state=all&verdict=not-reviewed") == everything[2:]
    flags = {s.pmid: s.flags for s in claim_studies(desk_db.url)}
    retracted = [p for p in everything if "retracted" in flags[p]]
    assert RETRACTED in retracted and len(retracted) < len(everything)
    assert queue_pmids(client, "?state=all&flag=retracted") == retracted
    assert queue_pmids(client, "?state=all&flag=expression-of-concern") == [CONCERN]
    assert queue_pmids(client, "?state=all&q=HOSTILE") == [HOSTILE]  # title, any case
    assert queue_pmids(client, "?state=all&q=cohort+7%29") == ["41000007"]  # abstract
    assert queue_pmids(client, "?state=all&q=100%25") == []  # % is a character, not a wildcard
    level1 = queue_pmids(client, "?state=all&level=1")
    with Database(desk_db.url, create=False).session() as session:
        levels = {p: lv for p, lv in session.execute(select(Article.pmid, Article.evidence_level))}
    assert level1 and all(levels[p] == 1 for p in level1)
    assert level1 == [p for p in everything if levels[p] == 1]
    page = client.get(f"{BASE}/?state=changed").text
    assert "the PubMed record changed since the latest verdict" in page


def test_queue_pages(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence.services import desk

    client = login(app)
    everything = queue_pmids(client, "?state=all")
    monkeypatch.setattr(desk.queue, "PAGE_SIZE", 10)
    assert queue_pmids(client, "?state=all&page=2") == everything[10:20]  # LIMIT/OFFSET
    assert queue_pmids(client, "?page=3") == everything[20:30]  # after the rules
    assert "page 2 of" in client.get(f"{BASE}/?page=2").text


def test_the_card_highlights_the_claims_terms_and_marks_the_flags(app: Flask) -> None:
    client = login(app)
    card = client.get(study(RETRACTED)).text
    abstract = card.split('<section class="abstract"')[1].split("</section>")[0]
    assert "<mark>Ketamine</mark>" in abstract and "<mark>NMDA</mark>" in abstract
    assert "<mark>placebo</mark>" not in abstract  # not a claim term
    assert 'class="key-sentence"' in abstract
    assert 'data-flag="retracted"' in card and "RETRACTED" in card
    assert "Machine suggestion, not a verdict" in card
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/41000003/"' in card
    assert 'href="https://doi.org/10.1000/desk.3"' in card
    concern = client.get(study(CONCERN)).text
    assert 'data-flag="expression-of-concern"' in concern


def test_home_shows_conclusions_progress_and_warnings(app: Flask) -> None:
    client = login(app)
    judge(client, RETRACTED, "supports")
    home = client.get("/").text
    assert 'class="conclusion conclusion-' in home
    assert "RETRACTED" in home and "1 / " in home
    assert f'href="{BASE}/"' in home and f'href="/articles/{SLUG}/report"' in home


# --- blind review --------------------------------------------------------------------------


@pytest.mark.parametrize("blind", [False, True])
def test_blind_review_hides_other_reviewers_until_this_one_has_judged(
    desk_db: DeskData,
    blind: bool,
) -> None:
    app = create_app(context_for(desk_db.url), blind_review=blind)
    bob = login(app, "bob")
    judge(bob, RETRACTED, "contradicts")
    ann = login(app, "ann")
    before = ann.get(study(RETRACTED)).text
    others = before.split('id="others-title"')[1]
    if blind:
        assert 'id="others-hidden"' in others and "bob" not in others
        assert "bob" not in ann.get(f"{BASE}/?state=all").text
    else:
        assert "contradicts</span> (bob)" in others
    judge(ann, RETRACTED, "supports")
    after = ann.get(study(RETRACTED)).text.split('id="others-title"')[1]
    assert "contradicts</span> (bob)" in after and 'id="others-hidden"' not in after


# --- evidence serve ------------------------------------------------------------------------


def test_serve_prints_a_login_url_and_runs_waitress(
    desk_db: DeskData,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import waitress

    served: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: served.update(app=app, **kw))
    env = {"EVIDENCE_DATABASE_URL": desk_db.url, "EVIDENCE_SECRET_KEY": "k" * 40}
    result = CliRunner().invoke(cli, ["serve", "--port", "8799"], env=env)
    assert result.exit_code == 0, result.stderr
    (url,) = result.stdout.splitlines()
    assert url.startswith("http://127.0.0.1:8799/login?token=")
    assert served["host"] == "127.0.0.1" and served["port"] == 8799
    assert "k" * 40 not in result.stdout + result.stderr  # the key is never shown
    client = served["app"].test_client()
    assert client.get(url.removeprefix("http://127.0.0.1:8799")).status_code == 200
    missing = CliRunner().invoke(
        cli, ["serve"], env={"EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    )
    assert missing.exit_code == 1 and "no database" in missing.stderr
    assert not (tmp_path / "none.db").exists()


def test_serve_open_opens_the_login_url_in_a_browser(
    desk_db: DeskData,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import webbrowser

    import waitress

    opened: list[str] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: None)
    monkeypatch.setattr(webbrowser, "open", opened.append)
    env = {"EVIDENCE_DATABASE_URL": desk_db.url}
    result = CliRunner().invoke(cli, ["serve", "--port", "8798", "--open"], env=env)
    assert result.exit_code == 0, result.stderr
    assert opened == [result.stdout.strip()]
    assert opened[0].startswith("http://127.0.0.1:8798/login?token=")
    assert CliRunner().invoke(cli, ["serve"], env=env).exit_code == 0 and len(opened) == 1


def test_the_desk_on_postgresql(desk_template: DeskData, postgres_url: str) -> None:
    """The same desk over PostgreSQL: refresh into it, judge from the queue with the keyboard's
    forms, undo, and the queue and the rows agree."""
    env = {**desk_template.env, "EVIDENCE_DATABASE_URL": postgres_url}
    done = run(env, "refresh", str(BUNDLED))
    assert done.exit_code == 0, done.stderr
    client = login(create_app(context_for(postgres_url)))
    first, second, third = queue_pmids(client)[:3]
    assert judge(client, first, "supports").location.endswith(study(second))
    assert judge(client, second, "contradicts").location.endswith(study(third))
    card = client.get(study(second)).text
    undone = client.post(f"{study(second)}/undo", data={"csrf_token": csrf_of(card)})
    assert undone.status_code == 302
    assert verdict_rows(postgres_url) == [
        (first, "ann", "supports"),
        (second, "ann", "contradicts"),
        (second, "ann", "withdrawn"),
    ]
    assert queue_pmids(client, "?state=judged") == [first]
    assert queue_pmids(client)[0] == second
