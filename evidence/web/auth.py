"""Access to the desk, in one of three modes, and who is signed in.

- **Local** (no enabled account in the database): ``evidence serve`` prints a URL carrying
  a one-time token (as Jupyter does); opening it signs the browser in and asks the
  reviewer's name once. The one user may do everything (every role).
- **Team** (at least one enabled account): the login page asks for a name and password
  (wrong passwords are throttled, see :mod:`evidence.web.throttle`); token links only open
  that page and the name form is gone. The session carries the account's id and
  generation; each request checks them against the database (one primary-key query), so a
  disabled account or a changed password ends its sessions at their next request, and the
  role is the database's, not the cookie's.
- **Trusted proxy** (``serve --trust-proxy-header X-Forwarded-User``): the header names an
  enabled account on every request; no password here.

Everything lives in Flask's signed session cookie (HttpOnly, SameSite=Strict). At each
sign-in the session is cleared and a fresh one issued, with a new random nonce and a new
CSRF token: a cookie copied before the sign-in does not carry it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from evidence.domain.vocab import role_can
from evidence.services import accounts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from evidence.web.app import DeskState

MAX_NAME = 200  # verdicts.reviewer is a String(200)
AUTH_KEY = "signed_in"
IDENTITY_KEY = "identity"
GENERATION_KEY = "generation"  # the account's generation when it signed in
NONCE_KEY = "sid"  # random per sign-in: every sign-in issues a different cookie
LOCAL, TEAM, PROXY = "local", "team", "proxy"

log = logging.getLogger("evidence.web")
bp = Blueprint("auth", __name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Identity:
    """Who is signed in: a name; with accounts, the account id and its role."""

    name: str
    account_id: int | None = None
    role: str | None = None

    def can(self, action: str) -> bool:
        """True when this identity may do ``action`` (``domain.vocab.ACTIONS``); without an
        account (the local desk) every action is allowed."""
        return role_can(self.role if self.account_id is not None else None, action)

    def to_session(self) -> dict[str, Any]:
        """The identity as the session stores it."""
        return asdict(self)

    @classmethod
    def from_session(cls, value: object) -> Identity | None:
        """The identity stored in the session, or None."""
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return None
        account = value.get("account_id")
        role = value.get("role")
        return cls(
            value["name"],
            account if isinstance(account, int) else None,
            role if isinstance(role, str) else None,
        )

    @classmethod
    def of(cls, account: accounts.AccountInfo) -> Identity:
        """The identity of a signed-in account."""
        return cls(account.name, account.id, account.role)


class LoginTokens:
    """One-time login tokens: only their SHA-256 is kept, and each works once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unused: set[str] = set()

    def issue(self) -> str:
        """A new token (URL-safe, 256 bits)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._unused.add(_digest(token))
        return token

    def consume(self, token: str) -> bool:
        """True, once, for a token issued here; False for any other or a reused one."""
        digest = _digest(token)
        with self._lock:
            if digest in self._unused:
                self._unused.discard(digest)
                return True
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _state() -> DeskState:
    from evidence.web.app import desk_state

    return desk_state(current_app)


@contextmanager
def _db(*, write: bool = False) -> Iterator[Session]:
    with _state().context.database(create=False).session(write=write) as db:
        yield db


def mode() -> str:
    """``local``, ``team`` or ``proxy`` for this request (asked once per request)."""
    if "desk_mode" not in g:
        if _state().proxy_header is not None:
            g.desk_mode = PROXY
        else:
            with _db() as db:
                g.desk_mode = TEAM if accounts.team_mode(db) else LOCAL
    return str(g.desk_mode)


def current_identity() -> Identity | None:
    """Who is signed in on this request (set by :func:`check_access`), else None."""
    found = g.get("identity")
    return found if isinstance(found, Identity) else None


def signed_in() -> bool:
    """True once this browser has signed in (a token, a password or the proxy)."""
    return bool(session.get(AUTH_KEY))


def start_session(identity: Identity | None, generation: int | None = None) -> None:
    """Clear the session and issue a fresh one (a new nonce, a new CSRF token)."""
    session.clear()
    session[AUTH_KEY] = True
    session[NONCE_KEY] = secrets.token_urlsafe(16)
    if identity is not None:
        session[IDENTITY_KEY] = identity.to_session()
    if generation is not None:
        session[GENERATION_KEY] = generation
    session.permanent = True


def check_access(nameless_ok: bool) -> Response | None:
    """Let the request through (setting its identity), or answer with the login page.

    ``nameless_ok``: a local-mode endpoint that needs no name yet (the name form, sign-out).
    """
    current = mode()
    if current == PROXY:
        return _proxy_access()
    if not signed_in():
        return login_page(401)
    stored = Identity.from_session(session.get(IDENTITY_KEY))
    if stored is not None and stored.account_id is not None:
        generation = session.get(GENERATION_KEY)
        with _db() as db:
            account = (
                accounts.session_account(db, stored.account_id, generation)
                if isinstance(generation, int)
                else None
            )
        if account is None:
            session.clear()
            return login_page(401, "Your session has ended: sign in again.")
        g.identity = Identity.of(account)
        return None
    if current == TEAM:  # a local-mode session, and accounts were added since
        session.clear()
        return login_page(401, "This desk now has accounts: sign in with your name and password.")
    g.identity = stored
    if stored is not None or nameless_ok:
        return None
    return name_form()


def _proxy_access() -> Response | None:
    """The trusted proxy's header names an enabled account on every request."""
    header = _state().proxy_header
    assert header is not None
    name = request.headers.get(header, "")
    account = None
    if name:
        with _db() as db:
            account = accounts.enabled_account(db, name)
    if account is None:
        log.warning(
            "403 %s %s: %s names no enabled account", request.method, request.path[:200], header
        )
        return login_page(403, f"The proxy's {header} header names no enabled account.")
    identity = Identity.of(account)
    if Identity.from_session(session.get(IDENTITY_KEY)) != identity or not signed_in():
        start_session(identity, account.generation)
    g.identity = identity
    return None


