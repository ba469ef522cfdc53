"""Accounts, for admins: list them, add one, disable one (the CLI's ``evidence users``)."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from evidence.domain.errors import AccountError
from evidence.domain.vocab import ACTION_MANAGE_USERS, ROLES
from evidence.services import accounts
from evidence.web.auth import current_identity, require
from evidence.web.views import db_session

bp = Blueprint("users", __name__)


def users_page(message: str | None = None, status: int = 200) -> Response:
    """Every account, and the form to add one."""
    with db_session() as session:
        found = accounts.list_accounts(session)
    page = render_template("users.html.j2", accounts=found, roles=ROLES, message=message)
    return make_response(page, status)


@bp.get("/users")
@require(ACTION_MANAGE_USERS)
def users() -> Response:
    """The accounts page."""
    return users_page()


@bp.post("/users")
@require(ACTION_MANAGE_USERS)
def add() -> Response:
    """Add an account (the password typed twice)."""
    form = request.form
    password = form.get("password", "")
    if password != form.get("password2", ""):
        return users_page("The two passwords differ.", 400)
    try:
        with db_session() as session:
            added = accounts.add_account(
                session, form.get("name", ""), form.get("role", ""), password
            )
    except AccountError as exc:
        return users_page(str(exc), 400)
    flash(f"Added {added.name} ({added.role}).")
    return redirect(url_for("users.users"), 303)


@bp.post("/users/disable")
@require(ACTION_MANAGE_USERS)
def disable() -> Response:
    """Disable an account: it cannot sign in, and its sessions end."""
    name = request.form.get("name", "")
    identity = current_identity()
    if identity is not None and name == identity.name:
        return users_page("You cannot disable your own account.", 400)
    with db_session() as session:
        accounts.set_disabled(session, name, disabled=True)
    flash(f"Disabled {name}.")
    return redirect(url_for("users.users"), 303)
