"""Small claims files for tests: one claim, one query, with the term you need."""

from __future__ import annotations

from pathlib import Path


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
