"""Line numbers for evidence, without libcst's PositionProvider.

PositionProvider costs about twice the parse itself on a 70 kB module, and we need a handful of
lines per claim. The stdlib `ast` gives positions for a fraction of that; libcst nodes are matched
to `ast` nodes by their order inside the enclosing top-level function, which both trees share.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


def callee_name(node: ast.expr) -> str:
    """Last component of a call target: `a.b.c(...)` -> `c`, `f(...)` -> `f`, else ''."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _order(node: ast.AST) -> tuple[int, int, int, int]:
    # Outer nodes first on ties: libcst visits `a.b(x).c(y)`'s outer call before the inner one.
    return (
        getattr(node, "lineno", 0),
        getattr(node, "col_offset", 0),
        -(getattr(node, "end_lineno", 0) or 0),
        -(getattr(node, "end_col_offset", 0) or 0),
    )


@dataclass
class FunctionLines:
    line: int
    decorators: list[int]
    calls: dict[str, list[int]] = field(default_factory=dict)
    ifs: list[int] = field(default_factory=list)


class LineIndex:
    """Positions of functions, their decorators, calls (by callee) and `if` statements."""

    def __init__(self, source: str) -> None:
        self._functions: dict[str, FunctionLines] = {}
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            # Newer syntax than this interpreter knows: facts still come from libcst, lines are 0.
            return
        self._collect(tree.body, "")

    def _collect(self, body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._functions[prefix + stmt.name] = self._index(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self._collect(stmt.body, f"{prefix}{stmt.name}.")
            elif isinstance(stmt, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody"):
                    self._collect(getattr(stmt, block, []), prefix)
                for handler in getattr(stmt, "handlers", []):
                    self._collect(handler.body, prefix)

    @staticmethod
    def _index(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionLines:
        lines = FunctionLines(fn.lineno, [d.lineno for d in fn.decorator_list])
        nodes = sorted((n for n in ast.walk(fn) if isinstance(n, ast.Call | ast.If)), key=_order)
        for node in nodes:
            if isinstance(node, ast.If):
                lines.ifs.append(node.lineno)
            else:
                lines.calls.setdefault(callee_name(node.func), []).append(node.lineno)
        return lines

    def function(self, name: str) -> int:
        entry = self._functions.get(name)
        return entry.line if entry else 0

    def decorator(self, name: str, index: int) -> int:
        entry = self._functions.get(name)
        if entry is None or index >= len(entry.decorators):
            return self.function(name)
        return entry.decorators[index]

    def call(self, function: str, callee: str, ordinal: int) -> int:
        entry = self._functions.get(function)
        found = entry.calls.get(callee, []) if entry else []
        return found[ordinal] if ordinal < len(found) else self.function(function)

    def if_statement(self, function: str, ordinal: int) -> int:
        entry = self._functions.get(function)
        if entry is None or ordinal >= len(entry.ifs):
            return self.function(function)
        return entry.ifs[ordinal]
