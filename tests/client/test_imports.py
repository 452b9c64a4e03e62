"""The client's import rules, read from the source with ``ast``.

``chatroom.client`` may import only ``chatroom.protocol`` and ``chatroom.errors``
of ours (besides itself), ``chatroom.ui`` only ``chatroom.client``; and the
client's modules must not import each other in a cycle, counting imports under
``TYPE_CHECKING`` too: the handler table is literal, so nothing depends on
import order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chatroom

SRC = Path(chatroom.__file__).parent
PACKAGE = "chatroom.client"
ALLOWED = {
    "chatroom.client": ("chatroom.protocol", "chatroom.errors", "chatroom.client"),
    "chatroom.ui": ("chatroom.client", "chatroom.ui"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every ``chatroom`` module ``path`` imports, anywhere in the file. A
    ``from package import name`` counts as importing the submodule when
    ``name`` is one."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return {name for name in found if name == "chatroom" or name.startswith("chatroom.")}


def _graph(package: str = PACKAGE) -> dict[str, set[str]]:
    paths = sorted((SRC.parent / package.replace(".", "/")).rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imports(path, modules) for path in paths}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_it_may(package: str) -> None:
    allowed = ALLOWED[package]
    bad = {
        f"{module} -> {target}"
        for module, targets in _graph(package).items()
        for target in targets
        if not any(target == a or target.startswith(a + ".") for a in allowed)
    }
    assert not bad, sorted(bad)


def test_no_import_cycle_inside_the_client() -> None:
    graph = {m: {t for t in ts if t.startswith(PACKAGE) and t != m} for m, ts in _graph().items()}
    done: set[str] = set()
    stack: list[str] = []

    def visit(module: str) -> None:
        if module in stack:
            cycle = [*stack[stack.index(module) :], module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            visit(target)
        stack.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
