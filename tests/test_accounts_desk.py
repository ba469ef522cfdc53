"""The desk in team mode, through the real server (waitress on 127.0.0.1, ``requests``):
sign-in with name and password, a fresh cookie at sign-in, wrong passwords throttled, roles
(a reviewer cannot manage users), verdicts carry the account (a typed name is ignored), a
disabled account's session ends, CSRF on every POST, hostile and overlong values never give
a 500, and the trusted proxy header. On SQLite and PostgreSQL (a refreshed template copied
per test).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from evidence.services import accounts
from evidence.store.db import Database
from evidence.store.models import User, Verdict
from evidence.web.app import create_app, desk_state, issue_login_url
from evidence.web.throttle import BASE_DELAY, LoginThrottle
from tests.claims_files import BUNDLED
from tests.db_support import postgres_admin_url
from tests.desk_data import CLAIM, RETRACTED, SLUG, DeskData, context_for, csrf_of, run

PASSWORD = "correct horse battery"
ACCOUNTS = {"ada": "admin", "ed": "editor", "rita": "reviewer"}
BASE = f"/articles/{SLUG}/claims/{CLAIM}"
CARD = f"{BASE}/studies/{RETRACTED}"
SQLI = "1' OR '1'='1'; DROP TABLE verdicts; --"
LONG = "9" * 5000


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_template(desk_template: DeskData) -> Iterator[str]:
    """The desk data refreshed once into a PostgreSQL database, copied per test."""
    admin_url = postgres_admin_url()
    name = f"evidence_tmpl_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        done = run({**desk_template.env, "EVIDENCE_DATABASE_URL": url}, "refresh", str(BUNDLED))
        assert done.exit_code == 0, done.stderr
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def team_url(request: pytest.FixtureRequest, desk_db: DeskData) -> Iterator[str]:
    """A copy of the refreshed desk database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield desk_db.url
        return
    template = request.getfixturevalue("pg_template")
    admin_url = postgres_admin_url()
    name = f"evidence_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Clock:
    """The throttle's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Desk:
    """waitress serving the desk on a free loopback port."""

    app: Any
    base: str
    url: str
    clock: Clock

    def get(self, client: requests.Session, path: str, **kw: Any) -> requests.Response:
        return client.get(self.base + path, allow_redirects=False, timeout=30, **kw)

    def post(self, client: requests.Session, path: str, **kw: Any) -> requests.Response:
        return client.post(self.base + path, allow_redirects=False, timeout=30, **kw)


def add_accounts(url: str, names: dict[str, str]) -> None:
    with Database(url, create=False).session(write=True) as session:
        for name, role in names.items():
            accounts.add_account(session, name, role, PASSWORD)


def serve(url: str, **options: Any) -> Iterator[Desk]:
    import waitress

    app = create_app(context_for(url), **options)
    clock = Clock()
    desk_state(app).throttle = LoginThrottle(clock)
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Desk(app, f"http://127.0.0.1:{server.effective_port}", url, clock)
    finally:
        server.close()
        thread.join(timeout=5)
        desk_state(app).context.close()


@pytest.fixture
def desk(team_url: str) -> Iterator[Desk]:
    """The desk in team mode: an admin, an editor and a reviewer."""
    add_accounts(team_url, ACCOUNTS)
    yield from serve(team_url)


def login(desk: Desk, name: str, password: str = PASSWORD) -> requests.Session:
    client = requests.Session()
    answer = try_login(desk, client, name, password)
    assert answer.status_code == 303, answer.text
    return client


def try_login(desk: Desk, client: requests.Session, name: str, password: str) -> requests.Response:
    token = csrf_of(desk.get(client, "/login").text)
    form = {"name": name, "password": password, "csrf_token": token}
    return desk.post(client, "/login", data=form)


def token_of(desk: Desk, client: requests.Session, path: str = "/") -> str:
    return csrf_of(desk.get(client, path).text)


def verdict_rows(url: str) -> list[tuple[str, str, str]]:
    with Database(url, create=False).session() as session:
        rows = session.execute(
            select(Verdict.pmid, Verdict.reviewer, Verdict.verdict).order_by(Verdict.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]


def account_names(url: str) -> dict[str, bool]:
    """Every account's name -> enabled."""
    with Database(url, create=False).session() as session:
        return {a.name: not a.disabled for a in accounts.list_accounts(session)}


