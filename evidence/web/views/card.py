"""The study card: one study of one claim, and the reviewer's verdict on it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from evidence.domain.errors import InvalidVerdictError, TooLongError, UnknownIdError
from evidence.domain.vocab import VERDICTS
from evidence.services import desk
from evidence.web.views import blind_review, db_session, reviewer, url

bp = Blueprint("card", __name__)

STUDY = "/articles/<slug>/claims/<claim>/studies/<pmid>"
# One key per verdict, shown on its button.
VERDICT_KEYS = {
    "supports": "s",
    "contradicts": "c",
    "mixed": "m",
    "inconclusive": "i",
    "not-relevant": "n",
}
MAX_NOTE = 2000
assert tuple(VERDICT_KEYS) == VERDICTS


@bp.get(STUDY)
def card(slug: str, claim: str, pmid: str) -> str:
    """The card, with the queue filter it was opened from (for next and previous)."""
    flt = desk.QueueFilter.of(request.args)
    with db_session() as session:
        found = desk.study_card(
            session, slug, claim, pmid, reviewer=reviewer(), blind=blind_review()
        )
    return render_template(
        "card.html.j2", card=found, flt=flt, keys=VERDICT_KEYS, max_note=MAX_NOTE
    )


@bp.post(STUDY + "/verdict")
def verdict(slug: str, claim: str, pmid: str) -> Response:
    """Record the verdict, then open the next study still to judge."""
    flt = desk.QueueFilter.of(request.args)  # the queue it was judged from, in the action URL
    value = request.form.get("verdict", "")
    if value not in VERDICTS:
        raise InvalidVerdictError(f"verdict must be one of {', '.join(VERDICTS)}, not {value!r}")
    note = request.form.get("note", "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise TooLongError(f"the note is over {MAX_NOTE:,} characters")
    with db_session() as session:
        done = desk.judge(
            session,
            slug,
            claim,
            pmid,
            value,
            reviewer=reviewer(),
            note=note,
            flt=flt,
            blind=blind_review(),
        )
    message = f"Recorded: {done.row.verdict} on PMID {done.row.pmid}."
    if done.row.warning:
        message += f" {done.row.warning}."
    if done.next_pmid is None:
        flash(message + " Nothing left to judge in this queue.")
        return redirect(url("queue.queue", flt, slug=slug, claim=claim))
    flash(message)
    return redirect(url("card.card", flt, slug=slug, claim=claim, pmid=done.next_pmid))


@bp.post(STUDY + "/undo")
def undo(slug: str, claim: str, pmid: str) -> Response:
    """Withdraw my verdict on the study (an appended row), and show the study again."""
    flt = desk.QueueFilter.of(request.args)
    with db_session() as session:
        done = desk.undo(session, slug, claim, pmid, reviewer=reviewer())
    flash(f"Withdrawn: your verdict on PMID {done.row.pmid}.")
    return redirect(url("card.card", flt, slug=slug, claim=claim, pmid=pmid))


@bp.get(STUDY + "/next")
def step(slug: str, claim: str, pmid: str) -> Response:
    """The next (``step=1``) or previous (``step=-1``) study of the queue."""
    flt = desk.QueueFilter.of(request.args)
    raw = request.args.get("step", "1")
    if raw not in ("1", "-1"):
        raise UnknownIdError.of("step", raw[:20], ["1", "-1"])
    with db_session() as session:
        found = desk.neighbour(
            session,
            slug,
            claim,
            pmid,
            flt,
            reviewer=reviewer(),
            step=int(raw),
            blind=blind_review(),
        )
    if found is None:
        flash("No more studies that way in this queue.")
        found = pmid
    return redirect(url("card.card", flt, slug=slug, claim=claim, pmid=found))
