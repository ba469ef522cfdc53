"""Run a module under tracemalloc and write where its Python heap was at its peak.

    python benchmarks/trace_peak.py OUT.txt [-m] MODULE [ARGS...]

A thread samples the traced size every ``--every`` seconds and keeps a snapshot each time
the size passes the largest seen so far (by 2 %), so the snapshot kept is the heap near its
peak. ``OUT.txt`` gets the peak, the snapshot's size, its top allocation sites by line and
its top tracebacks (a few frames: who called the line). Memory outside Python's allocator
(SQLite's page cache, libxml2) is not traced: compare with the process's peak RSS.
"""

from __future__ import annotations

import runpy
import sys
import threading
import tracemalloc
from pathlib import Path

FRAMES = 6
EVERY = 0.05
TOP = 25


class PeakSnapshots:
    """A sampling thread that keeps the snapshot taken nearest the heap's peak."""

    def __init__(self, every: float = EVERY) -> None:
        self.every = every
        self.best: tracemalloc.Snapshot | None = None
        self.best_size = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        tracemalloc.start(FRAMES)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best_size * 1.02:
                self.best = tracemalloc.take_snapshot()
                self.best_size = current

    def stop(self) -> int:
        """Stop sampling; the traced peak in bytes."""
        self.stopped.set()
        self.thread.join()
        _, peak = tracemalloc.get_traced_memory()
        return peak

    def report(self, peak: int) -> str:
        lines = [
            f"traced peak: {peak / 2**20:.1f} MiB",
            f"snapshot: {self.best_size / 2**20:.1f} MiB",
        ]
        if self.best is None:
            return "\n".join(lines) + "\n"
        snapshot = self.best.filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        )
        lines += ["", "## top lines"]
        for stat in snapshot.statistics("lineno")[:TOP]:
            lines.append(f"{stat.size / 2**20:8.2f} MiB {stat.count:9d} blocks  {stat.traceback}")
        lines += ["", "## top tracebacks"]
        for stat in snapshot.statistics("traceback")[:TOP]:
            lines.append(f"{stat.size / 2**20:8.2f} MiB {stat.count:9d} blocks")
            lines += [f"    {frame}" for frame in stat.traceback.format()[-2 * FRAMES :]]
        return "\n".join(lines) + "\n"


def main() -> int:
    out, *rest = sys.argv[1:]
    module, *args = rest[1:] if rest[:1] == ["-m"] else rest
    sys.argv = [module, *args]
    sampler = PeakSnapshots()
    sampler.start()
    code: int | str | None = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
    finally:
        peak = sampler.stop()
        Path(out).write_text(sampler.report(peak), encoding="utf-8")
    return code if isinstance(code, int) else (0 if code is None else 1)


if __name__ == "__main__":
    sys.exit(main())
