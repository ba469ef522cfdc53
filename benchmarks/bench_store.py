"""Storing parsed records: our ingest path vs a naive ORM add + commit per row.

The records are the real ones of ``../shared/pubmed/corpus/efetch-distinct.xml.gz``, parsed
once with ``evidence``'s parser, then repeated under new PMIDs (50,000,000 upwards, their raw
XML renumbered too) to 10,000 and 100,000 records, made a batch at a time outside the timing.
Both paths store the same rows (the record with its grade columns, its authors, publication
types, MeSH headings and links):

- **evidence**: :func:`evidence.store.writes.store_articles` on batches of 500 records, one
  transaction each, as a refresh stores an efetch answer;
- **naive ORM**: one ``Article`` object (and its child objects) per record,
  ``session.add`` then ``session.commit`` for each record.

Each batch is graded (:func:`evidence.services.records.grade_columns`) first, then stored;
the two are timed apart. The main figure is **storing** alone (grades computed beforehand,
outside its timing: grading is not this benchmark's subject and gets faster on its own);
"grade + store" adds the grading, as :func:`evidence.services.records.store_records` does.

Figures are CPU seconds of this process (user + system: the SQLite library runs in it;
PostgreSQL's server work is not counted, so its rows say "client CPU"). The naive path
is timed on its first 2,000 records at most (at ~100 records/CPU-s, 100,000 would take
minutes), said in the table. PostgreSQL runs when ``EVIDENCE_TEST_POSTGRES_URL`` is set,
each run in a database of its own, dropped afterwards.

    python benchmarks/bench_store.py [--quick] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.bench_refresh_scale import CORPUS, FIRST_PMID, renumbered  # noqa: E402
from evidence.domain.audit import utcnow  # noqa: E402
from evidence.domain.records import Article  # noqa: E402
from evidence.services.records import grade_columns  # noqa: E402
from evidence.sources.pubmed_xml.parser import parse_articles  # noqa: E402
from evidence.store import models, writes  # noqa: E402
from evidence.store.db import Database  # noqa: E402

BATCH = 500
NAIVE_CAP = 2_000
FULL_SIZES = (10_000, 100_000)
QUICK_SIZES = (10_000,)
TARGET_RATE = 15_000  # records per CPU-second, SQLite (issue 15)
TARGET_FACTOR = 30  # times the naive ORM baseline
STORE_RATE = "records_per_cpu_second"
BOTH_RATE = "grade_and_store_records_per_cpu_second"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "store.json"


def templates() -> list[Article]:
    """The corpus's records, parsed once, deleted citations left out."""
    return [
        a for a in parse_articles(gzip.decompress(CORPUS.read_bytes())) if isinstance(a, Article)
    ]


def batches(base: Sequence[Article], size: int, batch: int = BATCH) -> Iterator[list[Article]]:
    """``size`` records cycling through ``base`` under new PMIDs, ``batch`` at a time."""
    for start in range(0, size, batch):
        yield [
            _copy(base[i % len(base)], str(FIRST_PMID + i))
            for i in range(start, min(size, start + batch))
        ]


def _copy(article: Article, pmid: str) -> Article:
    return replace(article, pmid=pmid, raw_xml=renumbered(article.raw_xml, pmid))


