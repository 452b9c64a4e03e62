"""The tests' own layout: shared helpers are imported from ``support/`` only, and the
conftest.py files hold fixtures only (so no test imports one as a module)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Names under tests/ a test could import by mistake (tests/ is on the path); bench is the
# top-level package of the benchmark, not tests/bench/.
_LOCAL = {path.stem for path in TESTS.iterdir() if path.suffix == ".py" or path.is_dir()}
_LOCAL -= {"support", "bench", "__pycache__"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(TESTS.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _imported(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def test_helpers_are_imported_from_support_only() -> None:
    wrong = [
        f"{path.relative_to(TESTS)}: {name}"
        for path, tree in _modules()
        for name in _imported(tree)
        if name.startswith(".") or name.split(".")[0] in _LOCAL or name.split(".")[-1] == "conftest"
    ]
    assert not wrong, f"import helpers from tests/support/ (move them there): {wrong}"


def _is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    def name(decorator: ast.expr) -> str:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return ast.unparse(target)

    return any(name(d) in {"pytest.fixture", "fixture"} for d in node.decorator_list)


def test_conftest_files_hold_fixtures_only() -> None:
    helpers = [
        f"{path.relative_to(TESTS)}: {node.name}"
        for path, tree in _modules()
        if path.name == "conftest.py"
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        or (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and not _is_fixture(node)
            and not node.name.startswith("pytest_")  # a hook
        )
    ]
    assert not helpers, f"helpers belong in tests/support/: {helpers}"
