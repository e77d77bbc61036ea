"""What one function calls: every call site, whether it runs on every path, and the nested defs.

A call is *conditional* when it runs only on some paths through the function: inside an `if`,
`else`, loop, `except` or `match` arm, on the right of `and`/`or`, in a conditional expression,
lambda or comprehension, or after a statement that may return early. Nested functions are not
walked here (their bodies run when they are called); they are listed, with the names the body
refers to, so a caller can tell which closures a factory hands out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from watcher.facts.parse import canonical_code, children

# Bodies that run later, repeatedly or not at all.
_DEFERRED = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class FunctionBody:
    """Call sites in source order, nested defs by name (twins from try/except kept in order)."""

    calls: list[tuple[cst.Call, bool]] = field(default_factory=list)
    nested: dict[str, list[tuple[cst.FunctionDef, bool]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    # The arm each nested def sits in, by id(def): (kind, text) with kind `try`, `except`, `if`,
    # `else`, `loop`, `case` or '' (plain code). Evidence: which branch hands out which closure.
    arms: dict[int, tuple[str, str]] = field(default_factory=dict)
    # The statements of each `try` block, by id(def) of the defs inside it (for the selector).
    try_blocks: dict[int, Sequence[cst.CSTNode]] = field(default_factory=dict)


Arm = tuple[str, str]
_PLAIN: Arm = ("", "")


def scan_function(fn: cst.FunctionDef) -> FunctionBody:
    out = FunctionBody()
    _block(fn.body, False, out)
    return out


def _code(node: cst.BaseExpression) -> str:
    text = canonical_code(node)
    return text if len(text) <= 80 else text[:77] + "..."


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


def _block(
    suite: cst.BaseSuite,
    conditional: bool,
    out: FunctionBody,
    arm: Arm = _PLAIN,
    tried: Sequence[cst.CSTNode] | None = None,
) -> None:
    if isinstance(suite, cst.SimpleStatementSuite):
        for small in suite.body:
            _expression(small, conditional, out)
        return
    for stmt in suite.body:
        _statement(stmt, conditional, out, arm, tried)
        conditional = conditional or _may_leave(stmt)


def _statement(
    stmt: cst.CSTNode,
    conditional: bool,
    out: FunctionBody,
    arm: Arm = _PLAIN,
    tried: Sequence[cst.CSTNode] | None = None,
) -> None:
    if isinstance(stmt, cst.FunctionDef):
        out.nested.setdefault(stmt.name.value, []).append((stmt, conditional))
        out.arms[id(stmt)] = arm
        if tried is not None:
            out.try_blocks[id(stmt)] = tried
        for decorator in stmt.decorators:
            _expression(decorator, conditional, out)
        return
    if isinstance(stmt, cst.ClassDef):
        return
    if isinstance(stmt, cst.If):
        _expression(stmt.test, conditional, out)
        _block(stmt.body, True, out, ("if", f"if {_code(stmt.test)}"))
        if isinstance(stmt.orelse, cst.If):
            _statement(stmt.orelse, True, out)
        elif isinstance(stmt.orelse, cst.Else):
            _block(stmt.orelse.body, True, out, ("else", f"else of if {_code(stmt.test)}"))
        return
    if isinstance(stmt, cst.For | cst.While):
        _expression(stmt.iter if isinstance(stmt, cst.For) else stmt.test, conditional, out)
        _block(stmt.body, True, out, ("loop", "in a loop"))
        if stmt.orelse is not None:
            _block(stmt.orelse.body, True, out, ("else", "after a loop"))
        return
    if isinstance(stmt, cst.Try | cst.TryStar):
        tried_body = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
        _block(stmt.body, conditional, out, ("try", "try block"), tried_body)
        for handler in stmt.handlers:
            if handler.type is not None:
                _expression(handler.type, True, out)
            caught = f"except {_code(handler.type)}" if handler.type is not None else "except"
            _block(handler.body, True, out, ("except", caught), tried_body)
        if stmt.orelse is not None:
            _block(stmt.orelse.body, True, out, ("else", "else of a try"))
        if stmt.finalbody is not None:
            _block(stmt.finalbody.body, conditional, out)
        return
    if isinstance(stmt, cst.With):
        for item in stmt.items:
            _expression(item.item, conditional, out)
        _block(stmt.body, conditional, out, arm, tried)
        return
    if isinstance(stmt, cst.Match):
        _expression(stmt.subject, conditional, out)
        for case in stmt.cases:
            _block(case.body, True, out, ("case", "in a match case"))
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
