"""A claim's queue: its studies strongest first, filtered, a page at a time."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from evidence.domain.errors import UnknownIdError
from evidence.services import desk
from evidence.web.views import blind_review, db_session, reviewer

bp = Blueprint("queue", __name__)


@bp.get("/articles/<slug>/claims/<claim>/")
def queue(slug: str, claim: str) -> str:
    """One page of the claim's queue (``state``, ``level``, ``verdict``, ``flag``, ``q``)."""
    flt = desk.QueueFilter.of(request.args)
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 6) or int(page) == 0:
        raise UnknownIdError.of("page", page[:20], ["1", "2", "..."])
    with db_session() as session:
        found = desk.claim_queue(
            session,
            slug,
            claim,
            flt,
            reviewer=reviewer(),
            page=int(page),
            blind=blind_review(),
        )
    return render_template("queue.html.j2", q=found, desk=desk)
