"""Print which area of the app imports which (module-level and function-level imports alike),
and any cycle between two areas.

Usage: .venv/bin/python scripts/import_graph.py
"""

from __future__ import annotations

import ast
from pathlib import Path

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"


def package_of(module: str) -> str | None:
    """The top-level package inside webapp that `module` belongs to (None for webapp itself)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "webapp":
        return None
    return parts[1] if (WEBAPP / parts[1]).is_dir() else None


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for folder in sorted(
        p for p in WEBAPP.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    ):
        targets = graph.setdefault(folder.name, set())
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                modules: list[str] = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                elif isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                for module in modules:
                    target = package_of(module)
                    if target and target != folder.name:
                        targets.add(target)
    return graph


def main() -> None:
    graph = edges()
    for area, targets in sorted(graph.items()):
        print(f"{area:10} -> {', '.join(sorted(targets)) or '(nothing)'}")
    cycles = sorted(
        (a, b) for a, targets in graph.items() for b in targets if a < b and a in graph.get(b, ())
    )
    print("cycles:", ", ".join(f"{a} <-> {b}" for a, b in cycles) or "none")


if __name__ == "__main__":
    main()
