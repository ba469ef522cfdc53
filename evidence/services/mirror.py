"""The local PubMed mirror's operations: load files, load MeSH, sync updates, describe, compare.

Loading streams each file (a worker process prepares the records while this one writes) and
commits every batch with the file's progress, so a load stopped anywhere (an error, Ctrl-C,
``kill -9``) resumes at the record it stopped at; a file already loaded is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import queue
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from evidence.domain.claims import ClaimsFile
from evidence.domain.errors import MirrorLoadError, SourceError
from evidence.domain.mirror import (
    DeletedRecord,
    MirrorFileName,
    MirrorSummary,
    Prepared,
    PreparedRecord,
    parse_file_name,
)
from evidence.sources.base import SearchQuery, Source
from evidence.sources.mirror import download, mesh
from evidence.sources.mirror.records import prepared_batches, produce
from evidence.store.db import Database
from evidence.store.mirror import load as store

log = logging.getLogger("evidence.mirror")

BATCH = 2000
PARALLEL_FROM = 4 << 20  # files this large (bytes) are prepared in a worker process
COURTESY = "Courtesy of the U.S. National Library of Medicine."
NOT_CURRENT = (
    "NLM's baseline and update files may not reflect the most current or accurate data"
    " available from NLM: check important records on PubMed itself."
)
NOT_ENDORSED = (
    "This product uses publicly available data from the U.S. National Library of Medicine"
    " (NLM), National Institutes of Health, Department of Health and Human Services; NLM is"
    " not responsible for the product and does not endorse or recommend this or any other"
    " product."
)
_MD5_LINE = re.compile(r"MD5\s*\((?P<name>[^)]+)\)\s*=\s*(?P<hex>[0-9a-fA-F]{32})")


@dataclass
class FileOutcome:
    """What loading one file did."""

    name: str
    status: str  # loaded | resumed | skipped
    records: int = 0
    upserted: int = 0
    deleted: int = 0
    seconds: float = 0.0


@dataclass
class LoadSummary:
    """Every file named, in load order."""

    files: list[FileOutcome] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)


Progress = Callable[[FileOutcome], None]


def mirror_files(paths: Sequence[Path]) -> list[tuple[Path, MirrorFileName]]:
    """The NLM files named or inside the folders named, in load order (year, then number)."""
    found: list[tuple[Path, MirrorFileName]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                name = parse_file_name(child.name)
                if name is not None and child.is_file():
                    found.append((child, name))
            continue
        if not path.is_file():
            raise MirrorLoadError(f"{path}: no such file or folder")
        name = parse_file_name(path.name)
        if name is None:
            raise MirrorLoadError(
                f"{path}: not an NLM file name (pubmedYYnNNNN.xml.gz or .xml expected)"
            )
        found.append((path, name))
    unique = {name.name: (path, name) for path, name in found}
    return sorted(unique.values(), key=lambda item: item[1].sort_key)


def load(
    db: Database,
    paths: Sequence[Path],
    *,
    kind: str | None = None,
    batch_size: int = BATCH,
    parallel: bool | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Load NLM baseline/update files into the mirror, in file order; see the module docstring.

    ``kind``: "baseline" or "update"; by default files in a folder named ``updatefiles`` are
    updates and the others baseline files.
    """
    summary = LoadSummary()
    for path, name in mirror_files(paths):
        outcome = load_file(
            db, path, name, kind=kind or _kind_of(path), batch_size=batch_size, parallel=parallel
        )
        summary.files.append(outcome)
        if progress:
            progress(outcome)
    return summary


