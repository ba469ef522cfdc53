"""``evidence audit verify``: recompute every stored PMID-set hash and compare.

For each stored search run, the SHA-256 of its stored PMIDs (by
:func:`evidence.domain.audit.pmid_set_sha256`) must equal the stored ``pmid_set_sha256``,
and the stored ``retrieved`` count must equal the number of stored PMIDs. Failed runs
(nothing retrieved, no hash) are skipped and counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from evidence.domain.audit import pmid_set_sha256
from evidence.domain.vocab import RUN_FAILED
from evidence.store import reads
from evidence.store.audit import StoredSearchRun, stored_search_runs


@dataclass(frozen=True)
class Mismatch:
    """A search run whose stored PMIDs do not match what was recorded of them."""

    refresh_id: int
    run_id: int
    article: str
    claim: str
    query_label: str
    stored_sha256: str | None
    computed_sha256: str
    stored_retrieved: int
    stored_pmids: int
    problems: tuple[str, ...]

    def describe(self) -> str:
        """One line: which run, and what differs."""
        return (
            f"refresh {self.refresh_id} run {self.run_id} {self.article}: {self.claim} / "
            f"{self.query_label}: {'; '.join(self.problems)}"
        )


@dataclass(frozen=True)
class Verification:
    """What ``audit verify`` found: runs checked, failed runs skipped, mismatches."""

    checked: int
    skipped_failed: int
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        """True when every checked run matches."""
        return not self.mismatches


def verify(session: Session, slug: str | None = None) -> Verification:
    """Check every stored search run (of claim set ``slug``, or of every claim set)."""
    if slug is not None:
        reads.resolve_claim_set(session, slug)  # an unknown slug is a usage error
    checked = skipped = 0
    mismatches: list[Mismatch] = []
    for run in stored_search_runs(session, slug):
        if run.status == RUN_FAILED:
            skipped += 1
            continue
        checked += 1
        found = check_run(run)
        if found is not None:
            mismatches.append(found)
    return Verification(checked, skipped, tuple(mismatches))


def check_run(run: StoredSearchRun) -> Mismatch | None:
    """The run's mismatch, or None when its stored PMIDs match its hash and count."""
    computed = pmid_set_sha256(run.pmids)
    problems = []
    if run.stored_sha256 is None:
        problems.append(f"no SHA-256 stored; the {len(run.pmids)} stored PMIDs hash to {computed}")
    elif run.stored_sha256 != computed:
        problems.append(
            f"stored SHA-256 {run.stored_sha256} but the {len(run.pmids)} stored PMIDs "
            f"hash to {computed}"
        )
    if run.stored_retrieved != len(run.pmids):
        problems.append(f"retrieved {run.stored_retrieved} but {len(run.pmids)} PMIDs stored")
    if not problems:
        return None
    return Mismatch(
        refresh_id=run.refresh_id,
        run_id=run.run_id,
        article=run.article,
        claim=run.claim,
        query_label=run.query_label,
        stored_sha256=run.stored_sha256,
        computed_sha256=computed,
        stored_retrieved=run.stored_retrieved,
        stored_pmids=len(run.pmids),
        problems=tuple(problems),
    )
