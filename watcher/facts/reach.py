"""Does a function always reach an auth call before it can return? Followed through module helpers.

A call counts as reached when it runs on every path through the body before any `return`:
statements in order, `with` bodies, `try` bodies whose handlers all re-raise, both arms of an
if/else. A call under an `if`, in a loop, or after a possible early return is `conditional`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from watcher.facts.parse import ParsedModule, children, last

MAX_HELPER_DEPTH = 6


@dataclass(frozen=True)
class Reach:
    """An auth call found from a function: `via` lists module helpers, outermost first."""

    unconditional: bool
    function: str
    via: tuple[str, ...]
    owner: str
    line: int


def executed(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes of `node` in evaluation order, minus bodies that do not run here (lambdas, defs)."""
    out: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current is not node and isinstance(current, cst.Lambda | cst.FunctionDef | cst.ClassDef):
            continue
        out.append(current)
        stack.extend(reversed(children(current)))
    return out


def has_return(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Return) for n in executed(node))


def always_leaves(suite: cst.BaseSuite) -> bool:
    """The block ends in `return` or `raise` at its own level."""
    if isinstance(suite, cst.SimpleStatementSuite):
        smalls: Sequence[cst.CSTNode] = suite.body
    else:
        final = suite.body[-1] if suite.body else None
        smalls = final.body if isinstance(final, cst.SimpleStatementLine) else []
    return any(isinstance(small, cst.Return | cst.Raise) for small in smalls)


def always_raises(suite: cst.BaseSuite) -> bool:
    if isinstance(suite, cst.SimpleStatementSuite):
        return any(isinstance(small, cst.Raise) for small in suite.body)
    final = suite.body[-1] if suite.body else None
    return isinstance(final, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Raise) for small in final.body
    )


def _weaken(found: Reach | None) -> Reach | None:
    return replace(found, unconditional=False) if found is not None else None


class ReachFinder:
    """Finds, from a module function, the first call to any of `targets` (matched by last name)."""

    def __init__(self, parsed: ParsedModule, targets: frozenset[str]) -> None:
        self.parsed = parsed
        self.targets = targets
        self._memo: dict[str, Reach | None] = {}

    def local_helper(self, func: cst.BaseExpression) -> str | None:
        """The module-level function a call target names, if it is defined in this module."""
        if isinstance(func, cst.Name):
            name = func.value
            if name in self.parsed.functions and name not in self.parsed.imports.names:
                return name
        return None

    def function(self, name: str, stack: tuple[str, ...] = ()) -> Reach | None:
        if name in stack or len(stack) >= MAX_HELPER_DEPTH:
            return None
        if name in self._memo:
            return self._memo[name]
        fn = self.parsed.functions.get(name)
        found = self._suite(fn.body, name, (*stack, name)) if fn is not None else None
        self._memo[name] = found
        return found

    def _calls(self, node: cst.CSTNode, owner: str, stack: tuple[str, ...]) -> Reach | None:
        for current in executed(node):
            if not isinstance(current, cst.Call):
                continue
            if last(self.parsed.imports.resolve(current.func)) in self.targets:
                name = last(self.parsed.imports.resolve(current.func))
                return Reach(True, name, (), owner, self.parsed.line_of(owner, current))
            helper = self.local_helper(current.func)
            inner = self.function(helper, stack) if helper is not None else None
            if inner is not None:
                return replace(inner, via=(helper, *inner.via)) if helper else inner
        return None

    def _suite(self, suite: cst.BaseSuite, owner: str, stack: tuple[str, ...]) -> Reach | None:
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._calls(suite, owner, stack)
        conditional: Reach | None = None
        sure = True
        for stmt in suite.body:
            found = self._statement(stmt, owner, stack)
            if found is not None and found.unconditional and sure:
                return found
            conditional = conditional or _weaken(found)
            if has_return(stmt):
                sure = False  # a path may leave before anything that follows
        return conditional

    def _statement(self, stmt: cst.CSTNode, owner: str, stack: tuple[str, ...]) -> Reach | None:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            return None
        if isinstance(stmt, cst.SimpleStatementLine):
            return self._calls(stmt, owner, stack)
        if isinstance(stmt, cst.If):
            return self._if(stmt, owner, stack)
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                if (head := self._calls(item.item, owner, stack)) is not None:
                    return head
            return self._suite(stmt.body, owner, stack)
        if isinstance(stmt, cst.Try):
            found = self._suite(stmt.body, owner, stack)
            if found is not None and any(not always_raises(h.body) for h in stmt.handlers):
                found = _weaken(found)  # a handler may swallow the auth failure
            if found is None and stmt.finalbody is not None:
                found = self._suite(stmt.finalbody.body, owner, stack)
            return found
        if isinstance(stmt, cst.For):
            return self._calls(stmt.iter, owner, stack) or _weaken(
                self._suite(stmt.body, owner, stack)
            )
        if isinstance(stmt, cst.While):
            return self._calls(stmt.test, owner, stack) or _weaken(
                self._suite(stmt.body, owner, stack)
            )
        return _weaken(self._calls(stmt, owner, stack))

    def _if(self, stmt: cst.If, owner: str, stack: tuple[str, ...]) -> Reach | None:
        if (head := self._calls(stmt.test, owner, stack)) is not None:
            return head
        body = self._suite(stmt.body, owner, stack)
        other: Reach | None = None
        if isinstance(stmt.orelse, cst.If):
            other = self._if(stmt.orelse, owner, stack)
        elif isinstance(stmt.orelse, cst.Else):
            other = self._suite(stmt.orelse.body, owner, stack)
        if body is not None and other is not None and body.unconditional and other.unconditional:
            return body  # every arm authenticates
        return _weaken(body or other)
