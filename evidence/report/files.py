"""Write report and export files: atomically, and every OS refusal as one ReportWriteError."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from evidence.domain.claims import CLAIM_ID as SLUG
from evidence.domain.errors import ReportWriteError


def folder_for(base: Path, name: str) -> Path:
    """``base/name`` for a name that comes from stored data (an article slug), re-validated
    here: a slug-shaped name, and a folder that resolves inside ``base``."""
    if not SLUG.fullmatch(name):
        raise ReportWriteError(
            f"refusing to write a report for the stored article {name!r}: not a valid slug"
            " (lowercase letters, digits, '-'); give the folder with --out"
        )
    target = base / name
    if not target.resolve().is_relative_to(base.resolve()):
        raise ReportWriteError(f"refusing to write {target}: it resolves outside {base}")
    return target


def make_folder(folder: Path, what: str) -> None:
    """Create ``folder`` (and its parents) if missing, or ReportWriteError naming it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(f"cannot create {what} {folder}: {exc.strerror or exc}") from exc


def write_atomically(path: Path, write: Callable[[Path], object], what: str) -> None:
    """Write a temporary file beside ``path`` (umask permissions), then rename it over.

    The folder must exist; on any OS error the temporary file is removed and
    ReportWriteError names ``path`` (never the temporary file) and the OS's reason.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        folder = path.parent
        if not folder.is_dir():
            problem = f"{folder} is not a folder" if folder.exists() else f"no folder {folder}"
            raise ReportWriteError(f"cannot write {what} {path}: {problem}")
        write(tmp)
        tmp.replace(path)
    except OSError as exc:
        _remove(tmp)
        raise ReportWriteError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path) -> None:
    """Remove a temporary file if it is there; a folder that refuses is not a second error."""
    with suppress(OSError):
        tmp.unlink(missing_ok=True)
