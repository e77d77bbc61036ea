"""Line numbers for evidence, without libcst's PositionProvider.

PositionProvider costs about twice the parse itself on a 70 kB module, and we need a handful of
lines per claim. The stdlib `ast` gives positions for a fraction of that; libcst nodes are matched
to `ast` nodes by their order inside the enclosing top-level function, which both trees share.
Each function is indexed the first time one of its lines is asked for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator


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


class _FunctionCursor:
    """Calls (by callee) and `if` statements of one function in source order, found by a
    preorder walk that orders each node's children by position and stops as soon as the
    asked-for one is found (most evidence sits near the top of its function)."""

    def __init__(self, fn: FunctionAst) -> None:
        self._stack: list[ast.AST] = [fn]
        self.calls: dict[str, list[int]] = {}
        self.ifs: list[int] = []

    def _advance(self) -> bool:
        if not self._stack:
            return False
        node = self._stack.pop()
        if isinstance(node, ast.Call):
            self.calls.setdefault(callee_name(node.func), []).append(node.lineno)
        elif isinstance(node, ast.If):
            self.ifs.append(node.lineno)
        kids = list(ast.iter_child_nodes(node))
        if len(kids) > 1:
            kids.sort(key=_order)
        self._stack.extend(reversed(kids))
        return True

    def call(self, callee: str, ordinal: int) -> int | None:
        while len(self.calls.get(callee, ())) <= ordinal:
            if not self._advance():
                return None
        return self.calls[callee][ordinal]

    def if_statement(self, ordinal: int) -> int | None:
        while len(self.ifs) <= ordinal:
            if not self._advance():
                return None
        return self.ifs[ordinal]


class LineIndex:
    """Positions of functions, their decorators, calls (by callee) and `if` statements."""

    def __init__(self, source: str) -> None:
        self._nodes: dict[str, FunctionAst] = {}
        self._functions: dict[str, _FunctionCursor] = {}
        self._statement_calls: dict[str, list[int]] | None = None
        try:
            self._tree: ast.Module | None = ast.parse(source)
        except (SyntaxError, ValueError):
            # Newer syntax than this interpreter knows: facts still come from libcst, lines are 0.
            self._tree = None
            return
        self._collect(self._tree.body, "")

    def _collect(self, body: list[ast.stmt], prefix: str) -> None:
        """Functions by the same names parse.py gives them (nested ones as `f.<locals>.g`)."""
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._nodes[prefix + stmt.name] = stmt
                self._collect(stmt.body, f"{prefix}{stmt.name}.<locals>.")
            elif isinstance(stmt, ast.ClassDef):
                self._collect(stmt.body, f"{prefix}{stmt.name}.")
            else:
                for block in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, block, None)
                    if isinstance(inner, list):
                        self._collect(inner, prefix)
                for handler in getattr(stmt, "handlers", ()):
                    self._collect(handler.body, prefix)
                for case in getattr(stmt, "cases", ()):
                    self._collect(case.body, prefix)

    @property
    def tree(self) -> ast.Module | None:
        """The module's stdlib syntax tree (None: syntax newer than this interpreter knows)."""
        return self._tree

    def _entry(self, name: str) -> _FunctionCursor | None:
        entry = self._functions.get(name)
        if entry is None and name in self._nodes:
            entry = self._functions[name] = _FunctionCursor(self._nodes[name])
        return entry

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
        found = entry.call(callee, ordinal) if entry else None
        return found if found is not None else self.function(function)

    def if_statement(self, function: str, ordinal: int) -> int:
        entry = self._entry(function)
        found = entry.if_statement(ordinal) if entry else None
        return found if found is not None else self.function(function)

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
