"""The desk's application factory: ``create_app(context)``.

Security is built in here, once: the session cookie is signed (a random key per start
unless ``EVIDENCE_SECRET_KEY`` is set), HttpOnly and SameSite=Strict; every page but the
login page needs the session; every POST needs Flask-WTF's CSRF token and must come from
this origin (``Origin`` / ``Sec-Fetch-Site``); every answer carries a Content-Security-Policy
without inline script, ``nosniff``, ``no-referrer`` and ``frame-ancestors 'none'``. Unknown
articles, claims, PMIDs, verdicts and filter values are refused with 400 and one log line.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

from flask import Flask, current_app, make_response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, StrictUndefined
from werkzeug.wrappers import Response

from evidence.domain.errors import (
    AccountError,
    ConfigError,
    EvidenceError,
    InvalidVerdictError,
    MissingReasonError,
    MissingReviewerError,
    NoConflictError,
    NotAllowedError,
    NothingStoredError,
    NothingToWithdrawError,
    TooLongError,
    UnknownIdError,
)
from evidence.report.html import counts_text
from evidence.report.links import doi_url, pubmed_url
from evidence.report.sanitize import inline_markup, mark_words
from evidence.report.tables import format_time, short_authors
from evidence.services.context import Context
from evidence.web import auth
from evidence.web.throttle import LoginThrottle

log = logging.getLogger("evidence.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The report page: exactly its own meta policy (inline styles, no script at all), and no framing.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "shared_css", "favicon"})
NAMELESS_ENDPOINTS = frozenset({"auth.name", "auth.logout"})  # signed in, no name yet
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
BAD_INPUT = (
    AccountError,
    UnknownIdError,
    InvalidVerdictError,
    NothingToWithdrawError,
    MissingReviewerError,
    MissingReasonError,
    NoConflictError,
    TooLongError,
)


@dataclass
class DeskState:
    """What the views share: the application context, the login tokens, the wrong-password
    throttle, the options."""

    context: Context
    tokens: auth.LoginTokens
    blind_review: bool = False
    proxy_header: str | None = None  # a trusted reverse proxy names the account in it
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


class DeskFlask(Flask):
    """Flask with autoescaping for every template (ours end in ``.j2``)."""

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        return True


def create_app(
    context: Context,
    *,
    secret_key: str | bytes | None = None,
    blind_review: bool = False,
    trust_proxy_header: str | None = None,
) -> Flask:
    """The desk over ``context``'s database (which must exist: it is opened now).

    ``secret_key`` signs the session cookie: random when not given, so sessions end with
    the server. ``blind_review`` hides other reviewers' verdicts until this reviewer has
    judged (off by default; claim-set settings come later). ``trust_proxy_header`` (e.g.
    ``X-Forwarded-User``): a reverse proxy authenticates, and this header of every request
    names the enabled account; only safe when nothing but the proxy can reach the desk.
    """
    if trust_proxy_header is not None and not HEADER_NAME.fullmatch(trust_proxy_header):
        raise ConfigError(f"not an HTTP header name: {trust_proxy_header[:60]!r}")
    context.database(create=False)  # fail at start, and never race to open it per thread
    app = DeskFlask("evidence.web", static_folder="static", template_folder=None)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_NAME="evidence_desk",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["evidence"] = DeskState(
        context, auth.LoginTokens(), blind_review, trust_proxy_header
    )
    app.jinja_loader = ChoiceLoader(
        [PackageLoader("evidence.web", "templates"), PackageLoader("evidence.report", "templates")]
    )
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        inline_markup=inline_markup,
        mark_words=mark_words,
        pubmed_url=pubmed_url,
        doi_url=doi_url,
        when=format_time,
        short_authors=short_authors,
        counts=counts_text,
    )
    app.jinja_env.globals["identity"] = auth.current_identity
    app.jinja_env.globals["desk_mode"] = auth.mode

    from evidence.web.views import url

    app.jinja_env.globals["url"] = url

    from evidence.web.views import card, conflicts, home, queue, report, users

    app.register_blueprint(auth.bp)
    for module in (home, queue, card, report, conflicts, users):
        app.register_blueprint(module.bp)
    app.add_url_rule("/shared/conclusion.css", "shared_css", shared_css)
    app.add_url_rule("/favicon.ico", "favicon", lambda: Response(status=204))

    app.before_request(refuse_other_origins)
    app.before_request(refuse_nul)
    app.before_request(require_session)
    CSRFProtect(app)  # after the two above: no session -> login page; then the token
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, csrf_refused)
    app.register_error_handler(EvidenceError, evidence_error)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed)
    app.register_error_handler(413, too_large)
    return app


def desk_state(app: Flask) -> DeskState:
    """The desk's shared state of ``app``."""
    state = app.extensions["evidence"]
    assert isinstance(state, DeskState)
    return state


