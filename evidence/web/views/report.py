"""The HTML report, rendered from the database at each request (always current)."""

from __future__ import annotations

from flask import Blueprint, make_response
from werkzeug.wrappers import Response

from evidence.report.html import render_html
from evidence.services.views import load_report
from evidence.web.app import REPORT_CSP
from evidence.web.views import blind_review, blind_viewer, db_session

bp = Blueprint("report", __name__)


@bp.get("/articles/<slug>/report")
def report(slug: str) -> Response:
    """``evidence report``'s index.html for article ``slug``, served with its CSP as a
    header; to a reviewer, as they may see it (:func:`blind_viewer`): on blind claims the
    others' verdicts on studies they have not judged are left out, and so are the
    conclusions and agreement built from them."""
    with db_session() as session:
        data = load_report(session, slug, as_reviewer=blind_viewer(), blind=blind_review())
    page = render_html(data)
    response = make_response(page)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
