"""One module per page kind: home, queue, card, report. Each parses, calls one service,
renders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flask import current_app, url_for

from evidence.web.app import desk_state
from evidence.web.auth import current_identity

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from evidence.services.desk import QueueFilter


@contextmanager
def db_session() -> Iterator[Session]:
    """A database session for this request (committed when the view succeeds)."""
    with desk_state(current_app).context.database(create=False).session() as session:
        yield session


def reviewer() -> str:
    """The signed-in reviewer's name (the guards ran: there is one)."""
    identity = current_identity()
    if identity is None:  # pragma: no cover - require_session answers first
        raise RuntimeError("no reviewer in the session")
    return identity.name


def blind_review() -> bool:
    """True when other reviewers' verdicts stay hidden until this reviewer has judged."""
    return desk_state(current_app).blind_review


def conflicts_viewer() -> str | None:
    """Whose blind view the conflicts page shows: the signed-in reviewer's, or None for
    those who may resolve conflicts (editors, admins, the local desk's user), who arbitrate
    there and so see every verdict of a conflict. Every other page (card, queue, home,
    report) shows everyone, arbitrators too, only what they may see as a reviewer."""
    identity = current_identity()
    if identity is None or identity.can("resolve"):
        return None
    return identity.name


def url(endpoint: str, flt: QueueFilter | None = None, **values: Any) -> str:
    """``url_for(endpoint, **values)`` keeping the queue filter ``flt`` in the query."""
    params: dict[str, Any] = {**values, **(flt.as_args() if flt is not None else {})}
    return url_for(endpoint, **params)
