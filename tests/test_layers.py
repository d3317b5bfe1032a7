"""Layers point one way (CLI -> flows -> tasks -> blocks -> core) and no modules import each other.

The walk reads every product module with `ast`, imports inside functions included (they run too,
only later), and leaves out imports under `if TYPE_CHECKING:`. An import names a module of the
tree: `from a.b import c` is an edge to a.b.c when that is a module, else to a.b. The package
guides (README.md in each package) state the same rules in words.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cli", "flows", "tasks", "blocks", "asl_export", "recon")
CORE = "recon"
# Cycles another branch is removing. Each entry must still be a cycle, so the list cannot outlive
# the fix: delete the entry when it fails. (recon/fix allocations <-> normalize: gone, FixRecord
# lives in recon/fix/record.py.)
BEING_FIXED: set[frozenset[str]] = set()

# layer -> the layers it must never import
FORBIDDEN: dict[str, set[str]] = {
    "recon": {"cli", "flows", "tasks", "blocks", "asl_export"},
    "asl_export": {"cli", "flows", "tasks", "blocks", "recon"},
    "blocks": {"cli", "flows", "tasks"},
    "tasks": {"cli", "flows"},
    "flows": {"cli"},
    "cli": set(),
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # path:line of the import


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    found = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every Import / ImportFrom, at any depth, except under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _known(name: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the tree."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:n])) in known:
            return candidate
    return None


def imports_of(module: str, path: Path, known: dict[str, Path], root: Path = ROOT) -> list[Edge]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    where = path.relative_to(root).as_posix()
    edges = []
    for node in _import_nodes(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for t in targets:
            target = _known(t, known)
            if target and target != module:
                edges.append(Edge(module, target, f"{where}:{node.lineno}"))
    return edges


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> list[Edge]:
    known = modules(root, packages)
    return [e for m, p in known.items() for e in imports_of(m, p, known, root)]


def layer_violations(edges: list[Edge]) -> list[str]:
    out = []
    for e in edges:
        src, dst = e.source.split(".")[0], e.target.split(".")[0]
        if dst in FORBIDDEN.get(src, set()):
            out.append(f"{e.where}: {e.source} ({src}) imports {e.target} ({dst})")
    return sorted(set(out))


def cycles(edges: list[Edge]) -> list[str]:
    """One concrete cycle per strongly connected component, as 'a -> b -> a' with the lines."""
    graph: dict[str, dict[str, str]] = {}
    for e in edges:
        graph.setdefault(e.source, {}).setdefault(e.target, e.where)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan, iteratively
        work = [(v, iter(sorted(graph.get(v, {}))))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, {})))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    components.append(comp)

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)

    reports = []
    for comp in components:
        if len(comp) < 2:
            continue
        members = set(comp)
        start = min(comp)
        # shortest path start -> ... -> start inside the component
        prev: dict[str, str] = {}
        frontier, seen, end = [start], {start}, None
        while frontier and end is None:
            nxt = []
            for u in frontier:
                for w in sorted(graph.get(u, {})):
                    if w == start:
                        end = u
                        break
                    if w in members and w not in seen:
                        seen.add(w)
                        prev[w] = u
                        nxt.append(w)
                if end is not None:
                    break
            frontier = nxt
        path = [start]
        node = end
        while node != start:
            path.insert(1, node)
            node = prev[node]
        path.append(start)
        hops = " -> ".join(f"{a} ({graph[a][b]})" for a, b in zip(path, path[1:], strict=False))
        reports.append(f"{hops} -> {start}")
    return sorted(reports)


def test_the_tree_has_its_packages():
    known = modules()
    for pkg in PACKAGES:
        assert pkg in known, f"{pkg}/__init__.py missing"
    assert len(known) > 120


def test_layers_point_one_way():
    violations = layer_violations(import_graph())
    assert violations == [], "imports against the layers:\n" + "\n".join(violations)


def test_no_import_cycles():
    found = cycles(import_graph())
    unexpected = [c for c in found if _members(c) not in BEING_FIXED]
    assert unexpected == [], "import cycles:\n" + "\n".join(unexpected)
    stale = BEING_FIXED - {_members(c) for c in found}
    assert not stale, f"no longer a cycle, delete it from BEING_FIXED: {sorted(map(sorted, stale))}"


def _members(report: str) -> frozenset[str]:
    return frozenset(hop.split(" (")[0] for hop in report.split(" -> "))


def test_the_walk_sees_each_form(tmp_path):
    """The checker itself: relative, in-function, from-package imports; TYPE_CHECKING skipped."""
    files = {
        "recon/__init__.py": "",
        "recon/a.py": "from . import b\n",
        "recon/b.py": "def f():\n    from recon.c import x\n",
        "recon/c.py": "import recon.a\nx = 1\n",
        "recon/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tasks import t\n",
        "tasks/__init__.py": "",
        "tasks/t.py": "from flows import daily\n",
        "flows/__init__.py": "",
        "flows/daily.py": "",
        "blocks/__init__.py": "import tasks.t\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    edges = import_graph(tmp_path, ("recon", "tasks", "flows", "blocks"))
    assert {(e.source, e.target) for e in edges} == {
        ("recon.a", "recon.b"), ("recon.b", "recon.c"), ("recon.c", "recon.a"),
        ("tasks.t", "flows.daily"), ("blocks", "tasks.t"),
    }
    assert [v.split(": ", 1)[1] for v in layer_violations(edges)] == [
        "blocks (blocks) imports tasks.t (tasks)", "tasks.t (tasks) imports flows.daily (flows)",
    ]
    assert cycles(edges) == [
        "recon.a (recon/a.py:1) -> recon.b (recon/b.py:2) -> recon.c (recon/c.py:1) -> recon.a"
    ]


def _sys_path_edits(path: Path, root: Path = ROOT) -> list[str]:
    """sys.path.insert/append/extend(...) calls and sys.path[...] = ... assignments."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        target = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
        elif isinstance(node, ast.Assign | ast.AugAssign):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                target = t.value if isinstance(t, ast.Subscript) else t
        if isinstance(target, ast.Attribute) and target.attr == "path" and getattr(target.value, "id", None) == "sys":
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_tests_and_benchmarks_import_by_package_path(tmp_path):
    """Helpers are imported as tests.support.* (the editable install puts the project root on the
    path), never by editing sys.path."""
    files = [p for d in ("tests", "bench") for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 100
    assert [hit for p in files for hit in _sys_path_edits(p)] == []
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nsys.path.insert(0, 'x')\nsys.path[:0] = ['y']\nsys.path += ['z']\n")
    assert sorted(_sys_path_edits(bad, tmp_path)) == ["bad.py:2", "bad.py:3", "bad.py:4"]
