"""The HTML report, rendered from the database at each request (always current)."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from werkzeug.wrappers import Response

from evidence.report.html import render_html
from evidence.services import desk
from evidence.services.views import load_report
from evidence.web.app import REPORT_CSP
from evidence.web.views import blind_review, db_session, reviewer

bp = Blueprint("report", __name__)


@bp.get("/articles/<slug>/report")
def report(slug: str) -> Response:
    """``evidence report``'s index.html for article ``slug``, served with its CSP as a header;
    withheld (403, saying why) while blind review hides verdicts it shows from this reviewer."""
    with db_session() as session:
        unseen = desk.blind_unseen(session, slug, reviewer=reviewer(), blind=blind_review())
        page = None if unseen else render_html(load_report(session, slug))
    if page is None:
        return make_response(render_template("blind.html.j2", slug=slug, unseen=unseen), 403)
    response = make_response(page)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