def disable(url: str, name: str) -> None:
    with Database(url, create=False).session(write=True) as session:
        accounts.set_disabled(session, name)


# --- sign-in ----------------------------------------------------------------------------------


def test_team_mode_asks_name_and_password_and_a_token_link_only_opens_the_form(
    desk: Desk,
) -> None:
    client = requests.Session()
    home = desk.get(client, "/")
    assert home.status_code == 401 and 'name="password"' in home.text
    assert "Ketamine" not in home.text
    link = issue_login_url(desk.app, desk.base).removeprefix(desk.base)
    opened = desk.get(client, link)
    assert opened.status_code == 200 and 'name="password"' in opened.text
    assert desk.get(client, "/").status_code == 401  # the token signed nobody in
    wrong = try_login(desk, client, "rita", PASSWORD + "!")
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    assert try_login(desk, client, "nobody", PASSWORD).status_code == 401
    right = try_login(desk, client, "rita", PASSWORD)
    assert right.status_code == 303 and right.headers["Location"].endswith("/")
    page = desk.get(client, "/")
    assert page.status_code == 200 and "<strong>rita</strong> (reviewer)" in page.text
    assert "Invite a reviewer" not in page.text  # no token links in team mode
    assert desk.get(client, "/login").status_code == 302  # signed in: to the desk


