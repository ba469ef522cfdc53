"""Conflicts: the studies whose reviewers disagree, per claim, and an editor's resolve form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from evidence.domain.errors import InvalidVerdictError
from evidence.domain.vocab import VERDICTS
from evidence.services import conflicts as service
from evidence.web.auth import current_identity
from evidence.web.views import blind_review, conflicts_viewer, db_session

bp = Blueprint("conflicts", __name__)

MAX_REASON = service.MAX_REASON


@bp.get("/articles/<slug>/conflicts")
def conflicts(slug: str) -> str:
    """Every unresolved conflict of the article, claim by claim; the resolve form for those
    who may resolve. A reviewer does not see the conflicts of a blind claim on studies they
    have not judged (:func:`conflicts_viewer`)."""
    with db_session() as session:
        found = service.conflicts(session, slug=slug)
    viewer = conflicts_viewer()
    if viewer is not None:  # a reviewer: not the conflicts they are blind to
        found = [c for c in found if not c.hidden_from(viewer, blind=blind_review())]
    by_claim: dict[str, list[service.Conflict]] = {}
    for item in found:
        by_claim.setdefault(item.claim, []).append(item)
    identity = current_identity()
    return render_template(
        "conflicts.html.j2",
        slug=slug,
        by_claim=by_claim,
        verdicts=VERDICTS,
        may_resolve=identity is not None and identity.can("resolve"),
        max_reason=MAX_REASON,
    )


@bp.post("/articles/<slug>/claims/<claim>/studies/<pmid>/resolve")
def resolve(slug: str, claim: str, pmid: str) -> Response:
    """Record an editor's resolution (with its reason), then show the conflicts again."""
    identity = current_identity()
    if identity is None or not identity.can("resolve"):
        abort(403)
    value = request.form.get("verdict", "")
    if value not in VERDICTS:
        raise InvalidVerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {value!r}")
    reason = request.form.get("reason", "")  # the service refuses one over MAX_REASON
    with db_session() as session:
        row = service.resolve(
            session,
            claim,
            pmid,
            value,
            editor=identity.name,
            reason=reason,
            role=identity.role,
            slug=slug,
        )
    flash(f"Resolved: {row.verdict} on PMID {row.pmid} for {row.claim}.")
    return redirect(url_for("conflicts.conflicts", slug=slug))
