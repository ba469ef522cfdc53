"""Settings: flag > environment variable > ``evidence.toml`` > default, resolved once by the CLI
root (see :mod:`evidence.project` for where the project folder is)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from evidence.domain.deadline import parse_duration
from evidence.domain.errors import ConfigError
from evidence.project import Project, find_project

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_DATABASE_PATH = Path("data") / "evidence.db"
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE_PATH}"
DEFAULT_CLAIMS_FILE = Path("queries") / "ketamine-chronic-pain.toml"
DEFAULT_REPORTS_DIR = Path("reports")
DEFAULT_TOOL = "evidence"
RETRACTION_WATCH_URL = "https://api.labs.crossref.org/data/retractionwatch?mailto={email}"
PLACEHOLDER_EMAIL = "evidence-user@example.org"  # until NCBI_EMAIL / --email is set
NLM_UPDATES_URL = "https://ftp.ncbi.nlm.nih.gov/pubmed/updatefiles/"
SOURCES = ("eutils", "mirror")
N = TypeVar("N", int, float)


class Secret:
    """A string that never shows itself in ``repr``/``str`` (the NCBI API key)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: only for the request parameters sent to NCBI."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str, *secrets: Secret | None) -> str:
    """Replace every secret's value in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal(), "***")
    return text


@dataclass(frozen=True)
class EutilsSettings:
    """How to talk to NCBI E-utilities."""

    base_url: str = NCBI_EUTILS_URL
    api_key: Secret | None = None
    email: str | None = None
    tool: str = DEFAULT_TOOL
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    request_deadline: float = 300.0  # whole answer, however slowly it drips
    max_attempts: int = 5
    # Answers larger than these are refused at once (permanent, never retried): an esearch
    # page holds at most 10,000 ids (~200 KB), an efetch batch 500 records (~6 MB typical).
    max_esearch_bytes: int = 16 * 1024 * 1024
    max_efetch_bytes: int = 64 * 1024 * 1024
    rate_file: Path | None = None  # None: default_rate_file(base_url)

    @property
    def shared_rate_file(self) -> Path:
        """The file through which processes talking to this server share the request budget."""
        return self.rate_file if self.rate_file is not None else default_rate_file(self.base_url)

    @property
    def requests_per_second(self) -> float:
        """NCBI's limit: 3 requests/s, 10 with an API key."""
        return 10.0 if self.api_key else 3.0


