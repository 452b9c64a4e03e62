"""The import table of docs/architecture.md, checked: layers import only downward, and no
two packages (nor two modules of one package) import each other in a cycle.

Every import counts: module level, under ``if TYPE_CHECKING:``, and inside functions (a
lazy import is still a dependency). Relative imports are resolved first.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "chatroom"

#: Storage modules that are interfaces (what the server may see); the rest are backends.
STORAGE_INTERFACES = {
    "storage",  # the package's __init__: re-exports the interfaces
    "storage.base",
    "storage.accounts_base",
    "storage.accounts_rows",
    "storage.accounts_sql",  # SQL text, plans and an abstract store, no driver
    "storage.history_sql",  # SQL text and plans, no driver
    "storage.sql",  # the statement compiler and plan steps, no driver
    "storage.errors",
    "storage.query",
    "storage.search",
    "storage.retention",
    "storage.measure",
    "storage.accounts",
    "storage.passwords",
    "storage.conversations",
}

#: Which layer may import which (besides itself). From docs/architecture.md.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "protocol": {"errors"},
    "storage-interfaces": {"protocol", "errors"},
    "storage-backends": {"storage-interfaces", "protocol", "errors"},
    "server": {"protocol", "storage-interfaces", "errors"},
    "transports": {"server", "storage-interfaces", "protocol", "errors"},
    "web": {"server", "storage-interfaces", "protocol", "errors"},
    "cluster": {"server", "storage-interfaces", "protocol", "errors"},
    "client": {"protocol", "errors"},
    "ui": {"client"},
    "composition": {"*"},
}


def layer(module: str) -> str:
    """The layer of ``module`` (a name relative to ``chatroom``, e.g. ``server.channel``)."""
    top = module.split(".")[0]
    if module in {"", "errors"}:  # the package's __init__ holds only __version__
        return "errors"
    if top in {"__main__", "serve", "stopping", "workers", "cli", "operate", "logs"}:
        return "composition"
    if top == "storage":
        interface = module in STORAGE_INTERFACES
        return "storage-interfaces" if interface else "storage-backends"
    return top


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC / PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imports_of(module: str, path: Path) -> set[str]:
    """Our modules that ``module`` imports, relative to ``chatroom``."""
    known = known_modules()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([PACKAGE, *base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            # `from x import y` names a module x.y or a name defined in x.
            names = [
                f"{stem}.{alias.name}" if relative(f"{stem}.{alias.name}") in known else stem
                for alias in node.names
            ]
        else:
            continue
        found |= {resolve(relative(name), known) for name in names if is_ours(name)}
    return found - {module}


@functools.cache
def known_modules() -> frozenset[str]:
    return frozenset(module for module, _ in modules())


def is_ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def relative(name: str) -> str:
    return name.removeprefix(PACKAGE).lstrip(".")


def resolve(name: str, known: set[str]) -> str:
    """The longest known module that ``name`` starts with (drops imported attributes)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


@functools.cache
def graph() -> dict[str, set[str]]:
    return {module: imports_of(module, path) for module, path in modules()}


def violations() -> set[tuple[str, str]]:
    bad = set()
    for module, targets in graph().items():
        mine = layer(module)
        allowed = ALLOWED[mine]
        for target in targets:
            theirs = layer(target)
            if theirs != mine and "*" not in allowed and theirs not in allowed:
                bad.add((module, target))
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """The package a module belongs to (``server.commands.info`` -> ``server.commands``)."""
    path = SRC / PACKAGE / module.replace(".", "/")
    if path.is_dir() or "." not in module:  # a package, or a module at the top (cli, errors)
        return module
    return module.rpartition(".")[0]


def test_the_table_covers_every_module() -> None:
    names = {module for module, _ in modules()}
    assert len(names) > 100  # the walk really found the source tree
    assert {layer(m) for m in names} <= set(ALLOWED)


def test_layers_import_only_downward() -> None:
    found = sorted(violations())
    assert found == [], "imports against docs/architecture.md's table:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in found
    )


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for module, targets in graph().items():
        mine = package_of(module)
        edges.setdefault(mine, set()).update(
            package_of(t) for t in targets if package_of(t) != mine
        )
    assert cycles(edges) == []


def test_no_import_cycle_between_modules() -> None:
    assert cycles(graph()) == []


def test_the_checker_sees_a_cycle_and_a_violation() -> None:
    """The checks can fail: a made-up cycle is found, an upward import is refused."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "cluster" not in ALLOWED[layer("server.server")]
    assert layer("storage.sqlite") == "storage-backends"
    assert "storage-backends" not in ALLOWED["server"]
