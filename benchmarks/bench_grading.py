"""Grading the shared corpus: the rules before issue 15's rewrite against today's, side by side.

``old`` is ``tests/reference_grading`` (a frozen copy of the grading modules before the
rewrite: every rule tried on every record, every wording regex searched); ``new`` is
``evidence.services.records.grade_columns``. Both grade all 3,150 records of
``../shared/pubmed/corpus/efetch-distinct.xml.gz`` (parsed once, untimed) in the same
process, alternating which goes first, for ``--rounds`` rounds; each figure is the least
CPU time (``time.process_time``) of its rounds, so a burst of load on the shared machine
inflates one round, not the result. The columns of both are compared first: the run stops
if any record differs. Records not indexed yet (graded from their wording) and indexed
ones are also timed apart.

    python -m benchmarks.bench_grading [--rounds 7]
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.harness import SHARED
from evidence.domain.records import Article
from evidence.grading.terms import Terms
from evidence.services.records import grade_columns
from evidence.sources.pubmed_xml.parser import parse_articles
from tests.reference_grading import grade_columns as reference_columns

CORPUS = SHARED / "pubmed" / "corpus" / "efetch-distinct.xml.gz"
Grader = Callable[[Article], dict[str, Any]]
CONTENDERS: dict[str, Grader] = {"old": reference_columns, "new": grade_columns}


def cpu_seconds(grader: Grader, articles: Sequence[Article]) -> float:
    """CPU seconds ``grader`` takes over ``articles``."""
    start = time.process_time()
    for article in articles:
        grader(article)
    return time.process_time() - start


def least_cpu(articles: Sequence[Article], rounds: int) -> dict[str, float]:
    """Each contender's least CPU seconds over ``rounds`` rounds, alternating the order."""
    best = dict.fromkeys(CONTENDERS, float("inf"))
    for round_ in range(rounds):
        names = list(CONTENDERS) if round_ % 2 == 0 else list(reversed(CONTENDERS))
        for name in names:
            best[name] = min(best[name], cpu_seconds(CONTENDERS[name], articles))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    articles = parse_articles(gzip.decompress(CORPUS.read_bytes()))
    differ = [a.pmid for a in articles if grade_columns(a) != reference_columns(a)]
    if differ:
        print(f"columns differ for {len(differ)} records, e.g. {differ[:5]}")
        return 1
    indexed = [a for a in articles if Terms.of(a).indexed]
    wording = [a for a in articles if not Terms.of(a).indexed]
    print(f"load average before: {os.getloadavg()}; {args.rounds} rounds, least CPU each")
    print("| records | n | old CPU s | new CPU s | old rec/CPU-s | new rec/CPU-s | old/new |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, group in (("all", articles), ("indexed", indexed), ("wording", wording)):
        best = least_cpu(group, args.rounds)
        old, new = best["old"], best["new"]
        print(
            f"| {label} | {len(group)} | {old:.3f} | {new:.3f} | {len(group) / old:,.0f} "
            f"| {len(group) / new:,.0f} | {old / new:.1f}x |"
        )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
