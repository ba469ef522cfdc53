"""Reading MeSH entry terms (``mirror_mesh_terms``), for the desk's highlighting."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.domain.mirror import value_token
from evidence.store.mirror.models import MirrorMeshRow, MirrorMeshTermRow


def entry_terms(session: Session, headings: Iterable[str]) -> tuple[str, ...]:
    """The entry terms of the descriptors named ``headings`` (matched as ``[mh]`` matches a
    heading: by its whole-value token), sorted; () when none is loaded. One statement."""
    tokens = sorted({value_token(heading) for heading in headings} - {""})
    if not tokens:
        return ()
    terms = session.scalars(
        select(MirrorMeshTermRow.term)
        .join(MirrorMeshRow, MirrorMeshRow.ui == MirrorMeshTermRow.ui)
        .where(MirrorMeshRow.token.in_(tokens))
        .distinct()
        .order_by(MirrorMeshTermRow.term)
    )
    return tuple(terms)
