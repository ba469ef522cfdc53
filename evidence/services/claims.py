"""Claims files against what is stored: which claims' wording changed since it was judged."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evidence.domain.claims import ClaimsFile
from evidence.store import writes


def wording_changes(session: Session, claims_file: ClaimsFile) -> dict[str, int]:
    """Claim id -> its stored statement version, for claims whose statement differs from it.

    The next refresh stores the new wording as a new version; verdicts given for the stored
    one are then kept, marked, and their studies go back into the review queue.
    """
    stored = writes.stored_statements(session, claims_file.slug)
    return {
        claim.id: stored[claim.id][0]
        for claim in claims_file.claims
        if claim.id in stored and stored[claim.id][1] != writes.statement_sha256(claim.statement)
    }
