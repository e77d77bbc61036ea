"""What one function calls: every call site, whether it runs on every path, and the nested defs.

A call is *conditional* when it runs only on some paths through the function: inside an `if`,
`else`, loop, `except` or `match` arm, on the right of `and`/`or`, in a conditional expression,
lambda or comprehension, or after a statement that may return early. Nested functions are not
walked here (their bodies run when they are called); they are listed, with the names the body
refers to, so a caller can tell which closures a factory hands out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from watcher.facts.parse import children

# Bodies that run later, repeatedly or not at all.
_DEFERRED = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class FunctionBody:
    """Call sites in source order, nested defs by name (twins from try/except kept in order)."""

    calls: list[tuple[cst.Call, bool]] = field(default_factory=list)
    nested: dict[str, list[tuple[cst.FunctionDef, bool]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)


def scan_function(fn: cst.FunctionDef) -> FunctionBody:
    out = FunctionBody()
    _block(fn.body, False, out)
    return out


def _may_leave(stmt: cst.CSTNode) -> bool:
    """A `return` somewhere in a statement (nested defs and lambdas aside)."""
    stack = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            return True
        if node is not stmt and isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(node, cst.BaseExpression):
            continue  # expressions hold no statements
        stack.extend(children(node))
    return False


def _block(suite: cst.BaseSuite, conditional: bool, out: FunctionBody) -> None:
    if isinstance(suite, cst.SimpleStatementSuite):
        for small in suite.body:
            _expression(small, conditional, out)
        return
    for stmt in suite.body:
        _statement(stmt, conditional, out)
        conditional = conditional or _may_leave(stmt)


def _statement(stmt: cst.CSTNode, conditional: bool, out: FunctionBody) -> None:
    if isinstance(stmt, cst.FunctionDef):
        out.nested.setdefault(stmt.name.value, []).append((stmt, conditional))
        for decorator in stmt.decorators:
            _expression(decorator, conditional, out)
        return
    if isinstance(stmt, cst.ClassDef):
        return
    if isinstance(stmt, cst.If):
        _expression(stmt.test, conditional, out)
        _block(stmt.body, True, out)
        if isinstance(stmt.orelse, cst.If):
            _statement(stmt.orelse, True, out)
        elif isinstance(stmt.orelse, cst.Else):
            _block(stmt.orelse.body, True, out)
        return
    if isinstance(stmt, cst.For | cst.While):
        _expression(stmt.iter if isinstance(stmt, cst.For) else stmt.test, conditional, out)
        _block(stmt.body, True, out)
        if stmt.orelse is not None:
            _block(stmt.orelse.body, True, out)
        return
    if isinstance(stmt, cst.Try | cst.TryStar):
        _block(stmt.body, conditional, out)
        for handler in stmt.handlers:
            if handler.type is not None:
                _expression(handler.type, True, out)
            _block(handler.body, True, out)
        if stmt.orelse is not None:
            _block(stmt.orelse.body, True, out)
        if stmt.finalbody is not None:
            _block(stmt.finalbody.body, conditional, out)
        return
    if isinstance(stmt, cst.With):
        for item in stmt.items:
            _expression(item.item, conditional, out)
        _block(stmt.body, conditional, out)
        return
    if isinstance(stmt, cst.Match):
        _expression(stmt.subject, conditional, out)
        for case in stmt.cases:
            _block(case.body, True, out)
        return
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            _expression(small, conditional, out)
        return
    _expression(stmt, conditional, out)


def _expression(node: cst.CSTNode, conditional: bool, out: FunctionBody) -> None:
    stack: list[tuple[cst.CSTNode, bool]] = [(node, conditional)]
    while stack:
        current, cond = stack.pop()
        if isinstance(current, cst.Call):
            out.calls.append((current, cond))
        elif isinstance(current, cst.Name):
            out.names.add(current.value)
        parts = children(current)
        if isinstance(current, cst.IfExp):
            marks = [cond if part is current.test else True for part in parts]
        elif isinstance(current, cst.BooleanOperation):
            marks = [cond if part is current.left else True for part in parts]
        elif isinstance(current, _DEFERRED):
            marks = [True] * len(parts)
        else:
            marks = [cond] * len(parts)
        stack.extend(reversed(list(zip(parts, marks, strict=True))))
