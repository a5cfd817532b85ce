"""`make check`: no function-local `atende` import outside the composition roots.

An import inside a function hides a dependency from the import graph (and from the layers
contract's reader); in this codebase it was how cycles were held together. The composition roots
(app, cli, serving) may import lazily to keep start-up light.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOTS = {"app.py", "cli.py", "serving.py"}


def local_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("atende"):
                found.append(f"{path}:{node.lineno}: from {node.module} import ...")
            elif isinstance(node, ast.Import):
                found += [
                    f"{path}:{node.lineno}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("atende")
                ]
    return found


def main() -> int:
    src = Path("src/atende")
    problems = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if str(rel) in ROOTS or rel.parts[:2] == ("db", "migrations"):
            continue
        problems += local_imports(path)
    for line in problems:
        print(f"function-local atende import: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
