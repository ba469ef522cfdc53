"""Run the benchmark sections, print their tables and write docs/benchmarks.md.

    python -m benchmarks [--only parse,store,...] [--quick] [--no-doc]

Each section (see ``benchmarks/harness.py`` for the contract) runs in turn; its Markdown is
printed on stdout and saved with its figures, the date and the machine in
``benchmarks/results/<name>.json``. ``docs/benchmarks.md`` is then rebuilt from every saved
section, so ``--only parse`` refreshes the parsing tables and keeps the others (each says
when it ran). A section whose module is missing is noted and skipped; one that fails is
reported on stderr, the others still run, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from typing import Any

from benchmarks.harness import (
    DOC,
    RESULTS,
    SECTIONS,
    Section,
    describe,
    load,
    load_average,
    machine,
    now,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [section.name for section in SECTIONS]
    parser.add_argument("--only", default=",".join(names), help=f"comma-separated: {names}")
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes, not tens)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the doc")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; known: {names}")
    facts = machine()
    failed = 0
    for section in (s for s in SECTIONS if s.name in chosen):
        failed += not run(section, args.quick, facts)
    if not args.no_doc:
        DOC.write_text(compose())
        print(f"wrote {DOC}", file=sys.stderr)
    return 1 if failed else 0


def run(section: Section, quick: bool, facts: dict[str, Any]) -> bool:
    """Run one section, print its Markdown and save its result; False if it failed."""
    function = load(section)
    if function is None:
        print(
            f"{section.name}: benchmarks/{section.module}.py not present, skipped", file=sys.stderr
        )
        return True
    print(f"{section.name}: running ({'quick' if quick else 'full'} sizes)...", file=sys.stderr)
    started = time.perf_counter()
    facts = {**facts, "load_average": load_average()}  # this section's own start
    try:
        markdown, figures = function(quick)
    except Exception:  # a failing section must not lose the others' results
        traceback.print_exc()
        print(f"{section.name}: FAILED", file=sys.stderr)
        return False
    seconds = time.perf_counter() - started
    print(f"## {section.title}\n\n{markdown}\n", flush=True)
    result = {
        "section": section.name,
        "title": section.title,
        "date": now(),
        "quick": quick,
        "seconds": round(seconds, 1),
        "machine": {**facts, "load_average_end": load_average()},
        "markdown": markdown,
        "figures": figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{section.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{section.name}: done in {seconds:.0f} s", file=sys.stderr)
    return True


def compose() -> str:
    """docs/benchmarks.md from every section saved in benchmarks/results/."""
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`; `--only NAME,...` runs some sections,",
        "`--quick` small sizes) from `benchmarks/results/*.json`: do not edit by hand.",
        "CPU seconds are `user + sys` of the process doing the work, read when that process",
        "ends, so they hold on a busy machine; wall times do not. How each figure is made:",
        "[benchmarks/README.md](../benchmarks/README.md).",
        "",
    ]
    for section in SECTIONS:
        saved = _saved(section)
        parts += [f"## {section.title}", ""]
        if saved is None:
            parts += [f"Not run yet (`python -m benchmarks --only {section.name}`).", ""]
            continue
        size = "quick sizes (`--quick`)" if saved["quick"] else "full sizes"
        parts += [
            f"Run {saved['date']}, {size}, {saved['seconds']:.0f} s. Machine: "
            f"{describe(saved['machine'])}",
            "",
            saved["markdown"].strip(),
            "",
        ]
    return "\n".join(parts)


def _saved(section: Section) -> dict[str, Any] | None:
    """The section's saved result, if the harness wrote one."""
    path = RESULTS / f"{section.name}.json"
    if not path.is_file():
        return None
    saved: dict[str, Any] = json.loads(path.read_text())
    return saved if "markdown" in saved else None  # older files written by a script alone


if __name__ == "__main__":
    sys.exit(main())