def require(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A view decorator: 403 unless the signed-in identity may do ``action``."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            identity = current_identity()
            if identity is None or not identity.can(action):
                abort(403, description=f"your role may not {action}")
            return view(*args, **kwargs)

        return guarded

    return decorate


def clean_name(raw: str) -> str | None:
    """A reviewer name: printable, trimmed, 1 to 200 characters; else None."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME:
        return None
    if any(unicodedata.category(c).startswith("C") for c in name):
        return None
    return name


def login_page(status: int, message: str | None = None) -> Response:
    """The only page served without a session: the token hint, or the password form."""
    page = render_template("login.html.j2", message=message, mode=mode())
    return make_response(page, status)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """Local mode: spend the token of the URL ``evidence serve`` printed, then ask a name.
    Team mode: the name and password form (a token in the URL only opens it)."""
    current = mode()
    if current == PROXY:
        return redirect(url_for("home.index"))
    if current == TEAM:
        return password_login() if request.method == "POST" else _team_login_form()
    if request.method == "POST":
        return login_page(400, "This desk has no accounts: open the link evidence serve printed.")
    return token_login()


def _team_login_form() -> Response:
    if check_access(nameless_ok=False) is None:  # signed in already
        return redirect(url_for("home.index"))
    return login_page(200)


def token_login() -> Response:
    """Local mode: spend the one-time token, then ask for a name."""
    token = request.args.get("token", "")
    if not token:
        if signed_in():
            named = Identity.from_session(session.get(IDENTITY_KEY))
            return redirect(url_for("home.index")) if named else name_form()
        return login_page(401)
    if not _state().tokens.consume(token):
        log.warning("login refused: unknown or already used token")
        return login_page(403, "This login link is not valid, or it was already used.")
    start_session(None)
    return name_form()  # no redirect: the token URL is not kept in a redirect chain


def password_login() -> Response:
    """Team mode: check the name and password (throttled), then a fresh session."""
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    if len(name) > accounts.MAX_NAME or len(password) > accounts.MAX_PASSWORD:
        log.warning("400 POST /login: a name or password longer than any account's")
        return login_page(400, "The name or the password is longer than any account's.")
    address = request.remote_addr or "unknown"
    throttle = _state().throttle
    wait = throttle.wait(name, address)
    if wait:
        log.warning("429 POST /login: throttled after wrong passwords (%s)", address[:60])
        response = login_page(429, f"Too many wrong passwords: wait {wait} seconds, then retry.")
        response.headers["Retry-After"] = str(wait)
        return response
    with _db() as db:
        account = accounts.authenticate(db, name, password)
    if account is None:
        throttle.failed(name, address)
        log.warning("401 POST /login: wrong name or password (%s)", address[:60])
        return login_page(401, "Wrong name or password.")
    throttle.succeeded(name)
    start_session(Identity.of(account), account.generation)
    flash(f"Signed in as {account.name} ({account.role}).")
    return redirect(url_for("home.index"), 303)


def name_form(message: str | None = None, status: int = 200) -> Response:
    """Ask the reviewer's name (once per browser, local mode only)."""
    identity = Identity.from_session(session.get(IDENTITY_KEY))
    return make_response(
        render_template("name.html.j2", message=message, name=identity.name if identity else ""),
        status,
    )


@bp.route("/name", methods=["GET", "POST"])
def name() -> Response:
    """Who judges from this browser (local mode): written with every verdict. With
    accounts there is no such page: the account's name is written."""
    if mode() != LOCAL:
        abort(404)
    if request.method == "GET":
        return name_form()
    cleaned = clean_name(request.form.get("name", ""))
    if cleaned is None:
        return name_form("Give your name (1 to 200 printable characters).", 400)
    session[IDENTITY_KEY] = Identity(cleaned).to_session()
    flash(f"Signed in as {cleaned}.")
    return redirect(url_for("home.index"))


@bp.post("/invite")
def invite() -> Response:
    """A new one-time login link, for another reviewer's browser (local mode only)."""
    if mode() != LOCAL:
        abort(404)
    link = url_for("auth.login", token=_state().tokens.issue(), _external=True)
    return make_response(render_template("invite.html.j2", link=link))


@bp.post("/logout")
def logout() -> Response:
    """Forget this browser's session (local mode: a new login link is needed)."""
    session.clear()
    g.pop("identity", None)
    return login_page(200, "Signed out.")
