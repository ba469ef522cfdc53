"""Link annotation (relevance, key sentence, suggested stance): old against new, side by side.

Every record of ``../shared/pubmed/corpus/efetch-distinct.xml.gz`` is annotated against
every claim of ``queries/*.toml`` (as ``services.refresh`` does: the statement and the words
of the claim's query terms) twice: by the frozen pre-rewrite code in
``tests/reference_stance`` and by ``evidence.services.annotate``, in one process, the order
alternating over ``--repeat`` rounds, every ``functools.lru_cache`` of both emptied before
each timed pass (a refresh annotates a link once). Asserts the outputs are equal, prints
CPU seconds per pass and the ratio, and the load average.

    python benchmarks/bench_annotate.py [--limit N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.reference_stance when run as a script

import tests.reference_stance as reference  # noqa: E402
from evidence import stance  # noqa: E402
from evidence.domain.claims import load_claims  # noqa: E402
from evidence.domain.records import Article  # noqa: E402
from evidence.services import annotate  # noqa: E402
from evidence.sources.pubmed_xml.parser import parse_articles  # noqa: E402

CORPUS = ROOT.parent / "shared" / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
Claim = tuple[str, tuple[str, ...]]
Annotate = Callable[[Sequence[Claim], Sequence[Article]], list[dict[str, Any]]]


def claims() -> list[Claim]:
    """(statement, query-term words) of every claim in ``queries/*.toml``."""
    out = []
    for path in sorted((ROOT / "queries").glob("*.toml")):
        for spec in load_claims(path).claims:
            terms = tuple(t for q in spec.queries for t in stance.query_terms(q.term))
            out.append((spec.statement, terms))
    return out


def run_reference(pairs: Sequence[Claim], articles: Sequence[Article]) -> list[dict[str, Any]]:
    """The frozen pre-rewrite annotation of every claim x article."""
    return [reference.annotation(s, t, a) for s, t in pairs for a in articles]


def run_current(pairs: Sequence[Claim], articles: Sequence[Article]) -> list[dict[str, Any]]:
    """``evidence.services.annotate.annotation`` of every claim x article."""
    return [annotate.annotation(s, t, a) for s, t in pairs for a in articles]


def clear_caches(*modules: ModuleType) -> None:
    """Empty every lru_cache defined at module level in ``modules``."""
    for module in modules:
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def _modules() -> list[ModuleType]:
    names = [n for n in sys.modules if n.startswith(("evidence.stance", "tests.reference_stance"))]
    return [sys.modules[n] for n in names]


def timed(run: Annotate, pairs: Sequence[Claim], articles: Sequence[Article]) -> float:
    """CPU seconds of one pass of ``run``, caches emptied first."""
    clear_caches(*_modules())
    start = time.process_time()
    run(pairs, articles)
    return time.process_time() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N records only")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    articles = parse_articles(gzip.decompress(CORPUS.read_bytes()))
    articles = articles[: args.limit] if args.limit else articles
    pairs = claims()
    assert run_reference(pairs, articles) == run_current(pairs, articles), "outputs differ"
    old, new = [], []
    for i in range(args.repeat):
        order = [(run_reference, old), (run_current, new)]
        for run, out in order if i % 2 == 0 else order[::-1]:
            out.append(timed(run, pairs, articles))
    links = len(pairs) * len(articles)
    best_old, best_new = min(old), min(new)
    print(f"{len(articles)} records x {len(pairs)} claims = {links} links")
    print(f"old: {best_old:.2f} CPU-s ({1e6 * best_old / links:.0f} us/link) {old}")
    print(f"new: {best_new:.2f} CPU-s ({1e6 * best_new / links:.0f} us/link) {new}")
    print(f"speed-up: {best_old / best_new:.2f}x; load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
