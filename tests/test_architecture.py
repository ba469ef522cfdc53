"""The layers hold: checked from the code's own imports (ast), and shown with a second Source.

Rules (docs/architecture.md): no cycle between the package's top-level parts; each part
imports only the parts below it; nothing in ``store/`` (migrations aside) imports a module
that uses storage, nor grading or stance; outside ``store/`` no module imports SQLAlchemy's
statement builders; ``cli/`` imports no SQLAlchemy, requests, lxml, jinja2 or pandas.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evidence"
MIGRATIONS = PACKAGE / "store" / "migrations"

# part -> the parts it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "project": {"domain"},
    "settings": {"domain", "project"},
    "grading": {"domain"},
    "stance": {"domain"},
    "certainty": {"domain"},
    "agreement": {"domain"},
    "sources": {"domain", "settings"},
    "store": {"domain"},
    "services": {
        "domain",
        "settings",
        "sources",
        "store",
        "grading",
        "stance",
        "certainty",
        "agreement",
    },
    "report": {"domain"},
    "web": {"domain", "settings", "services", "report"},
    "cli": {"domain", "settings", "services", "report", "web"},
}
ROOT_MODULES = {"__init__", "__main__"}  # the package itself: version, entry point
STATEMENT_BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "func",
    "text",
    "and_",
    "or_",
    "not_",
    "bindparam",
    "literal",
    "case",
    "exists",
    "union",
    "join",
    "outerjoin",
}
CLI_FORBIDDEN = ("sqlalchemy", "requests", "lxml", "jinja2", "pandas")
# The web layer renders with Jinja2 but, like the CLI, reaches data only through services.
WEB_FORBIDDEN = ("requests", "lxml", "pandas")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if MIGRATIONS not in p.parents)


def imports_of(path: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module imported, names imported from it) for every import, lazy ones included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, tuple(a.name for a in node.names)


@cache
def evidence_modules() -> frozenset[str]:
    return frozenset(module_name(p) for p in PACKAGE.rglob("*.py"))


def internal_targets(path: Path) -> set[str]:
    """The evidence modules ``path`` imports (``from evidence.x import y``: y if a module)."""
    found: set[str] = set()
    for module, names in imports_of(path):
        if module != "evidence" and not module.startswith("evidence."):
            continue
        for name in names or ("",):
            sub = f"{module}.{name}" if name else module
            found.add(sub if sub in evidence_modules() else module)
    return found


def part_of(module: str) -> str:
    """``evidence.store.reads`` -> ``store``; ``evidence`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_is_known() -> None:
    parts = {part_of(module_name(p)) for p in package_files()}
    assert parts - ROOT_MODULES <= set(ALLOWED), parts - set(ALLOWED)


def test_each_part_imports_only_the_parts_below_it() -> None:
    wrong = []
    for path in package_files():
        part = part_of(module_name(path))
        if part in ROOT_MODULES:
            continue
        for target in internal_targets(path):
            other = part_of(target)
            if other != part and other not in ALLOWED[part] and target != "evidence":
                wrong.append(f"{module_name(path)} -> {target}")
    assert wrong == []


def test_no_cycle_between_top_level_parts() -> None:
    edges: dict[str, set[str]] = {}
    for path in package_files():
        part = part_of(module_name(path))
        for target in internal_targets(path):
            if part_of(target) != part:
                edges.setdefault(part, set()).add(part_of(target))
    assert find_cycle(edges) is None


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the graph as a path, or None (depth-first search)."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start, [])):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_store_imports_no_module_that_uses_storage_nor_grading_or_stance() -> None:
    uses_store = {
        module_name(p)
        for p in package_files()
        if part_of(module_name(p)) != "store"
        and any(part_of(t) == "store" for t in internal_targets(p))
    }
    wrong = []
    for path in package_files():
        if part_of(module_name(path)) != "store":
            continue
        for target in internal_targets(path):
            if target in uses_store or part_of(target) in ("grading", "stance"):
                wrong.append(f"{module_name(path)} -> {target}")
    assert wrong == []


def test_sqlalchemy_statement_builders_only_in_store() -> None:
    wrong = []
    for path in package_files():
        if part_of(module_name(path)) == "store":
            continue
        for module, names in imports_of(path):
            builders = set(names) & STATEMENT_BUILDERS
            if module.startswith("sqlalchemy") and (
                builders or module.startswith("sqlalchemy.sql")
            ):
                wrong.append(f"{module_name(path)}: from {module} import {sorted(builders)}")
            if module in ("sqlalchemy", "sqlalchemy.sql") and not names:
                wrong.append(f"{module_name(path)}: import {module}")
    assert wrong == []


def test_cli_imports_no_database_http_xml_template_or_dataframe_library() -> None:
    wrong = [
        f"{module_name(path)} -> {module}"
        for path in package_files()
        if part_of(module_name(path)) == "cli"
        for module, _ in imports_of(path)
        if module.split(".")[0] in CLI_FORBIDDEN
    ]
    assert wrong == []


def test_web_imports_no_statement_builder_nor_data_library() -> None:
    """The desk reaches the database only through services (a Session type, at most)."""
    wrong = []
    for path in package_files():
        if part_of(module_name(path)) != "web":
            continue
        for module, names in imports_of(path):
            if module.split(".")[0] in WEB_FORBIDDEN:
                wrong.append(f"{module_name(path)} -> {module}")
            if module.startswith("sqlalchemy") and set(names) - {"Session"}:
                wrong.append(f"{module_name(path)}: from {module} import {sorted(names)}")
            if module == "sqlalchemy" and not names:
                wrong.append(f"{module_name(path)}: import sqlalchemy")
    assert wrong == []
    assert any(part_of(module_name(p)) == "web" for p in package_files())


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("from sqlalchemy import select\n", "builders"),
        ("import requests\n", "cli"),
        ("from evidence.services.refresh import refresh\n", "layers"),
        ("from sqlalchemy import select\n", "web"),
        ("from evidence.store.desk import studies\n", "web-layers"),
    ],
)
def test_the_rules_catch_a_violation(
    source: str, rule: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rule fails on a planted violation (so a passing run means something)."""
    planted = PACKAGE / "cli" / "_planted_violation.py"
    if rule == "layers":
        planted = PACKAGE / "domain" / "_planted_violation.py"
    if rule.startswith("web"):
        planted = PACKAGE / "web" / "_planted_violation.py"
    planted.write_text(source, encoding="utf-8")
    evidence_modules.cache_clear()
    try:
        check = {
            "builders": test_sqlalchemy_statement_builders_only_in_store,
            "cli": test_cli_imports_no_database_http_xml_template_or_dataframe_library,
            "layers": test_each_part_imports_only_the_parts_below_it,
            "web": test_web_imports_no_statement_builder_nor_data_library,
            "web-layers": test_each_part_imports_only_the_parts_below_it,
        }[rule]
        with pytest.raises(AssertionError):
            check()
    finally:
        planted.unlink()
        evidence_modules.cache_clear()
