"""The HTML report, rendered from the database at each request (always current)."""

from __future__ import annotations

from flask import Blueprint, make_response
from werkzeug.wrappers import Response

from evidence.report.html import render_html
from evidence.services.views import load_report
from evidence.web.app import REPORT_CSP
from evidence.web.views import blind_review, db_session, reviewer

bp = Blueprint("report", __name__)


@bp.get("/articles/<slug>/report")
def report(slug: str) -> Response:
    """``evidence report``'s index.html for article ``slug``, served with its CSP as a
    header, as the signed-in reviewer may see it: on blind claims the others' verdicts on
    studies they have not judged are left out, and so are the conclusions and agreement
    built from them."""
    with db_session() as session:
        data = load_report(session, slug, as_reviewer=reviewer(), blind=blind_review())
    page = render_html(data)
    response = make_response(page)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
