"""Claims files for tests: the bundled ketamine file, and one-query files you write."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evidence.domain.claims import ClaimsFile

BUNDLED = Path(__file__).resolve().parents[1] / "queries" / "ketamine-chronic-pain.toml"


def one_query_claims(tmp_path: Path, term: str, *, slug: str = "test-article") -> Path:
    """Write a claims file with claim ``only`` whose one query ``main`` searches ``term``."""
    path = tmp_path / "claims.toml"
    path.write_text(
        f"""\
[article]
slug = "{slug}"
title = "Test article"

[[claims]]
id = "only"
statement = "Drug X relieves pain."

[[claims.queries]]
label = "main"
term = "{term}"
""",
        encoding="utf-8",
    )
    return path


def plan_searches(claims: ClaimsFile, pmids: Sequence[str], size: int) -> dict[str, list[str]]:
    """Give each query an overlapping slice of ``pmids`` (deterministic)."""
    searches: dict[str, list[str]] = {}
    ordered = sorted(pmids, key=int)
    step = max(1, size // 2)
    index = 0
    for claim in claims.claims:
        for query in claim.queries:
            start = (index * step) % max(1, len(ordered) - size)
            searches[query.full_term] = ordered[start : start + size]
            index += 1
    return searches