def test_the_session_cookie_is_renewed_at_sign_in_and_an_old_copy_carries_nothing(
    desk: Desk,
) -> None:
    client = requests.Session()
    token = csrf_of(desk.get(client, "/login").text)
    before = client.cookies.get("evidence_desk")
    assert before
    answer = desk.post(
        client, "/login", data={"name": "rita", "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303
    set_cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    after = client.cookies.get("evidence_desk")
    assert after and after != before
    copied = requests.Session()  # an attacker's copy of the cookie from before the sign-in
    copied.cookies.set("evidence_desk", before)
    assert desk.get(copied, "/").status_code == 401
    assert desk.get(client, "/").status_code == 200
    other = login(desk, "rita")  # the same account again: yet another cookie
    assert other.cookies.get("evidence_desk") not in (before, after)
    # the old CSRF token died with the old session
    refused = desk.post(client, f"{CARD}/verdict", data={"verdict": "mixed", "csrf_token": token})
    assert refused.status_code == 403 and verdict_rows(desk.url) == []


def test_wrong_passwords_are_throttled_per_name_then_per_address(desk: Desk) -> None:
    client = requests.Session()
    for _ in range(5):
        assert try_login(desk, client, "rita", "wrong password").status_code == 401
    held = try_login(desk, client, "rita", PASSWORD)  # the right one, too late
    assert held.status_code == 429 and held.headers["Retry-After"] == str(int(BASE_DELAY))
    assert "Too many wrong passwords" in held.text
    assert desk.get(client, "/").status_code == 401
    assert try_login(desk, requests.Session(), "ed", PASSWORD).status_code == 303  # per name
    desk.clock.now += BASE_DELAY
    assert try_login(desk, client, "rita", PASSWORD).status_code == 303
    for n in range(15):  # the address's 20 free failures (5 above, 15 here)
        assert try_login(desk, requests.Session(), f"guess{n}", "x").status_code == 401
    assert try_login(desk, requests.Session(), "ada", PASSWORD).status_code == 429


# --- roles and identity ---------------------------------------------------------------------


def test_a_reviewer_cannot_manage_users_and_an_admin_can(desk: Desk) -> None:
    rita = login(desk, "rita")
    assert "Accounts</a>" not in desk.get(rita, "/").text
    assert desk.get(rita, "/users").status_code == 403
    token = token_of(desk, rita)
    form = {"name": "mallory", "role": "admin", "password": PASSWORD, "password2": PASSWORD}
    assert desk.post(rita, "/users", data={**form, "csrf_token": token}).status_code == 403
    disabling = {"name": "ed", "csrf_token": token}
    assert desk.post(rita, "/users/disable", data=disabling).status_code == 403
    assert desk.get(login(desk, "ed"), "/users").status_code == 403  # editors neither
    assert account_names(desk.url) == {"ada": True, "ed": True, "rita": True}

    ada = login(desk, "ada")
    page = desk.get(ada, "/users")
    assert page.status_code == 200 and 'data-account="rita"' in page.text
    assert "argon2" not in page.text
    token = csrf_of(page.text)
    nina = {"name": "nina", "role": "editor", "password": PASSWORD, "password2": PASSWORD}
    assert desk.post(ada, "/users", data={**nina, "csrf_token": token}).status_code == 303
    short = {**nina, "name": "olga", "password": "short", "password2": "short"}
    refused = desk.post(ada, "/users", data={**short, "csrf_token": token})
    assert refused.status_code == 400 and "at least 10 characters" in refused.text
    done = desk.post(ada, "/users/disable", data={"name": "rita", "csrf_token": token})
    assert done.status_code == 303
    assert account_names(desk.url) == {"ada": True, "ed": True, "nina": True, "rita": False}
    assert desk.get(rita, "/").status_code == 401
    assert try_login(desk, requests.Session(), "nina", PASSWORD).status_code == 303


def test_a_reviewer_cannot_resolve_a_conflict_and_an_editor_can(desk: Desk) -> None:
    rita, ed = login(desk, "rita"), login(desk, "ed")
    form = {"verdict": "mixed", "reason": "forged"}
    refused = desk.post(rita, f"{CARD}/resolve", data={**form, "csrf_token": token_of(desk, rita)})
    assert refused.status_code == 403 and verdict_rows(desk.url) == []
    allowed = desk.post(ed, f"{CARD}/resolve", data={**form, "csrf_token": token_of(desk, ed)})
    assert allowed.status_code == 400 and "do not disagree" in allowed.text  # past the role
    assert verdict_rows(desk.url) == []


def test_verdicts_carry_the_account_and_a_typed_name_is_never_trusted(desk: Desk) -> None:
    rita = login(desk, "rita")
    token = token_of(desk, rita, CARD)
    form = {"verdict": "supports", "reviewer": "ada", "name": "ada", "csrf_token": token}
    assert desk.post(rita, f"{CARD}/verdict", data=form).status_code == 302
    named = desk.post(rita, "/name", data={"name": "ada", "csrf_token": token})
    assert named.status_code == 404  # no name form with accounts
    assert desk.post(rita, "/invite", data={"csrf_token": token}).status_code == 404
    assert desk.post(rita, f"{CARD}/undo", data={"csrf_token": token}).status_code == 302
    assert verdict_rows(desk.url) == [
        (RETRACTED, "rita", "supports"),
        (RETRACTED, "rita", "withdrawn"),
    ]
    assert "<strong>rita</strong>" in desk.get(rita, "/").text


def test_a_disabled_or_re_passworded_accounts_session_stops_at_its_next_request(
    desk: Desk,
) -> None:
    rita = login(desk, "rita")
    token = token_of(desk, rita, CARD)
    assert desk.get(rita, f"{BASE}/").status_code == 200
    disable(desk.url, "rita")
    ended = desk.post(rita, f"{CARD}/verdict", data={"verdict": "mixed", "csrf_token": token})
    assert ended.status_code == 401 and "session has ended" in ended.text
    assert desk.get(rita, "/").status_code == 401
    assert try_login(desk, requests.Session(), "rita", PASSWORD).status_code == 401
    ed = login(desk, "ed")
    with Database(desk.url, create=False).session(write=True) as session:
        accounts.change_password(session, "ed", "a brand new passphrase")
    assert desk.get(ed, "/").status_code == 401
    assert verdict_rows(desk.url) == []


# --- CSRF, hostile values -------------------------------------------------------------------


POSTS = {
    "auth.login": "/login",
    "auth.logout": "/logout",
    "auth.name": "/name",
    "auth.invite": "/invite",
    "card.verdict": f"{CARD}/verdict",
    "card.undo": f"{CARD}/undo",
    "conflicts.resolve": f"{CARD}/resolve",
    "users.add": "/users",
    "users.disable": "/users/disable",
}


def test_every_post_needs_the_csrf_token(desk: Desk) -> None:
    posts = {r.endpoint for r in desk.app.url_map.iter_rules() if "POST" in (r.methods or ())}
    assert posts == set(POSTS)  # a new POST route gets a line here
    ada = login(desk, "ada")
    forms = {
        "/login": {"name": "ada", "password": PASSWORD},
        "/users": {"name": "x" * 12, "role": "admin", "password": PASSWORD, "password2": PASSWORD},
        "/users/disable": {"name": "rita"},
        "/name": {"name": "mallory"},
        f"{CARD}/verdict": {"verdict": "supports"},
        f"{CARD}/resolve": {"verdict": "supports", "reason": "forged"},
    }
    for path in POSTS.values():
        for token in (None, "forged"):
            form = dict(forms.get(path, {}))
            if token:
                form["csrf_token"] = token
            client = requests.Session() if path == "/login" else ada
            answer = desk.post(client, path, data=form)
            assert answer.status_code == 403, (path, token, answer.status_code)
    assert desk.get(ada, "/").status_code == 200  # the refused sign-out left the session
    assert verdict_rows(desk.url) == []
    assert account_names(desk.url) == {"ada": True, "ed": True, "rita": True}


HOSTILE = [SQLI, LONG, "a\x00b", "%", "../../etc/passwd", "<script>x</script>", "²", "-1"]
CLAIM_PATHS = [
    "/articles/{slug}/claims/{claim}/",
    "/articles/{slug}/claims/{claim}/studies/{pmid}",
    "/articles/{slug}/claims/{claim}/studies/{pmid}/next",
]
ARTICLE_PATHS = ["/articles/{slug}/report", "/articles/{slug}/conflicts"]
POST_PATHS = {
    "/articles/{slug}/claims/{claim}/studies/{pmid}/verdict": {"verdict": "supports"},
    "/articles/{slug}/claims/{claim}/studies/{pmid}/undo": {},
    "/articles/{slug}/claims/{claim}/studies/{pmid}/resolve": {"verdict": "mixed", "reason": "r"},
}
FILTERS = ["state", "level", "verdict", "flag"]
IDS = {"slug": SLUG, "claim": CLAIM, "pmid": RETRACTED}


def refused(value: str, in_path: bool = True) -> set[int]:
    """What a hostile id must get: 400, or 404 when its '/' makes the path match no route."""
    return {404} if in_path and "/" in value else {400}


def hostile_paths(template: str, quoted: str) -> list[str]:
    """``template`` with one of its ids replaced by ``quoted`` at a time."""
    return [template.format(**{**IDS, key: quoted}) for key in IDS if "{" + key + "}" in template]


def test_hostile_and_overlong_values_in_every_parameter_give_400_never_500(desk: Desk) -> None:
    """Every id and filter of every route refuses a bad value (400); free text (a note, a
    reason, a search, an account name) keeps metacharacters as data and refuses a value
    over its length (400), never cut."""
    ada = login(desk, "ada")
    token = token_of(desk, ada)
    routes = {r.rule for r in desk.app.url_map.iter_rules()}
    for template in (*CLAIM_PATHS, *ARTICLE_PATHS, *POST_PATHS):
        assert template.replace("{", "<").replace("}", ">") in routes, template
    for index, value in enumerate(HOSTILE):
        quoted = requests.utils.quote(value, safe="")
        for template in (*CLAIM_PATHS, *ARTICLE_PATHS):
            for path in hostile_paths(template, quoted):
                answer = desk.get(ada, path)
                assert answer.status_code in refused(value), (path[:80], answer.status_code)
        for template in CLAIM_PATHS:
            read = {"/": ["page"], "next": ["step"]}.get(template.rsplit("/", 1)[-1] or "/", [])
            for name in FILTERS + read:
                if name == "step" and value == "-1":
                    continue  # a valid step
                path = template.format(**IDS) + f"?{name}={quoted}"
                answer = desk.get(ada, path)
                assert answer.status_code == 400, (path[:80], answer.status_code)
        for template, form in POST_PATHS.items():
            for path in hostile_paths(template, quoted):
                answer = desk.post(ada, path, data={**form, "csrf_token": token})
                assert answer.status_code in refused(value), (path[:80], answer.status_code)
            path = template.format(**IDS)
            for name in FILTERS:
                answer = desk.post(
                    ada, f"{path}?{name}={quoted}", data={**form, "csrf_token": token}
                )
                assert answer.status_code == 400, (path, name, answer.status_code)
            if "verdict" in form:
                answer = desk.post(ada, path, data={**form, "verdict": value, "csrf_token": token})
                assert answer.status_code == 400, (path, value[:20], answer.status_code)
        users = {"name": f"new {index}", "role": value, "password": PASSWORD, "password2": PASSWORD}
        answer = desk.post(ada, "/users", data={**users, "csrf_token": token})
        assert answer.status_code == 400, (value[:20], answer.status_code)
        users = {**users, "role": "reviewer", "password": value, "password2": value}
        answer = desk.post(ada, "/users", data={**users, "csrf_token": token})
        fits = 10 <= len(value) <= 1024 and "\x00" not in value  # a password is free text
        assert answer.status_code == (303 if fits else 400), (value[:20], answer.status_code)
        gone = desk.post(ada, "/users/disable", data={"name": value, "csrf_token": token})
        assert gone.status_code == 400, (value[:20], gone.status_code)
        for name, password in [(value, PASSWORD), ("ada", value)]:
            answer = try_login(desk, requests.Session(), name, password)
            expected = {400} if len(value) > 1024 or "\x00" in value else {401}
            assert answer.status_code in expected, (value[:20], answer.status_code)
            assert 'name="password"' in answer.text or "NUL" in answer.text
        desk.clock.now += 10_000  # the throttle forgets: these are not a brute force
        assert desk.get(requests.Session(), f"/login?token={quoted}").status_code in (200, 400)
    free_text_keeps_metacharacters_and_refuses_overlong_values(desk, ada, token)
    with Database(desk.url, create=False).session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3 + 3 + 2


def free_text_keeps_metacharacters_and_refuses_overlong_values(
    desk: Desk, ada: requests.Session, token: str
) -> None:
    """A note, a search, an account name: metacharacters kept as data, too long -> 400."""
    hostile = [SQLI, "%", "<script>x</script>", "O'Brien \\ 50%_"]
    for value in hostile:
        quoted = requests.utils.quote(value, safe="")
        assert desk.get(ada, f"{BASE}/?q={quoted}").status_code == 200
        noted = desk.post(
            ada, f"{CARD}/verdict", data={"verdict": "mixed", "note": value, "csrf_token": token}
        )
        assert noted.status_code == 302, (value, noted.status_code)
    with Database(desk.url, create=False).session() as session:
        notes = session.scalars(select(Verdict.note).order_by(Verdict.id)).all()
    assert notes == hostile  # stored as typed
    for name in (SQLI, "O'Brien"):
        form = {"name": name, "role": "reviewer", "password": PASSWORD, "password2": PASSWORD}
        assert desk.post(ada, "/users", data={**form, "csrf_token": token}).status_code == 303
    assert try_login(desk, requests.Session(), SQLI, PASSWORD).status_code == 303
    too_long = [
        ("GET", f"{BASE}/?q={'x' * 201}", None, "search is over 200"),
        ("POST", f"{CARD}/verdict", {"verdict": "mixed", "note": "n" * 2001}, "note is over"),
        ("POST", f"{CARD}/resolve", {"verdict": "mixed", "reason": "r" * 2001}, "reason is over"),
        ("POST", "/users", {"name": "n" * 201, "role": "reviewer"}, "not a valid account name"),
    ]
    for method, path, form, says in too_long:
        if method == "GET":
            answer = desk.get(ada, path)
        else:
            answer = desk.post(ada, path, data={**(form or {}), "csrf_token": token})
        assert answer.status_code == 400 and says in answer.text, (path[:60], answer.status_code)
    assert len(verdict_rows(desk.url)) == len(hostile)


# --- the trusted proxy header ------------------------------------------------------------------


def test_the_trusted_proxy_header_names_an_enabled_account(team_url: str) -> None:
    add_accounts(team_url, ACCOUNTS)
    for desk in serve(team_url, trust_proxy_header="X-Forwarded-User"):
        client = requests.Session()
        as_rita = {"X-Forwarded-User": "rita"}
        assert desk.get(client, "/").status_code == 403  # no header
        assert desk.get(client, "/", headers={"X-Forwarded-User": "mallory"}).status_code == 403
        page = desk.get(client, CARD, headers=as_rita)
        assert page.status_code == 200 and "<strong>rita</strong> (reviewer)" in page.text
        token = csrf_of(page.text)
        form = {"verdict": "supports", "reviewer": "ed", "csrf_token": token}
        posted = desk.post(client, f"{CARD}/verdict", data=form, headers=as_rita)
        assert posted.status_code == 302
        # another name on the same cookie: a fresh session, the old CSRF token is refused
        as_ed = {"X-Forwarded-User": "ed"}
        assert desk.post(client, f"{CARD}/verdict", data=form, headers=as_ed).status_code == 403
        assert "<strong>ed</strong>" in desk.get(client, "/", headers=as_ed).text
        disable(team_url, "rita")
        assert desk.get(client, "/", headers=as_rita).status_code == 403
        assert verdict_rows(team_url) == [(RETRACTED, "rita", "supports")]