def load_file(
    db: Database,
    path: Path,
    name: MirrorFileName,
    *,
    kind: str,
    batch_size: int = BATCH,
    parallel: bool | None = None,
) -> FileOutcome:
    """Load one file (or resume it, or skip it when it is loaded already)."""
    started = time.monotonic()
    md5 = file_md5(path)
    expected = expected_md5(path)
    if expected is not None and expected != md5:
        raise MirrorLoadError(
            f"{path.name}: MD5 {md5} does not match NLM's {expected} ({path.name}.md5):"
            " the file is damaged or incomplete; download it again"
        )
    with db.session() as session:
        state = store.file_state(session, path.name)
        if state is not None and state.md5 != md5:
            raise MirrorLoadError(
                f"{path.name}: already {'loaded' if state.status == 'done' else 'started'} with"
                f" MD5 {state.md5}, this copy has {md5}: not the same file"
            )
        if state is not None and state.status == "done":
            log.info("%s: already loaded; skipped", path.name)
            return FileOutcome(path.name, "skipped")
        if state is None:
            newer = [
                f.name
                for f in store.files(session)
                if (f.year, f.number) > (name.year, name.number)
            ]
            if newer:
                raise MirrorLoadError(
                    f"{path.name} is older than {newer[-1]}, loaded already: files load in NLM's"
                    " order (a newer copy of a record must not be replaced by an older one)"
                )
            released = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            file_id = store.start_file(
                session,
                store.NewFile(
                    path.name,
                    kind,
                    name.year,
                    name.number,
                    path.stat().st_size,
                    md5,
                    expected is not None,
                    released,
                ),
            )
            skip = 0
        else:
            file_id, skip = state.id, state.records_done
    outcome = FileOutcome(path.name, "resumed" if skip else "loaded")
    use_worker = parallel if parallel is not None else path.stat().st_size >= PARALLEL_FROM
    batches = _worker_batches if use_worker else prepared_batches
    done = skip
    for done, batch in batches(path, skip, batch_size):
        upserts, deletions = collapse(batch)
        _write(db, file_id, upserts, deletions, done)
        outcome.upserted += len(upserts)
        outcome.deleted += len(deletions)
    with db.session() as session:
        store.finish_file(session, file_id)
    outcome.records = done - skip
    outcome.seconds = time.monotonic() - started
    log.info(
        "%s: %d records (%d stored, %d deleted) in %.1fs",
        path.name,
        outcome.records,
        outcome.upserted,
        outcome.deleted,
        outcome.seconds,
    )
    return outcome


def collapse(batch: Sequence[Prepared]) -> tuple[list[PreparedRecord], list[int]]:
    """Each PMID's last state in a batch: the versions stored, or deleted (the last copy wins)."""
    state: dict[int, dict[int, PreparedRecord] | None] = {}
    for item in batch:
        if isinstance(item, DeletedRecord):
            state[item.pmid] = None
        else:
            versions = state.get(item.pmid) or {}
            versions[item.version] = item
            state[item.pmid] = versions
    upserts = [r for versions in state.values() if versions for r in versions.values()]
    deletions = [pmid for pmid, versions in state.items() if versions is None]
    return upserts, deletions


def _write(
    db: Database,
    file_id: int,
    upserts: list[PreparedRecord],
    deletions: list[int],
    done: int,
) -> None:
    with db.session() as session:
        store.write_batch(session, file_id, upserts, deletions, done)