def issue_login_url(app: Flask, base_url: str) -> str:
    """A one-time login URL under ``base_url`` (``http://127.0.0.1:8765``)."""
    return f"{base_url.rstrip('/')}/login?token={desk_state(app).tokens.issue()}"


# --- request guards --------------------------------------------------------------------


def refuse_other_origins() -> Response | None:
    """A POST must come from this origin.

    Browsers say where a request comes from in ``Sec-Fetch-Site`` (no page can set it):
    only ``same-origin`` (or ``none``, typed by the user) passes. Without it, ``Origin``,
    when sent, must be this server's. (``Origin`` alone is not enough: under
    ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` for same-origin POSTs.)
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site is not None:
        refused = site not in ("same-origin", "none")
    else:
        refused = origin is not None and origin != request.host_url.rstrip("/")
    if refused:
        _refused(403, f"cross-origin POST refused (Origin {origin!r}, Sec-Fetch-Site {site!r})")
        return error_page(403, "Requests from other sites are refused.")
    return None


def refuse_nul() -> Response | None:
    """No parameter may carry a NUL character (PostgreSQL refuses it in text: a 500 else)."""
    values = [request.path]
    values += [v for _, v in request.args.items(multi=True)]
    if request.method == "POST":
        values += [v for _, v in request.form.items(multi=True)]
    if any("\x00" in v for v in values):
        _refused(400, "a NUL character in the request")
        return error_page(400, "The request carries a NUL character.")
    return None


def require_session() -> Response | None:
    """Nothing but the login page (and static files) without a valid session (checked
    against the account on each request in team mode, see :func:`auth.check_access`)."""
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    return auth.check_access(nameless_ok=endpoint in NAMELESS_ENDPOINTS)


def security_headers(response: Response) -> Response:
    """CSP, nosniff, no-referrer, no framing, no caching of pages."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.endpoint not in ("static", "shared_css", "favicon"):
        headers["Cache-Control"] = "no-store"
    return response


def shared_css() -> Response:
    """The conclusion badges' colours, the same file the report inlines."""
    css = resources.files("evidence.report").joinpath("templates/_conclusion.css").read_text()
    response = make_response(css)
    response.mimetype = "text/css"
    return response


# --- errors ------------------------------------------------------------------------------


def _refused(status: int, reason: str) -> None:
    """One log line per refused request (the reason on one line, bounded)."""
    text = " ".join(reason.split())[:300]
    log.warning("%s %s %s: %s", status, request.method, request.path[:200], text)


def error_page(status: int, message: str) -> Response:
    """A small page saying what went wrong."""
    return make_response(render_template("error.html.j2", status=status, message=message), status)


def csrf_refused(error: CSRFError) -> Response:
    _refused(403, f"CSRF: {error.description}")
    return error_page(403, "The form had expired or was not sent by this page: reload and retry.")


def evidence_error(error: EvidenceError) -> Response:
    if isinstance(error, BAD_INPUT):
        _refused(400, str(error))
        return error_page(400, str(error))
    if isinstance(error, NotAllowedError):
        _refused(403, str(error))
        return error_page(403, str(error))
    if isinstance(error, NothingStoredError):
        return error_page(404, str(error))
    log.error("%s %s: %s", request.method, request.path[:200], " ".join(str(error).split()))
    return error_page(500, str(error))


def forbidden(error: Any) -> Response:
    identity = auth.current_identity()
    role = identity.role if identity is not None and identity.role else "none"
    _refused(403, f"{getattr(error, 'description', 'forbidden')} (role {role})")
    return error_page(403, f"Your account's role ({role}) may not do this.")


def not_found(_error: Any) -> Response:
    return error_page(404, "No such page.")


def not_allowed(_error: Any) -> Response:
    _refused(405, "method not allowed")
    return error_page(405, "Method not allowed.")


def too_large(_error: Any) -> Response:
    _refused(413, "request too large")
    return error_page(413, "Request too large.")


def state() -> DeskState:
    """The desk's state, in a request."""
    return desk_state(current_app)
