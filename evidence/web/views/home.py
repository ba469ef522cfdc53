"""Home: the articles, and per claim its conclusion, counts and progress."""

from __future__ import annotations

from flask import Blueprint, render_template

from evidence.services import desk
from evidence.web.views import blind_review, db_session, reviewer

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Every article with its claims."""
    with db_session() as session:
        articles = desk.home(session, reviewer=reviewer(), blind=blind_review())
    return render_template("home.html.j2", articles=articles)