def _worker_batches(path: Path, skip: int, size: int) -> Iterator[tuple[int, list[Prepared]]]:
    """:func:`prepared_batches` computed in a worker process, at most two batches ahead."""
    context = multiprocessing.get_context("spawn")
    channel: multiprocessing.Queue[object] = context.Queue(maxsize=2)
    worker = context.Process(target=produce, args=(str(path), skip, size, channel), daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = channel.get(timeout=5)
            except queue.Empty:
                if not worker.is_alive():
                    raise MirrorLoadError(f"{path.name}: the reading process died") from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise MirrorLoadError(item)
            assert isinstance(item, tuple)
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join(timeout=5)
        channel.close()


def _kind_of(path: Path) -> str:
    return "update" if "updatefiles" in {p.name for p in path.resolve().parents} else "baseline"


def file_md5(path: Path) -> str:
    """The file's MD5, hex."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_md5(path: Path) -> str | None:
    """NLM's MD5 from ``FILE.md5`` beside the file (``MD5(name)= hex``), or None without one."""
    md5_path = path.with_name(path.name + ".md5")
    if not md5_path.is_file():
        return None
    match = _MD5_LINE.search(md5_path.read_text(encoding="utf-8", errors="replace"))
    if match is None or match["name"].strip() != path.name:
        raise MirrorLoadError(f"{md5_path}: not NLM's checksum line for {path.name}")
    return match["hex"].lower()


def load_mesh(db: Database, path: Path) -> int:
    """Replace the mirror's MeSH tree by NLM's descriptor file; how many descriptors."""
    with db.session() as session:
        return store.replace_mesh(session, path.name, mesh.descriptors(path))


@dataclass
class SyncSummary:
    """The update files the listing had, those fetched, and what loading them did."""

    listed: int
    fetched: list[str]
    load: LoadSummary


def sync(db: Database, url: str, folder: Path | None = None) -> SyncSummary:
    """Fetch and load the update files newer than the newest file loaded."""
    names = [n for n in (parse_file_name(x) for x in download.listed_files(url)) if n]
    with db.session() as session:
        loaded = store.files(session)
    done = {f.name for f in loaded if f.status == "done"}
    newest = max(((f.year, f.number) for f in loaded), default=(0, 0))
    wanted = [n for n in names if n.name not in done and (n.year, n.number) >= newest]
    wanted.sort(key=lambda n: n.sort_key)
    summary = SyncSummary(len(names), [], LoadSummary())
    with tempfile.TemporaryDirectory(prefix="evidence-mirror-", dir=folder) as scratch:
        for name in wanted:
            path = download.download(url, name.name, Path(scratch))
            summary.fetched.append(name.name)
            outcome = load_file(db, path, name, kind="update")
            summary.load.files.append(outcome)
            path.unlink(missing_ok=True)
    return summary


@dataclass(frozen=True)
class MirrorInfo:
    """``evidence mirror info``: what the mirror holds and NLM's terms."""

    location: str
    summary: MirrorSummary
    size_bytes: int | None
    terms: tuple[str, ...] = (COURTESY, NOT_CURRENT, NOT_ENDORSED)


def info(db: Database, location: str) -> MirrorInfo:
    """The mirror's identity, counts, size and last file."""
    with db.session() as session:
        return MirrorInfo(location, store.summary(session), store.storage_bytes(session))


@dataclass(frozen=True)
class QueryComparison:
    """One query run live and on the mirror."""

    claim: str
    label: str
    term: str
    live_count: int | None
    mirror_count: int | None
    only_live: tuple[str, ...]
    only_mirror: tuple[str, ...]
    live_translation: str | None
    mirror_translation: str | None
    error: str | None = None

    @property
    def agree(self) -> bool:
        return self.error is None and not self.only_live and not self.only_mirror


def compare(
    live: Source, mirror: Source, claims: ClaimsFile, claim_ids: Sequence[str] = ()
) -> list[QueryComparison]:
    """Each query of the selected claims, run live and on the mirror, side by side."""
    out = []
    for claim in claims.claims:
        if claim_ids and claim.id not in claim_ids:
            continue
        for spec in claim.queries:
            query = SearchQuery(spec.full_term, spec.mindate, spec.maxdate, spec.datetype)
            try:
                remote = live.search(query)
                local = mirror.search(query)
            except SourceError as exc:
                out.append(
                    QueryComparison(
                        claim.id,
                        spec.label,
                        spec.full_term,
                        None,
                        None,
                        (),
                        (),
                        None,
                        None,
                        error=str(exc),
                    )
                )
                continue
            remote_ids, local_ids = set(remote.pmids), set(local.pmids)
            out.append(
                QueryComparison(
                    claim=claim.id,
                    label=spec.label,
                    term=spec.full_term,
                    live_count=remote.count,
                    mirror_count=local.count,
                    only_live=tuple(p for p in remote.pmids if p not in local_ids),
                    only_mirror=tuple(p for p in local.pmids if p not in remote_ids),
                    live_translation=remote.query_translation,
                    mirror_translation=local.query_translation,
                )
            )
    return out