@dataclass(frozen=True)
class Settings:
    """Everything the application needs, built once at start."""

    database_url: str = DEFAULT_DATABASE_URL
    eutils: EutilsSettings = field(default_factory=EutilsSettings)
    reviewer: str | None = None
    project: Project | None = None  # the project folder, when one was found
    claims_file: Path = DEFAULT_CLAIMS_FILE  # the default claims file
    reports_dir: Path = DEFAULT_REPORTS_DIR
    default_database_url: str = DEFAULT_DATABASE_URL  # data/evidence.db of the project
    retraction_watch_url: str = RETRACTION_WATCH_URL.format(email=PLACEHOLDER_EMAIL)
    deadline: float | None = None  # seconds a refresh may take (None: no limit)
    secret_key: Secret | None = None  # signs the desk's session cookie; random per start if None
    source: str = "eutils"  # or "mirror": the local PubMed mirror in the same database
    mirror_updates_url: str = NLM_UPDATES_URL  # the listing `evidence mirror sync` reads

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        database: str | None = None,
        api_key: str | None = None,
        email: str | None = None,
        eutils_url: str | None = None,
        project: str | None = None,
        cwd: Path | None = None,
    ) -> Settings:
        """Resolve settings: flags win over the environment, which wins over evidence.toml."""
        env = os.environ if env is None else env
        found = find_project(cwd or Path.cwd(), project or env.get("EVIDENCE_HOME"))
        config = dict(found.config) if found else {}
        key = api_key or env.get("NCBI_API_KEY") or None
        base_url = (
            eutils_url
            or env.get("EVIDENCE_EUTILS_URL")
            or config.get("eutils_url")
            or NCBI_EUTILS_URL
        )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"E-utilities URL must start with http:// or https://: {base_url}")
        rate_file = env.get("EVIDENCE_RATE_FILE")
        eutils = EutilsSettings(
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            api_key=Secret(key) if key else None,
            email=email or env.get("NCBI_EMAIL") or config.get("email") or None,
            tool=env.get("EVIDENCE_TOOL") or config.get("tool") or DEFAULT_TOOL,
            read_timeout=_number(env, "EVIDENCE_TIMEOUT", 60.0, float),
            max_esearch_bytes=_number(env, "EVIDENCE_MAX_ESEARCH_BYTES", 16 * 1024 * 1024, int),
            max_efetch_bytes=_number(env, "EVIDENCE_MAX_EFETCH_BYTES", 64 * 1024 * 1024, int),
            max_attempts=_number(env, "EVIDENCE_MAX_ATTEMPTS", 5, int),
            rate_file=Path(rate_file).expanduser() if rate_file else None,
        )
        default_db = sqlite_url(_at(found, DEFAULT_DATABASE_PATH))
        configured = found.path(config["database"]) if found and "database" in config else None
        db = database or env.get("EVIDENCE_DATABASE_URL") or _database(config, configured)
        watch = env.get("EVIDENCE_RETRACTION_WATCH_URL") or RETRACTION_WATCH_URL.format(
            email=eutils.email or PLACEHOLDER_EMAIL
        )
        source = env.get("EVIDENCE_SOURCE") or config.get("source") or "eutils"
        if source not in SOURCES:
            raise ConfigError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        return cls(
            source=source,
            mirror_updates_url=env.get("EVIDENCE_MIRROR_URL")
            or config.get("mirror_url")
            or NLM_UPDATES_URL,
            database_url=as_database_url(db or default_db),
            eutils=eutils,
            reviewer=env.get("EVIDENCE_REVIEWER") or config.get("reviewer") or None,
            project=found,
            claims_file=_setting_path(found, config, "claims", DEFAULT_CLAIMS_FILE),
            reports_dir=_setting_path(found, config, "reports", DEFAULT_REPORTS_DIR),
            default_database_url=default_db,
            retraction_watch_url=watch,
            deadline=_duration(env, "EVIDENCE_DEADLINE"),
            secret_key=Secret(env["EVIDENCE_SECRET_KEY"])
            if env.get("EVIDENCE_SECRET_KEY")
            else None,
        )

    @property
    def database_is_default(self) -> bool:
        """True for the default location (the project's ``data/evidence.db``), whose folder
        may be created."""
        return self.database_url == self.default_database_url

    def with_eutils(self, **changes: object) -> Settings:
        """A copy with some E-utilities settings changed (used by tests)."""
        return replace(self, eutils=replace(self.eutils, **changes))  # type: ignore[arg-type]


def _at(project: Project | None, relative: Path) -> Path:
    """``relative`` inside the project folder, or as it is (relative to the working folder)."""
    return project.root / relative if project else relative


def _setting_path(
    project: Project | None, config: Mapping[str, str], key: str, default: Path
) -> Path:
    if project is not None and key in config:
        return project.path(config[key])
    return _at(project, default)


def _database(config: Mapping[str, str], configured: Path | None) -> str | None:
    """evidence.toml's database: a URL as it is, a path relative to the project."""
    value = config.get("database")
    if value is None:
        return None
    return value if "://" in value else str(configured)


def _number(env: Mapping[str, str], name: str, default: N, kind: Callable[[str], N]) -> N:
    """A positive number from the environment, or ConfigError naming the variable."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, not {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number, not {raw!r}")
    return value


def _duration(env: Mapping[str, str], name: str) -> float | None:
    """A duration (``90s``, ``20m``, ``1h``) from the environment, or ConfigError naming it."""
    raw = env.get(name)
    if not raw:
        return None
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def default_rate_file(base_url: str) -> Path:
    """This user's rate file for an E-utilities host and port, in the temp directory.

    Processes talking to the same server share it (and so NCBI's budget); servers on other
    hosts or ports (test servers) get their own.
    """
    parts = urlsplit(base_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.hostname or "localhost")
    return Path(tempfile.gettempdir()) / f"evidence-eutils-{host}-{port}-{os.getuid()}.rate"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def as_database_url(value: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as SQLite)."""
    if "://" in value:
        return value
    return sqlite_url(Path(value))
