"""Line numbers for evidence, without libcst's PositionProvider.

PositionProvider costs about twice the parse itself on a 70 kB module, and we need a handful of
lines per claim. The stdlib `ast` gives positions for a fraction of that; libcst nodes are matched
to `ast` nodes by their order inside the enclosing top-level function, which both trees share.
Each function is indexed the first time one of its lines is asked for.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
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


FunctionAst = ast.FunctionDef | ast.AsyncFunctionDef


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in source order, nested blocks included, expressions never entered."""
    for stmt in body:
        yield stmt
        for block in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, block, None)
            if isinstance(inner, list):
                yield from _statements(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from _statements(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from _statements(case.body)


@dataclass
class FunctionLines:
    line: int
    decorators: list[int]
    calls: dict[str, list[int]] = field(default_factory=dict)
    ifs: list[int] = field(default_factory=list)
    names: Counter[str] = field(default_factory=Counter)


class LineIndex:
    """Positions of functions, their decorators, calls (by callee) and `if` statements."""

    def __init__(self, source: str) -> None:
        self._nodes: dict[str, FunctionAst] = {}
        self._functions: dict[str, FunctionLines] = {}
        self._statement_calls: dict[str, list[int]] | None = None
        try:
            self._tree: ast.Module | None = ast.parse(source)
        except (SyntaxError, ValueError):
            # Newer syntax than this interpreter knows: facts still come from libcst, lines are 0.
            self._tree = None
            return
        self._collect(self._tree.body, "")

    def _collect(self, body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._nodes[prefix + stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                self._collect(stmt.body, f"{prefix}{stmt.name}.")
            elif isinstance(stmt, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody"):
                    self._collect(getattr(stmt, block, []), prefix)
                for handler in getattr(stmt, "handlers", []):
                    self._collect(handler.body, prefix)

    def _entry(self, name: str) -> FunctionLines | None:
        entry = self._functions.get(name)
        if entry is None and name in self._nodes:
            entry = self._functions[name] = self._index(self._nodes[name])
        return entry

    @staticmethod
    def _index(fn: FunctionAst) -> FunctionLines:
        lines = FunctionLines(fn.lineno, [d.lineno for d in fn.decorator_list])
        found: list[ast.AST] = []
        for node in ast.walk(fn):
            if isinstance(node, ast.Call | ast.If):
                found.append(node)
            elif isinstance(node, ast.Name):
                lines.names[node.id] += 1
        for node in sorted(found, key=_order):
            if isinstance(node, ast.If):
                lines.ifs.append(node.lineno)
            elif isinstance(node, ast.Call):
                lines.calls.setdefault(callee_name(node.func), []).append(node.lineno)
        return lines

    def function(self, name: str) -> int:
        node = self._nodes.get(name)
        return node.lineno if node else 0

    def decorator(self, name: str, index: int) -> int:
        node = self._nodes.get(name)
        if node is None or index >= len(node.decorator_list):
            return self.function(name)
        return node.decorator_list[index].lineno

    def call(self, function: str, callee: str, ordinal: int) -> int:
        entry = self._entry(function)
        found = entry.calls.get(callee, []) if entry else []
        return found[ordinal] if ordinal < len(found) else self.function(function)

    def if_statement(self, function: str, ordinal: int) -> int:
        entry = self._entry(function)
        if entry is None or ordinal >= len(entry.ifs):
            return self.function(function)
        return entry.ifs[ordinal]

    def name_count(self, function: str, name: str) -> int:
        """How often `name` is read or bound as a plain name inside the function."""
        entry = self._entry(function)
        return entry.names[name] if entry else 0

    def statement_call(self, callee: str, ordinal: int) -> int:
        """Line of the `ordinal`-th statement whose value is a call to `callee` (an expression
        statement `x.add_api_route(...)` or an assignment `router = APIRouter(...)`), counted over
        the whole module in source order."""
        if self._statement_calls is None:
            self._statement_calls = {}
            for node in _statements(self._tree.body if self._tree is not None else []):
                if isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign) and isinstance(
                    node.value, ast.Call
                ):
                    name = callee_name(node.value.func)
                    self._statement_calls.setdefault(name, []).append(node.lineno)
        lines = self._statement_calls.get(callee, [])
        return lines[ordinal] if ordinal < len(lines) else 0
