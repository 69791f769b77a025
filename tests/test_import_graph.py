"""Data flows one way (records → entities → matches → findings → reports): no module
imports, even for type checking only, a module that imports it back. A cycle is how a
stage ends up reaching into another's internals (findings once took exposure's private
``_Exposure``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "tradetrace"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """tradetrace modules imported at module level, ``if TYPE_CHECKING:`` blocks included
    (imports inside functions are lazy on purpose: the CLI's start-up time)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        for statement in node.body if isinstance(node, ast.If) else [node]:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    submodule = f"{statement.module}.{alias.name}"
                    found.add(submodule if submodule in modules else statement.module)
            elif isinstance(statement, ast.Import):
                found.update(alias.name for alias in statement.names)
    return found & modules


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle, each reported once (from its smallest module)."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                found.append(path)
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_no_module_imports_one_that_imports_it_back():
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    graph = {m: top_level_imports(p, modules) - {m} for m, p in paths.items()}
    assert cycles(graph) == []