def cpu() -> float:
    """CPU seconds of this process so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


Grades = dict[str, dict[str, Any]]
StoreBatch = Callable[[list[Article], Grades], None]
Way = Callable[[Database], AbstractContextManager[StoreBatch]]


@contextmanager
def ours(db: Database) -> Iterator[StoreBatch]:
    """Store a graded batch with :func:`writes.store_articles` in one transaction."""

    def store(batch: list[Article], grades: Grades) -> None:
        with db.session(write=True) as session:
            writes.store_articles(session, batch, grades)

    yield store


@contextmanager
def naive(db: Database) -> Iterator[StoreBatch]:
    """Store a graded batch as ORM objects, one add + commit per record."""
    with Session(db.engine) as session:

        def store(batch: list[Article], grades: Grades) -> None:
            for article in batch:
                _add_naively(session, article, grades[article.pmid])
                session.commit()

        yield store


def _add_naively(session: Session, article: Article, grades: dict[str, Any]) -> None:
    row = dict(zip(writes.ARTICLE_COLUMNS, writes._article_row(article, utcnow()), strict=True))
    session.add(models.Article(**grades, **row))
    for model, columns, rows_of in writes.CHILD_ROWS:
        session.add_all(
            model(**dict(zip(columns, child, strict=True))) for child in rows_of(article)
        )


def timed(db: Database, way: Way, base: Sequence[Article], size: int) -> tuple[float, float]:
    """CPU seconds (grading, storing) of ``size`` records: each batch graded, then stored."""
    grading = storing = 0.0
    with way(db) as store:
        for batch in batches(base, size):
            started = cpu()
            grades = {a.pmid: grade_columns(a) for a in batch}
            graded = cpu()
            store(batch, grades)
            grading += graded - started
            storing += cpu() - graded
    return grading, storing


@contextmanager
def database(kind: str) -> Iterator[Database]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL database of its own."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'store.db'}")
            try:
                yield db
            finally:
                db.dispose()
        return
    admin_url = os.environ["EVIDENCE_TEST_POSTGRES_URL"]
    name = f"evidence_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(kind: str, way: Way, base: list[Article], n: int) -> dict[str, float | int]:
    """One path on one fresh database: storing's CPU seconds and records per CPU-second,
    the same with grading added, and the wall seconds of it all."""
    with database(kind) as db:
        wall = time.perf_counter()
        grading, storing = timed(db, way, base, n)
        wall = time.perf_counter() - wall
    both = grading + storing
    return {"records": n, "cpu_seconds": round(storing, 2),
            "records_per_cpu_second": round(n / max(storing, 1e-9)),
            "grade_and_store_cpu_seconds": round(both, 2),
            "grade_and_store_records_per_cpu_second": round(n / max(both, 1e-9)),
            "wall_seconds": round(wall, 2)}  # fmt: skip


def kinds() -> list[str]:
    """SQLite, and PostgreSQL when EVIDENCE_TEST_POSTGRES_URL is set."""
    return ["sqlite"] + (["postgresql"] if os.environ.get("EVIDENCE_TEST_POSTGRES_URL") else [])


def section(quick: bool, sizes: Sequence[int] | None = None) -> tuple[str, dict[str, object]]:
    """Run the benchmark: its Markdown (no heading: the harness adds one) and its figures
    (``quick``: 10k records only)."""
    if not CORPUS.exists():
        return f"Skipped: {CORPUS} is absent.\n", {"skipped": "no corpus"}
    base = templates()
    rows = []
    for kind in kinds():
        for n in sizes or (QUICK_SIZES if quick else FULL_SIZES):
            ours_run = measure(kind, ours, base, n)
            naive_run = measure(kind, naive, base, min(n, NAIVE_CAP))
            rows.append(
                {
                    "database": kind,
                    "records": n,
                    "evidence": ours_run,
                    "naive_orm": naive_run,
                    "factor": _factor(ours_run, naive_run, STORE_RATE),
                    "grade_and_store_factor": _factor(ours_run, naive_run, BOTH_RATE),
                }
            )
    data: dict[str, object] = {"distinct_records": len(base), "batch": BATCH, "rows": rows,
                               "target_records_per_cpu_second": TARGET_RATE,
                               "target_factor": TARGET_FACTOR}  # fmt: skip
    return _markdown(rows, len(base)), data


def _factor(ours_run: dict[str, float | int], naive_run: dict[str, float | int], key: str) -> float:
    return round(ours_run[key] / max(naive_run[key], 1), 1)


def _markdown(rows: Sequence[dict[str, object]], distinct: int) -> str:
    lines = [
        f"The corpus's {distinct:,} distinct parsed records repeated under new PMIDs;"
        f" evidence's `store_articles` in transactions of {BATCH} vs a naive ORM add + commit"
        f" per record (timed on {NAIVE_CAP:,} records at most). CPU seconds of the storing"
        " process (for PostgreSQL the client's only). **Store**: grades computed beforehand,"
        " outside the timing (the main figure); **grade + store**: with the grading, as"
        " `store_records` does.",
        "",
        "| database | records | store CPU s | store rec/CPU-s | naive store rec/CPU-s"
        " (records timed) | factor | grade + store rec/CPU-s | naive grade + store rec/CPU-s"
        " | factor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ours_run, naive_run = row["evidence"], row["naive_orm"]
        assert isinstance(ours_run, dict) and isinstance(naive_run, dict)
        lines.append(
            f"| {row['database']} | {row['records']:,} | {ours_run['cpu_seconds']:.1f}"
            f" | {ours_run['records_per_cpu_second']:,} | {naive_run['records_per_cpu_second']:,}"
            f" ({naive_run['records']:,}) | {row['factor']}x"
            f" | {ours_run['grade_and_store_records_per_cpu_second']:,}"
            f" | {naive_run['grade_and_store_records_per_cpu_second']:,}"
            f" | {row['grade_and_store_factor']}x |"
        )
    lines += [
        "",
        f"Targets (issue 15, SQLite, storing): >= {TARGET_RATE:,} records per CPU-second and"
        f" >= {TARGET_FACTOR}x the naive baseline.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records only")
    parser.add_argument("--sizes", help="comma-separated record counts (default 10k,100k)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent", file=sys.stderr)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    text_out, data = section(args.quick, sizes)
    print(f"## Storing parsed records\n\n{text_out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
