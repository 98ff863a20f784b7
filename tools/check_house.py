"""The layout check `make lint` runs: no import circle, no module over the line limit.

    python tools/check_house.py [--root DIR] [--max-lines N] [PACKAGE ...]

An import circle among the project's modules means neither side can be read, tested or split
without the other; a module past the limit has stopped reading as one idea. The import graph
comes from grimp (the library behind import-linter). Imports inside functions and under
`if TYPE_CHECKING:` count: a lazy import still ties the two modules together.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path

import grimp

PACKAGES = ("workflows", "activities", "workers")
MAX_LINES = 500


def oversized(root: Path, packages: Sequence[str], max_lines: int) -> list[str]:
    """One line per .py file under the packages' folders with more than max_lines lines."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > max_lines:
                found.append(f"{path.relative_to(root)}: {lines} lines (limit {max_lines})")
    return found


def strongly_connected(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively (the graph may be deeper than the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_circle(edges: Mapping[str, set[str]], members: Iterable[str]) -> list[str]:
    """The shortest circle through the first member, staying inside the component."""
    inside = set(members)
    start = min(inside)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(edges.get(node, ())):
            if target not in inside:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [start, start]


def source_of(root: Path, module: str) -> str:
    parts = module.split(".")
    path = root.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = root.joinpath(*parts, "__init__.py")
    return str(path.relative_to(root))


def circles(root: Path, packages: Sequence[str]) -> list[str]:
    """One report per tangle of modules that import each other, naming the circle in order."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    reports = []
    for component in strongly_connected(edges):
        if len(component) == 1 and component[0] not in edges[component[0]]:
            continue
        circle = shortest_circle(edges, component)
        lines = [f"import circle: {' -> '.join(circle)}"]
        for importer, imported in pairwise(circle):
            for detail in graph.get_import_details(importer=importer, imported=imported)[:1]:
                lines.append(f"  {source_of(root, importer)}:{detail['line_number']}:"
                             f" {detail['line_contents']}")
        others = sorted(set(component) - set(circle))
        if others:
            lines.append(f"  also in this tangle: {', '.join(others)}")
        reports.append("\n".join(lines))
    return reports


def check(root: Path, packages: Sequence[str], max_lines: int = MAX_LINES) -> list[str]:
    missing = [p for p in packages if not (root / p / "__init__.py").is_file()]
    if missing:
        return [f"{root / p}: not a package (no __init__.py)" for p in missing]
    sys.path.insert(0, str(root))  # grimp finds the packages through the import system
    try:
        return circles(root, packages) + oversized(root, packages, max_lines)
    finally:
        sys.path.remove(str(root))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("packages", nargs="*", default=list(PACKAGES),
                   help=f"top-level packages (default: {' '.join(PACKAGES)})")
    p.add_argument("--root", type=Path, default=Path.cwd(),
                   help="the folder holding the packages (default: here)")
    p.add_argument("--max-lines", type=int, default=MAX_LINES)
    args = p.parse_args(argv)
    problems = check(args.root.resolve(), args.packages, args.max_lines)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_house: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_house: {', '.join(args.packages)}: no import circle, no module over"
          f" {args.max_lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
