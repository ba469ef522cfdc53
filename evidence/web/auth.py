"""Access to the desk: one-time login tokens (as Jupyter prints one), and who is reviewing.

``evidence serve`` prints a URL carrying a token; opening it signs the browser in (the token
is then spent) and asks the reviewer's name once. Both live in Flask's signed session
cookie (HttpOnly, SameSite=Strict). The session holds an :class:`Identity`, so accounts and
roles for a shared team server can slot in later (``account_id``, ``role``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from evidence.domain.review import role_can

MAX_NAME = 200  # verdicts.reviewer is a String(200)
AUTH_KEY = "signed_in"
IDENTITY_KEY = "identity"

bp = Blueprint("auth", __name__)


@dataclass(frozen=True)
class Identity:
    """Who is reviewing: a name today; an account id and a role once there are accounts."""

    name: str
    account_id: int | None = None
    role: str | None = None

    def can(self, action: str) -> bool:
        """True when this identity may ``action`` ("resolve", "manage"...): no account (the
        local token desk) may do everything; else by role (``domain.vocab.ROLE_ACTIONS``)."""
        if self.account_id is None:
            return True
        return role_can(self.role or "reviewer", action)

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


def current_identity() -> Identity | None:
    """The reviewer of this browser, once named."""
    if not session.get(AUTH_KEY):
        return None
    return Identity.from_session(session.get(IDENTITY_KEY))


def signed_in() -> bool:
    """True once this browser has used a login token."""
    return bool(session.get(AUTH_KEY))


def clean_name(raw: str) -> str | None:
    """A reviewer name: printable, trimmed, 1 to 200 characters; else None."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME:
        return None
    if any(unicodedata.category(c).startswith("C") for c in name):
        return None
    return name


def login_page(status: int, message: str | None = None) -> Response:
    """The only page served without a session."""
    return make_response(render_template("login.html.j2", message=message), status)


@bp.get("/login")
def login() -> Response:
    """Spend the token of the URL ``evidence serve`` printed, then ask for a name."""
    from evidence.web.app import desk_state

    token = request.args.get("token", "")
    if not token:
        if signed_in():
            return redirect(url_for("home.index")) if current_identity() else name_form()
        return login_page(401)
    if not desk_state(current_app).tokens.consume(token):
        current_app.logger.warning("login refused: unknown or already used token")
        return login_page(403, "This login link is not valid, or it was already used.")
    session.clear()
    session[AUTH_KEY] = True
    session.permanent = True
    return name_form()  # no redirect: the token URL is not kept in a redirect chain


def name_form(message: str | None = None, status: int = 200) -> Response:
    """Ask the reviewer's name (once per browser)."""
    identity = current_identity()
    return make_response(
        render_template("name.html.j2", message=message, name=identity.name if identity else ""),
        status,
    )


@bp.route("/name", methods=["GET", "POST"])
def name() -> Response:
    """Who judges from this browser: written with every verdict."""
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
    """A new one-time login link, for another reviewer's browser on this machine."""
    from evidence.web.app import desk_state

    token = desk_state(current_app).tokens.issue()
    link = url_for("auth.login", token=token, _external=True)
    return make_response(render_template("invite.html.j2", link=link))


@bp.post("/logout")
def logout() -> Response:
    """Forget this browser's session (a new login link is needed)."""
    session.clear()
    return login_page(200, "Signed out.")
