"""Stance suggestions on PubMedQA: tune on even PMIDs, measure on odd ones.

PubMedQA's 1,000 expert-labelled questions (``ori_pqal.json``) become claim-study pairs:
the QUESTION is the claim, and the study is an ``Article`` whose abstract sections are the
CONTEXTS (with their LABELS) plus the LONG_ANSWER as a CONCLUSIONS section. Gold labels:
yes = supports, no = contradicts, maybe = inconclusive.

The thresholds of ``evidence.stance`` (and the majority class of the baseline) are chosen
on the even PMIDs only; accuracy and macro-F1 are reported on the odd PMIDs. Prints a table
and writes ``results/stance.json``. Run: ``.venv/bin/python benchmarks/bench_stance.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evidence.domain.records import AbstractSection, Article
from evidence.stance import DEFAULT_PARAMS, METHOD, VERSION, StanceParams
from evidence.stance.suggest import Evidence, decide, read_evidence

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("EVIDENCE_SHARED_DIR") or HERE.parents[1] / "shared")
DATA = SHARED / "pubmedqa" / "data" / "ori_pqal.json"
GOLD = {"yes": "supports", "no": "contradicts", "maybe": "inconclusive"}
LABELS = ("supports", "contradicts", "inconclusive")
GRID = {
    "negative_threshold": (0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.8),
    "hedge_threshold": (0.5, 0.6, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 99.0),
    "min_relevance": (0.0, 0.05, 0.1, 0.15),
    "flip_negated_claim": (True, False),
    "later_sentences_weight": (0.25, 0.5, 0.75, 1.0),
}


def load(path: Path) -> dict[str, dict[str, Any]]:
    """PubMedQA's records by PMID."""
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def to_article(pmid: str, item: dict[str, Any]) -> Article:
    """A PubMedQA item as an Article: contexts as sections, long answer as CONCLUSIONS."""
    sections = [
        AbstractSection(text, label, label)
        for text, label in zip(item["CONTEXTS"], item["LABELS"], strict=True)
    ]
    sections.append(AbstractSection(item["LONG_ANSWER"], "CONCLUSIONS", "CONCLUSIONS"))
    return Article(
        pmid=pmid,
        title="",
        abstract=" ".join(s.text for s in sections),
        abstract_sections=tuple(sections),
        mesh_headings=(),
    )


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and per-label F1 over the three gold labels.

    A prediction outside them (``not-relevant``) counts as an error.
    """
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    f1s = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    result = {"accuracy": round(accuracy, 4), "macro_f1": round(sum(f1s) / len(f1s), 4)}
    result.update({f"f1_{label}": round(f1, 4) for label, f1 in zip(LABELS, f1s, strict=True)})
    return result


def tune(evidence: Sequence[Evidence], gold: Sequence[str]) -> StanceParams:
    """The grid point with the best mean of accuracy and macro-F1 on ``evidence``.

    Accuracy alone would never suggest ``inconclusive`` (the rarest class); macro-F1
    alone sacrifices too much accuracy. The first best grid point wins ties.
    """
    best: tuple[float, float, StanceParams] | None = None
    for values in itertools.product(*GRID.values()):
        params = StanceParams(**dict(zip(GRID, values, strict=True)))  # type: ignore[arg-type]
        result = scores(gold, [decide(e, params)[0] for e in evidence])
        objective = (result["accuracy"] + result["macro_f1"]) / 2
        if best is None or objective > best[0]:
            best = (objective, result["accuracy"], params)
    assert best is not None
    return best[2]


def run(path: Path) -> dict[str, Any]:
    """Tune on even PMIDs, evaluate on odd ones; the figures as a dict."""
    data = load(path)
    split: dict[str, list[tuple[Evidence, str]]] = {"even": [], "odd": []}
    for pmid, item in data.items():
        evidence = read_evidence(item["QUESTION"], to_article(pmid, item))
        split["even" if int(pmid) % 2 == 0 else "odd"].append(
            (evidence, GOLD[item["final_decision"]])
        )
    even_ev, even_gold = zip(*split["even"], strict=True)
    odd_ev, odd_gold = zip(*split["odd"], strict=True)
    majority = Counter(even_gold).most_common(1)[0][0]
    tuned = tune(even_ev, even_gold)
    return {
        "date": dt.date.today().isoformat(),
        "method": METHOD,
        "version": VERSION,
        "records": {"even": len(even_gold), "odd": len(odd_gold)},
        "label_distribution": {
            k: dict(Counter(v)) for k, v in (("even", even_gold), ("odd", odd_gold))
        },
        "majority_class": majority,
        "tuned_params": asdict(tuned),
        "default_params": asdict(DEFAULT_PARAMS),
        "odd": {
            "majority baseline": scores(odd_gold, [majority] * len(odd_gold)),
            "evidence.stance (tuned on even)": scores(
                odd_gold, [decide(e, tuned)[0] for e in odd_ev]
            ),
            "evidence.stance (shipped defaults)": scores(
                odd_gold, [decide(e, DEFAULT_PARAMS)[0] for e in odd_ev]
            ),
        },
        "even (tuning split)": {
            "evidence.stance (tuned on even)": scores(
                even_gold, [decide(e, tuned)[0] for e in even_ev]
            ),
        },
    }


def print_table(result: dict[str, Any]) -> None:
    """The odd-split figures as a Markdown table on stdout."""
    print(
        "| method (odd PMIDs) | accuracy | macro-F1 | F1 supports | F1 contradicts | F1 inconcl. |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, f in result["odd"].items():
        print(
            f"| {name} | {f['accuracy']:.1%} | {f['macro_f1']:.3f} | {f['f1_supports']:.3f} "
            f"| {f['f1_contradicts']:.3f} | {f['f1_inconclusive']:.3f} |"
        )
    print(f"\nlabel distribution: {result['label_distribution']}")
    print(f"tuned on even PMIDs: {result['tuned_params']}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "stance.json")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(
            f"PubMedQA not found at {args.data}: skipped (set EVIDENCE_SHARED_DIR)", file=sys.stderr
        )
        return 0
    result = run(args.data)
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
