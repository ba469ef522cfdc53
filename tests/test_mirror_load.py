"""Loading NLM files into the mirror: order, revisions, deletions, versions, checksums, and
loads that stop half-way (an exception, kill -9) and resume."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.domain.errors import MirrorLoadError
from evidence.services import mirror as service
from evidence.sources.base import SearchQuery
from evidence.store.db import Database
from evidence.store.mirror import load as store
from tests.mirror_support import BASELINE, UPDATES, loaded_mirror, mirror_source
from tests.mirror_xml import Rec, deletion, document

ROOT = Path(__file__).resolve().parents[1]
TERMS = ["ketamine[tiab]", "humans", '"Ketamine"[mh]', "NMDA[tiab]", "2000:3000[dp]"]


def state(db: Database) -> dict[str, object]:
    """Everything a load leaves: records (key, file), tombstones, files, and search answers."""
    source = mirror_source(db)
    with db.session() as session:
        conn = session.connection()
        records = conn.exec_driver_sql("SELECT key, file_id, raw FROM mirror_records").all()
        tombstones = conn.exec_driver_sql("SELECT pmid, file_id FROM mirror_deletions").all()
        files = [(f.name, f.status, f.upserted, f.deleted) for f in store.files(session)]
    return {
        "records": sorted((k, f, hashlib.sha256(r).hexdigest()) for k, f, r in records),
        "tombstones": sorted(tombstones),
        "files": files,
        "answers": {t: source.search(SearchQuery(t)).pmids for t in TERMS},
    }


def test_the_last_copy_wins_deletions_leave_tombstones_versions_stay_apart(
    database_url: str,
) -> None:
    db = loaded_mirror(database_url)
    with db.session() as session:
        summary = store.summary(session)
        conn = session.connection()
        keys = sorted(k for (k,) in conn.exec_driver_sql("SELECT key FROM mirror_records"))
        tombstone = conn.exec_driver_sql(
            "SELECT f.name FROM mirror_deletions d JOIN mirror_files f ON f.id = d.file_id"
            " WHERE d.pmid = 105"
        ).scalar()
    assert summary.records == 13 and summary.deleted == 1
    assert summary.snapshot == "baseline 2026 + update 0003"
    assert [(f.name, f.kind, f.status) for f in summary.files] == [
        ("pubmed26n0001.xml", "baseline", "done"),
        ("pubmed26n0002.xml", "baseline", "done"),
        ("pubmed26n0003.xml", "update", "done"),
    ]
    assert 10501 not in keys and tombstone == "pubmed26n0003.xml"
    assert 10701 in keys and 10702 in keys  # PMID 107 versions 1 and 2, kept apart
    articles = {a.pmid: a for b in mirror_source(db).fetch(["104", "106"]) for a in b.articles}
    assert articles["104"].title == "Opioid sparing after surgery: updated"  # baseline file 2
    assert articles["106"].title == "Final report on esketamine in fibromyalgia"  # update
    source = mirror_source(db)
    assert source.search(SearchQuery('"preliminary report"[ti]')).pmids == ()  # old text gone
    assert source.search(SearchQuery("migraine")).pmids == ()  # the deleted record's text
    db.dispose()


def test_within_one_file_the_last_copy_wins_and_a_deleted_pmid_can_come_back(
    tmp_path: Path,
) -> None:
    baseline, updates = tmp_path / "baseline", tmp_path / "updatefiles"
    baseline.mkdir()
    updates.mkdir()
    twice = [Rec(500, "First copy of 500"), Rec(501, "Another"), Rec(500, "Second copy of 500")]
    (baseline / "pubmed26n0001.xml").write_bytes(document(twice))
    (updates / "pubmed26n0002.xml").write_bytes(document([deletion(501)]))
    (updates / "pubmed26n0003.xml").write_bytes(document([Rec(501, "501 is back")]))
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    service.load(db, [baseline, updates / "pubmed26n0002.xml"])
    source = mirror_source(db)
    assert [b.deleted for b in source.fetch(["501"])] == [frozenset({"501"})]
    service.load(db, [updates])
    articles = {a.pmid: a for b in source.fetch(["500", "501"]) for a in b.articles}
    assert articles["500"].title == "Second copy of 500"
    assert articles["501"].title == "501 is back"
    assert [b.deleted for b in source.fetch(["501"])] == [frozenset()]  # tombstone gone
    assert source.search(SearchQuery('"first copy"[ti]')).pmids == ()
    db.dispose()


def test_loading_a_file_twice_changes_nothing(database_url: str) -> None:
    db = loaded_mirror(database_url)
    before = state(db)
    again = service.load(db, [BASELINE, UPDATES])
    assert [f.status for f in again.files] == ["skipped"] * 3
    assert state(db) == before
    db.dispose()


def test_a_load_stopped_by_an_error_resumes_at_the_batch_it_stopped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = loaded_mirror(f"sqlite:///{tmp_path / 'clean.db'}", batch_size=2)
    expected = state(clean)
    clean.dispose()

    db = Database(f"sqlite:///{tmp_path / 'crash.db'}")
    real = store.write_batch
    calls: list[int] = []

    def crash_on_the_second_batch(*args: object, **kw: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected crash")
        real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write_batch", crash_on_the_second_batch)
    with pytest.raises(RuntimeError, match="injected"):
        service.load(db, [BASELINE, UPDATES], batch_size=2)
    with db.session() as session:
        [started] = store.files(session)
    assert (started.status, started.records_done, started.upserted) == ("loading", 2, 2)

    monkeypatch.setattr(store, "write_batch", real)
    resumed = service.load(db, [BASELINE, UPDATES], batch_size=2)
    assert (resumed.files[0].status, resumed.files[0].records) == ("resumed", 9)
    assert state(db) == expected
    db.dispose()


def test_a_load_killed_with_sigkill_resumes_and_ends_as_a_clean_load(tmp_path: Path) -> None:
    folder = tmp_path / "baseline"
    folder.mkdir()
    records = [
        Rec(200000 + i, f"Ketamine trial number {i}", "Pain fell." * 20) for i in range(4000)
    ]
    (folder / "pubmed26n0001.xml").write_bytes(document(records))
    db_path = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-c", "from evidence.cli.main import main; main()",
        "--db", str(db_path), "mirror", "load", "--batch", "100", str(folder),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(db_path, timeout=1) as conn:
                row = conn.execute("SELECT records_done FROM mirror_files").fetchone()
            done = row[0] if row else 0
        except sqlite3.Error:
            done = 0
        if done >= 300:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < done < 4000, "the load finished (or never started) before the kill"

    db = Database(f"sqlite:///{db_path}")
    with db.session() as session:
        [killed] = store.files(session)
    assert killed.status == "loading" and killed.records_done % 100 == 0
    resumed = service.load(db, [folder], batch_size=100)
    assert resumed.files[0].status == "resumed"
    with db.session() as session:
        [finished] = store.files(session)
        count = store.summary(session).records
    assert (finished.status, finished.records_done, finished.upserted, count) == (
        "done", 4000, 4000, 4000,
    )  # fmt: skip
    assert mirror_source(db).search(SearchQuery('"trial number 3999"[ti]')).pmids == ("203999",)
    with db.session() as session:  # the FTS5 index agrees with its content, row by row
        session.connection().exec_driver_sql(
            "INSERT INTO mirror_fts(mirror_fts) VALUES('integrity-check')"
        )
    assert "mirror_fts" in "\n".join(sqlite3.connect(db_path).iterdump())  # dumps and backs up
    db.dispose()


def test_the_worker_process_path_loads_the_same_as_the_inline_one(tmp_path: Path) -> None:
    inline = loaded_mirror(f"sqlite:///{tmp_path / 'inline.db'}")
    worker = Database(f"sqlite:///{tmp_path / 'worker.db'}")
    service.load(worker, [BASELINE, UPDATES], batch_size=4, parallel=True)
    assert state(worker) == state(inline)
    inline.dispose()
    worker.dispose()


def test_gzip_files_and_nlm_checksums(tmp_path: Path) -> None:
    folder = tmp_path / "baseline"
    folder.mkdir()
    packed = folder / "pubmed26n0001.xml.gz"
    packed.write_bytes(gzip.compress((BASELINE / "pubmed26n0001.xml").read_bytes()))
    digest = hashlib.md5(packed.read_bytes()).hexdigest()
    (folder / "pubmed26n0001.xml.gz.md5").write_text(f"MD5(pubmed26n0001.xml.gz)= {digest}\n")
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    service.load(db, [folder])
    with db.session() as session:
        [loaded] = store.files(session)
    assert (loaded.md5, loaded.md5_checked, loaded.upserted) == (digest, True, 11)

    second = folder / "pubmed26n0002.xml.gz"
    second.write_bytes(gzip.compress((BASELINE / "pubmed26n0002.xml").read_bytes()))
    (folder / "pubmed26n0002.xml.gz.md5").write_text(f"MD5(pubmed26n0002.xml.gz)= {'0' * 32}\n")
    with pytest.raises(MirrorLoadError, match="does not match NLM's"):
        service.load(db, [second])
    with db.session() as session:
        assert [f.name for f in store.files(session)] == ["pubmed26n0001.xml.gz"]
    db.dispose()


def test_files_load_in_nlm_order_and_a_changed_file_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    service.load(db, [UPDATES])
    with pytest.raises(MirrorLoadError, match=r"older than pubmed26n0003\.xml"):
        service.load(db, [BASELINE / "pubmed26n0002.xml"])
    changed = tmp_path / "updatefiles" / "pubmed26n0003.xml"
    changed.parent.mkdir()
    shutil.copy(UPDATES / "pubmed26n0003.xml", changed)
    with changed.open("ab") as out:
        out.write(b"\n")
    with pytest.raises(MirrorLoadError, match="not the same file"):
        service.load(db, [changed])
    db.dispose()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.xml", b"<PubmedArticleSet/>", "not an NLM file name"),
        ("pubmed26n0001.xml", b"<html><body>nope</body></html>" + b" " * 5000, "not an NLM"),
        (
            "pubmed26n0001.xml",
            b'<!DOCTYPE x [<!ENTITY a "b">]><PubmedArticleSet>' + b" " * 5000,
            "declares entities",
        ),
        ("pubmed26n0001.xml", b"<PubmedArticleSet><PubmedArticle><MedlineCitation>", "truncated"),
    ],
)
def test_files_that_are_not_nlm_pubmed_xml_are_refused(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    with pytest.raises(MirrorLoadError, match=message):
        service.load(db, [path])
    db.dispose()


def test_a_new_sqlite_mirror_has_16k_pages_and_an_old_database_keeps_its_own(
    tmp_path: Path,
) -> None:
    new = loaded_mirror(f"sqlite:///{tmp_path / 'new.db'}")
    new.dispose()
    old_path = tmp_path / "old.db"
    sqlite3.connect(old_path).execute("CREATE TABLE t (x)").connection.close()  # 4 kB pages
    old = Database(f"sqlite:///{old_path}")
    with old.engine.connect() as conn:  # connecting does not try to change it
        conn.exec_driver_sql("SELECT 1")
    old.dispose()
    page_size = "PRAGMA page_size"
    assert sqlite3.connect(tmp_path / "new.db").execute(page_size).fetchone() == (16384,)
    assert sqlite3.connect(old_path).execute(page_size).fetchone() == (4096,)
