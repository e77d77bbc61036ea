"""One pass over a module's own statements: what module-level names are bound to or extended
with, and which calls stand as statements (route registrations, `include_router`, routers).

Each statement carries whether it runs on every import of the module (False) or only sometimes
(True): under if/for/while/match, in an except or else arm, or inside a function body. That is
what makes a dependency list "conditional".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from watcher.facts.parse import ParsedModule, dotted


def flagged(
    body: Sequence[cst.CSTNode], conditional: bool, owner: str = ""
) -> Iterator[tuple[cst.BaseSmallStatement, bool, str]]:
    """Every simple statement of a block with whether it runs on every import of the module
    (False) or only sometimes: under if/for/while/match, in an except/else arm, in a function;
    and the function it sits in, named as `ParsedModule.functions` names it ('' at module level)."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield small, conditional, owner
            continue
        if isinstance(stmt, cst.FunctionDef):
            name = f"{owner}.<locals>.{stmt.name.value}" if owner else stmt.name.value
            yield from _suite(stmt.body, True, name)
        elif isinstance(stmt, cst.ClassDef):
            yield from _suite(stmt.body, True, f"{owner}.{stmt.name.value}".lstrip("."), True)
        elif isinstance(stmt, cst.With):
            yield from _suite(stmt.body, conditional, owner)
        elif isinstance(stmt, cst.Try):
            yield from _suite(stmt.body, conditional, owner)
            for handler in stmt.handlers:
                yield from _suite(handler.body, True, owner)
            if stmt.orelse is not None:
                yield from _suite(stmt.orelse.body, True, owner)
            if stmt.finalbody is not None:
                yield from _suite(stmt.finalbody.body, conditional, owner)
        elif isinstance(stmt, cst.If | cst.For | cst.While):
            yield from _suite(stmt.body, True, owner)
            orelse = stmt.orelse
            while isinstance(orelse, cst.If):
                yield from _suite(orelse.body, True, owner)
                orelse = orelse.orelse
            if isinstance(orelse, cst.Else):
                yield from _suite(orelse.body, True, owner)
        elif isinstance(stmt, cst.Match):
            for case in stmt.cases:
                yield from _suite(case.body, True, owner)


def _suite(
    suite: cst.BaseSuite, conditional: bool, owner: str, in_class: bool = False
) -> Iterator[tuple[cst.BaseSmallStatement, bool, str]]:
    if isinstance(suite, cst.SimpleStatementSuite):
        for small in suite.body:
            yield small, conditional, owner
    elif in_class:
        # Methods are named `Class.method`, not `Class.<locals>.method`.
        for stmt in suite.body:
            if isinstance(stmt, cst.FunctionDef):
                yield from _suite(stmt.body, True, f"{owner}.{stmt.name.value}")
            else:
                yield from flagged([stmt], conditional, owner)
    else:
        yield from flagged(suite.body, conditional, owner)


class ModuleScan:
    """One pass over a module's statements: what module names are bound to or extended with,
    and the statement-level calls (route registrations, `include_router`) with their lines."""

    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        self.bindings: dict[str, list[tuple[cst.BaseExpression, bool]]] = {}
        self.additions: dict[str, list[tuple[cst.BaseExpression, bool, bool]]] = {}
        self.calls: list[tuple[cst.Call, bool, int]] = []
        # The function each statement-level call sits in ('' at module level), by id(call).
        self.owners: dict[int, str] = {}
        ordinals: dict[str, int] = {}
        for small, conditional, owner in flagged(self.parsed.module.body, False):
            value = (
                small.value if isinstance(small, cst.Expr | cst.Assign | cst.AnnAssign) else None
            )
            if isinstance(value, cst.Call):
                callee = (
                    value.func.attr.value
                    if isinstance(value.func, cst.Attribute)
                    else dotted(value.func)
                )
                ordinal = ordinals.get(callee, 0)
                ordinals[callee] = ordinal + 1
                line = self.parsed.lines.statement_call(callee, ordinal)
                self.calls.append((value, conditional, line))
                self.owners[id(value)] = owner
            self._bind(small, conditional)

    def _bind(self, small: cst.BaseSmallStatement, conditional: bool) -> None:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    self.bindings.setdefault(target.target.value, []).append(
                        (small.value, conditional)
                    )
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            if isinstance(small.target, cst.Name):
                self.bindings.setdefault(small.target.value, []).append((small.value, conditional))
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            self.additions.setdefault(small.target.value, []).append(
                (small.value, conditional, True)
            )
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            func = small.value.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                method, name = func.attr.value, func.value.value
                args = [a.value for a in small.value.args if a.keyword is None]
                if method in {"append", "insert"} and args:
                    self.additions.setdefault(name, []).append((args[-1], conditional, False))
                elif method == "extend" and args:
                    self.additions.setdefault(name, []).append((args[0], conditional, True))
