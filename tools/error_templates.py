"""Turn f-string messages of domain errors into translatable templates with named parameters.

``raise NotFound(f"queue {queue_id} not found")`` becomes
``raise NotFound("queue {queue_id} not found", queue_id=queue_id)``: the template is a msgid of
the catalog (``make messages`` extracts it), the parameters fill it in the reader's language
(``atende.i18n``). Run it over files given as arguments (default: all of ``src/atende``); it
rewrites them in place and prints what it changed. ``tests/test_messages_translated.py`` refuses
an f-string message, so new code is written the template way from the start.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "atende"
RESERVED = {"field": "field_name", "message": "text", "self": "value"}


def error_names(root: Path = SRC) -> set[str]:
    """The names of DomainError and every class that derives from it, found in the source."""
    names = {"DomainError"}
    bases: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                parents = {_callee(b) for b in node.bases} - {None}
                bases.setdefault(node.name, set()).update(p for p in parents if p)
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in names and parents & names:
                names.add(cls)
                changed = True
    return names


def _callee(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _name_of(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        base = expr.id
    elif isinstance(expr, ast.Attribute):
        base = expr.attr
    elif isinstance(expr, ast.Subscript):
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            base = key.value
        else:
            base = _name_of(expr.value)
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "join"
        and expr.args
    ) or (isinstance(expr, ast.Call) and expr.args):
        base = _name_of(expr.args[0])
    else:
        base = "value"
    base = re.sub(r"\W+", "_", base).strip("_").lower() or "value"
    if base[0].isdigit():
        base = f"v{base}"
    return RESERVED.get(base, base)


def _template(joined: ast.JoinedStr, source: str) -> tuple[str, list[tuple[str, str]]]:
    """The template text and its (name, expression source) parameters, in order."""
    text = ""
    params: list[tuple[str, str]] = []
    by_expr: dict[str, str] = {}
    for part in joined.values:
        if isinstance(part, ast.Constant):
            text += str(part.value).replace("{", "{{").replace("}", "}}")
            continue
        assert isinstance(part, ast.FormattedValue)
        expr_src = ast.get_source_segment(source, part.value) or ast.unparse(part.value)
        name = by_expr.get(expr_src)
        if name is None:
            name = _name_of(part.value)
            taken = {n for n, _ in params}
            if name in taken:
                i = 2
                while f"{name}{i}" in taken:
                    i += 1
                name = f"{name}{i}"
            by_expr[expr_src] = name
            params.append((name, expr_src))
        conv = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[part.conversion]
        spec = ""
        if part.format_spec is not None:
            assert isinstance(part.format_spec, ast.JoinedStr)
            spec = ":" + "".join(
                str(v.value) for v in part.format_spec.values if isinstance(v, ast.Constant)
            )
        text += "{" + name + conv + spec + "}"
    return text, params


def _literal(text: str) -> str:
    """A double-quoted literal, cut at spaces into pieces that ruff format can lay out."""
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<= )", text):
        if current and len(current) + len(word) > 60:
            pieces.append(current)
            current = ""
        current += word
    pieces.append(current)
    out = []
    for piece in pieces:
        escaped = piece.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append(f'"{escaped}"')
    return "\n".join(out)


def rewrite(path: Path, names: set[str]) -> int:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    edits: list[tuple[int, int, str]] = []
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def pos(lineno: int, col: int) -> int:
        # col_offset is in UTF-8 bytes
        line = lines[lineno - 1]
        return offsets[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _callee(node.func) not in names or not node.args:
            continue
        first = node.args[0]
        if not isinstance(first, ast.JoinedStr):
            continue
        text, params = _template(first, source)
        start = pos(first.lineno, first.col_offset)
        end = pos(first.end_lineno or first.lineno, first.end_col_offset or 0)
        edits.append((start, end, _literal(text)))
        if params:
            extra = ", ".join(f"{n}={e}" for n, e in params)
            close = pos(node.end_lineno or node.lineno, (node.end_col_offset or 1) - 1)
            # insert before the closing parenthesis, after any trailing comma
            before = source[:close].rstrip()
            sep = " " if before.endswith(",") else ", "
            edits.append((close, close, f"{sep}{extra}"))
    if not edits:
        return 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        source = source[:start] + new + source[end:]
    path.write_text(source, encoding="utf-8")
    return sum(1 for e in edits if e[0] != e[1])


def main(argv: list[str]) -> int:
    names = error_names()
    files = [Path(a) for a in argv] or sorted(SRC.rglob("*.py"))
    total = 0
    for path in files:
        n = rewrite(path, names)
        if n:
            print(f"{path}: {n}")
            total += n
    print(f"{total} messages made templates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
