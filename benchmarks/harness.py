"""The benchmark harness: the section contract, child-process measurement, the machine.

A **section** is a module ``benchmarks/<module>.py`` exposing::

    def section(quick: bool) -> tuple[str, dict[str, Any]]

returning its Markdown (tables and a few lines saying what was measured, from a real run)
and a JSON-able dict of the same figures. ``quick`` asks for small sizes. ``SECTIONS`` lists
them in the order ``docs/benchmarks.md`` shows them; a module that is not there (yet) is
skipped with a note, so sections can be added in any order.

CPU figures come from :func:`run_child`: the work runs in a fresh process and its own
``user + sys`` time (from ``os.wait4``) is read when it ends, so it holds on a busy machine
where wall time does not. Peak memory: Linux carries a process's RSS high-water mark across
``exec``, so a child's ``ru_maxrss`` is at least its parent's RSS when it was forked; a child
reports its own peak with :func:`peak_rss_mb` (``VmHWM``, reset by ``exec``) instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
DOC = ROOT / "docs" / "benchmarks.md"
SHARED = Path(os.environ.get("EVIDENCE_SHARED_DIR") or ROOT.parent / "shared")

SectionResult = tuple[str, dict[str, Any]]
SectionFunction = Callable[[bool], SectionResult]


@dataclass(frozen=True)
class Section:
    """A registered section: its name (for ``--only``), module and heading."""

    name: str
    module: str
    title: str


SECTIONS = (
    Section("parse", "bench_parse", "Parsing efetch XML"),
    Section("store", "bench_store", "Storing parsed records"),
    Section("refresh", "bench_refresh_scale", "Refresh at scale"),
    Section("refresh-rate", "bench_refresh_rate", "Refresh under NCBI's rate limit"),
    Section("reports", "bench_reports", "Reports and exports"),
    Section("retrieval", "bench_retrieval", "Retrieval under NCBI's rate limit"),
    Section("desk", "bench_desk", "Review desk at 10,000 linked studies"),
    Section("mirror", "bench_mirror", "Local PubMed mirror"),
    Section("team", "bench_team", "Team desk: ten reviewers and a refresh on PostgreSQL"),
)
PACKAGES = (
    "evidence",
    "lxml",
    "biopython",
    "pubmed_parser",
    "sqlalchemy",
    "psycopg",
    "flask",
    "openpyxl",
    "pandas",
)


def load(section: Section) -> SectionFunction | None:
    """The section's ``section`` function, or ``None`` when its module is not there."""
    qualified = f"benchmarks.{section.module}"
    if importlib.util.find_spec(qualified) is None:
        return None
    function: SectionFunction | None = getattr(importlib.import_module(qualified), "section", None)
    if function is None:
        raise TypeError(f"benchmarks/{section.module}.py has no section(quick) function")
    return function


# -- measuring a child process -------------------------------------------------------------


@dataclass(frozen=True)
class ChildUsage:
    """What one child process used, read by its parent when it ended."""

    user: float  # CPU seconds in user mode
    system: float  # CPU seconds in the kernel
    maxrss_mb: float  # ru_maxrss: includes the parent's RSS at fork (see the module docstring)
    wall: float  # seconds from start to exit
    stdout: str

    @property
    def cpu(self) -> float:
        return self.user + self.system

    def json_line(self) -> dict[str, Any]:
        """The last stdout line, parsed: how children report their own figures."""
        lines = self.stdout.strip().splitlines()
        parsed: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        return parsed


def run_child(argv: Sequence[str], env: dict[str, str] | None = None) -> ChildUsage:
    """Run ``argv`` in a fresh process; its own rusage and wall time, raising if it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, **(env or {})}
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({child.returncode}): {' '.join(argv)}")
    return ChildUsage(usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024, wall, out.decode())


def python_module(module: str, *args: str) -> list[str]:
    """The argv that runs ``python -m benchmarks.<module> args`` with this interpreter."""
    return [sys.executable, "-m", f"benchmarks.{module}", *args]


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB (``VmHWM``; ``ru_maxrss`` where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_usage() -> tuple[float, float]:
    """(CPU seconds, wall seconds) of this process so far: a child measures its own work."""
    usage = os.times()
    return usage.user + usage.system, time.perf_counter()


# -- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python and package versions, and the load when it ran."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": load_average(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages now."""
    return [round(load, 2) for load in os.getloadavg()]


def describe(facts: dict[str, Any]) -> str:
    """One paragraph for the doc, with the load when the section started and ended: a load
    above the cores at the end means other work shared the machine while it ran."""
    packages = ", ".join(f"{name} {version}" for name, version in facts["packages"].items())
    text = (
        f"{facts['cpu']}, {facts['cores']} cores, {facts['ram_gb']} GB RAM, {facts['os']}, "
        f"Python {facts['python']}; {packages}. Load average (1/5/15 min) when the run "
        f"started: {_loads(facts['load_average'])}"
    )
    if "load_average_end" in facts:
        text += f"; when it ended: {_loads(facts['load_average_end'])}"
    return text + "."


def _loads(values: list[float]) -> str:
    return " / ".join(f"{value:.1f}" for value in values)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
