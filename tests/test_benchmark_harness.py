"""The benchmark harness measures the child's own CPU and memory, and composes the doc."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks import harness
from benchmarks.__main__ import compose

BURN = """
import json, time
from benchmarks.harness import peak_rss_mb
block = bytearray(120 * 1024 * 1024)  # touched: counts in RSS
for i in range(0, len(block), 4096):
    block[i] = 1
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
print(json.dumps({"peak": peak_rss_mb()}))
"""


def test_a_child_reports_its_own_cpu_and_peak_memory() -> None:
    usage = harness.run_child([sys.executable, "-c", BURN])
    assert 0.3 <= usage.cpu < 5
    assert usage.wall >= 0.3
    assert usage.json_line()["peak"] >= 120


def test_a_failing_child_raises() -> None:
    with pytest.raises(RuntimeError, match="benchmark child failed"):
        harness.run_child([sys.executable, "-c", "raise SystemExit(3)"])


def test_the_doc_keeps_every_saved_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("benchmarks.__main__.RESULTS", tmp_path)
    saved = {
        "date": "2026-11-30T07:00:00+00:00",
        "quick": True,
        "seconds": 12.0,
        "machine": harness.machine(),
        "markdown": "| a | b |\n| --- | --- |",
    }
    (tmp_path / "parse.json").write_text(json.dumps(saved))
    (tmp_path / "retrieval.json").write_text(json.dumps({"results": []}))  # a script's own file
    doc = compose()
    assert "## Parsing efetch XML" in doc
    assert "| a | b |" in doc
    assert "quick sizes" in doc
    assert harness.machine()["cpu"] in doc
    assert "Not run yet (`python -m benchmarks --only retrieval`)" in doc
    assert "Not run yet (`python -m benchmarks --only store`)" in doc


def test_a_missing_section_module_is_skipped() -> None:
    missing = harness.Section("nothing", "bench_does_not_exist", "Nothing")
    assert harness.load(missing) is None
    assert harness.load(harness.SECTIONS[0]) is not None  # bench_parse is here


def test_the_doc_gives_the_load_when_a_section_started_and_ended() -> None:
    facts = {**harness.machine(), "load_average": [0.5, 1.0, 2.7]}
    assert "when the run started: 0.5 / 1.0 / 2.7." in harness.describe(facts)
    ended = harness.describe({**facts, "load_average_end": [3.2, 2.9, 2.8]})
    assert ended.endswith("started: 0.5 / 1.0 / 2.7; when it ended: 3.2 / 2.9 / 2.8.")
