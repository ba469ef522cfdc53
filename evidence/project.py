"""Where the data lives, wherever cron starts: the project folder and its ``evidence.toml``.

A project is a folder holding an ``evidence.toml`` or a ``queries/`` folder of claims files.
It is ``--project DIR`` or ``EVIDENCE_HOME`` when given, else found the way git finds
``.git``: walking up from the working directory. Its ``evidence.toml`` (optional) holds
settings; relative paths in it are relative to the project folder. The NCBI API key never
goes there (it stays in the environment).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.domain.errors import ConfigError

PROJECT_FILE = "evidence.toml"
CLAIMS_DIR = "queries"
KEYS = {
    "database": "database URL or SQLite file path",
    "claims": "the default claims file",
    "reports": "the folder reports are written to",
    "email": "contact e-mail sent to NCBI",
    "eutils_url": "E-utilities base URL",
    "tool": "tool name sent to NCBI",
    "reviewer": "default reviewer name",
    "source": "where searches go: eutils (PubMed, default) or mirror (the local PubMed mirror)",
    "mirror_url": "the NLM update-file listing `evidence mirror sync` reads",
}
SECRET_KEYS = frozenset({"api_key", "ncbi_api_key", "password"})


@dataclass(frozen=True)
class Project:
    """A project folder and the settings of its ``evidence.toml`` ({} without one)."""

    root: Path
    config: Mapping[str, str] = field(default_factory=dict)

    def path(self, value: str) -> Path:
        """A path from the config, relative to the project folder unless absolute."""
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else self.root / candidate


def find_project(start: Path, explicit: str | None = None) -> Project | None:
    """The project given (``--project``/``EVIDENCE_HOME``), else the nearest one above ``start``."""
    if explicit:
        root = Path(explicit).expanduser()
        if not root.is_dir():
            raise ConfigError(f"project folder {root} does not exist (--project / EVIDENCE_HOME)")
        return Project(root.resolve(), read_config(root))
    for folder in (start.resolve(), *start.resolve().parents):
        if is_project(folder):
            return Project(folder, read_config(folder))
    return None


def is_project(folder: Path) -> bool:
    """True for a folder with an ``evidence.toml``, or a ``queries/`` folder of claims files."""
    if (folder / PROJECT_FILE).is_file():
        return True
    claims = folder / CLAIMS_DIR
    return claims.is_dir() and any(claims.glob("*.toml"))


def read_config(root: Path) -> dict[str, str]:
    """The settings of ``root/evidence.toml`` ({} when absent); ConfigError naming the file."""
    path = root / PROJECT_FILE
    if not path.is_file():
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
    secret = sorted(SECRET_KEYS & {k.lower() for k in data})
    if secret:
        raise ConfigError(
            f"{path}: {secret[0]!r} does not belong in a settings file: set NCBI_API_KEY in the"
            " environment (or pass --api-key) instead"
        )
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    bad = sorted(k for k, v in data.items() if not isinstance(v, str) or not v.strip())
    if bad:
        raise ConfigError(f"{path}: {bad[0]!r} must be a non-empty string")
    return {k: str(v) for k, v in data.items()}
