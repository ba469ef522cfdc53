"""What the desk benchmarks share: the records their loopback server hands out and the
environment a refresh over it runs in (``bench_desk``, ``bench_team``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.desk_data import desk_record

DESIGNS = ("Meta-Analysis", "Randomized Controlled Trial", "Observational Study", "Review")
RETRACTED = "Retracted Publication"


def drug_x_records(pmids: Sequence[str], *, retracted_every: int = 0) -> dict[str, bytes]:
    """PMID -> a record about drug X and pain, with a structured abstract; the designs
    rotate, and every ``retracted_every``-th record (from the first) is retracted (0: none)."""
    return {
        pmid: desk_record(
            pmid,
            title=f"Drug X and pain relief in trial {n}",
            abstract=[
                ("BACKGROUND", f"Drug X was given to {n % 300 + 10} adults with chronic pain."),
                ("CONCLUSIONS", "Drug X relieves pain compared with placebo."),
            ],
            year=1990 + n % 35,
            types=[DESIGNS[n % len(DESIGNS)], *_retracted(n, retracted_every)],
        )
        for n, pmid in enumerate(pmids)
    }


def refresh_env(eutils_url: str, database_url: str, folder: Path) -> dict[str, str]:
    """The environment of a refresh from the loopback E-utilities server into
    ``database_url`` (a key: 10 requests/s; the rate file in ``folder``)."""
    return {
        "EVIDENCE_EUTILS_URL": eutils_url,
        "EVIDENCE_DATABASE_URL": database_url,
        "EVIDENCE_RATE_FILE": str(folder / "rate"),
        "NCBI_API_KEY": "0" * 36,
    }


def _retracted(n: int, every: int) -> list[str]:
    return [RETRACTED] if every and n % every == 0 else []
