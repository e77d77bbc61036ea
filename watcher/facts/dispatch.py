"""The custom-auth dispatch chain reached from an entry function (`user_api_key_auth`).

The dispatch is the if/elif chain with a guard that names the marker (`user_custom_auth`),
searched in statement order through the entry function and the module helpers it calls (in 2025
the body moved into `_user_api_key_auth_builder`: the same facts come out, `via` records where).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from watcher.facts.interface import DispatchBranch, DispatchChain, FactsError
from watcher.facts.parse import ParsedModule, canonical_code, dotted, last, walk
from watcher.facts.reach import always_leaves, executed, has_return

MAX_DEPTH = 6
# Callees whose name says they decide access: running one before custom auth is a finding.
CHECK_NAME = re.compile(r"check|auth|verif|valid|permission|allow|limit|budget", re.IGNORECASE)


@dataclass
class _Found:
    node: cst.If
    owner: str
    via: tuple[str, ...]
    checks: list[str]
    has_fallback: bool


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in walk(node) if isinstance(n, cst.Name)} | {
        n.attr.value for n in walk(node) if isinstance(n, cst.Attribute)
    }


def _guards(node: cst.If) -> list[cst.BaseExpression]:
    out = [node.test]
    while isinstance(node.orelse, cst.If):
        node = node.orelse
        out.append(node.test)
    return out


class _Search:
    def __init__(self, parsed: ParsedModule, marker: str) -> None:
        self.parsed = parsed
        self.marker = marker

    def is_dispatch(self, stmt: cst.CSTNode) -> bool:
        return isinstance(stmt, cst.If) and any(self.marker in _names(g) for g in _guards(stmt))

    def checks(self, stmt: cst.CSTNode) -> list[str]:
        """What a statement that runs before the dispatch does to decide access, if anything."""
        if isinstance(stmt, cst.If):
            body = [stmt.body] + ([stmt.orelse] if stmt.orelse is not None else [])
            if any(has_return(b) or _raises(b) for b in body):
                return [f"if {canonical_code(stmt.test)}: may return or raise"]
            return []
        if isinstance(stmt, cst.SimpleStatementLine):
            found: list[str] = []
            for small in stmt.body:
                if isinstance(small, cst.Raise | cst.Return):
                    found.append(type(small).__name__.lower())
            for node in executed(stmt):
                if isinstance(node, cst.Call):
                    name = last(self.parsed.imports.resolve(node.func))
                    if (
                        name
                        and CHECK_NAME.search(name)
                        and self.parsed.imports.resolve(node.func) not in found
                    ):
                        found.append(f"call {name}")
            return found
        return []

    def function(self, name: str, stack: tuple[str, ...], checks: list[str]) -> _Found | None:
        fn = self.parsed.functions.get(name)
        if fn is None or name in stack or len(stack) >= MAX_DEPTH:
            return None
        return self.block(fn.body, name, (*stack, name), checks)

    def block(
        self, suite: cst.BaseSuite, owner: str, stack: tuple[str, ...], checks: list[str]
    ) -> _Found | None:
        if not isinstance(suite, cst.IndentedBlock):
            return None
        seen = list(checks)
        body = list(suite.body)
        for index, stmt in enumerate(body):
            if self.is_dispatch(stmt):
                assert isinstance(stmt, cst.If)
                return _Found(stmt, owner, stack, seen, index + 1 < len(body))
            found = self.inside(stmt, owner, stack, seen)
            if found is not None:
                if not found.has_fallback:
                    found.has_fallback = index + 1 < len(body)
                return found
            seen.extend(self.checks(stmt))
        return None

    def inside(
        self, stmt: cst.CSTNode, owner: str, stack: tuple[str, ...], checks: list[str]
    ) -> _Found | None:
        """The dispatch inside a compound statement, or inside a module helper this statement calls."""
        if isinstance(stmt, cst.Try | cst.With):
            found = self.block(stmt.body, owner, stack, checks)
            if found is not None:
                return found
        if isinstance(stmt, cst.If | cst.For | cst.While):
            for suite in [stmt.body] + (
                [stmt.orelse.body] if isinstance(stmt.orelse, cst.Else) else []
            ):
                found = self.block(suite, owner, stack, checks)
                if found is not None:
                    return found
        if isinstance(stmt, cst.SimpleStatementLine):
            for node in executed(stmt):
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                    helper = node.func.value
                    if helper in self.parsed.functions and helper not in self.parsed.imports.names:
                        found = self.function(helper, stack, checks)
                        if found is not None:
                            return found
        return None


def _raises(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Raise) for n in executed(node))


def _branch(
    parsed: ParsedModule, owner: str, guard_node: cst.CSTNode | None, body: cst.BaseSuite
) -> DispatchBranch:
    guard = canonical_code(guard_node) if isinstance(guard_node, cst.BaseExpression) else "else"
    mentioned = _names(guard_node) if guard_node is not None else set()
    awaited_calls = {id(n.expression) for n in executed(body) if isinstance(n, cst.Await)}
    calls = [n for n in executed(body) if isinstance(n, cst.Call)]
    chosen = next((c for c in calls if last(dotted(c.func)) in mentioned), None)
    chosen = chosen or next((c for c in calls if id(c) in awaited_calls), None)
    outcome = (
        "returns"
        if always_leaves(body)
        else ("may-fall-through" if has_return(body) or _raises(body) else "falls-through")
    )
    if chosen is None:
        return DispatchBranch(
            guard,
            "",
            False,
            (),
            0,
            outcome,
            parsed.line_of(owner, guard_node) if isinstance(guard_node, cst.If) else 0,
        )
    keywords = tuple(sorted(a.keyword.value for a in chosen.args if a.keyword is not None))
    positional = sum(1 for a in chosen.args if a.keyword is None)
    return DispatchBranch(
        guard,
        last(parsed.imports.resolve(chosen.func)),
        id(chosen) in awaited_calls,
        keywords,
        positional,
        outcome,
        parsed.line_of(owner, chosen),
    )


def extract_dispatch(parsed: ParsedModule, entry: str, marker: str) -> DispatchChain:
    if entry not in parsed.functions:
        raise FactsError(f"{parsed.path}: entry point {entry}() not found")
    found = _Search(parsed, marker).function(entry, (), [])
    if found is None:
        raise FactsError(
            f"{parsed.path}: no if/elif chain testing {marker!r} is reached from {entry}()"
        )
    branches: list[DispatchBranch] = []
    node: cst.If | None = found.node
    while node is not None:
        branches.append(_branch(parsed, found.owner, node.test, node.body))
        if isinstance(node.orelse, cst.Else):
            branches.append(_branch(parsed, found.owner, None, node.orelse.body))
        node = node.orelse if isinstance(node.orelse, cst.If) else None
    return DispatchChain(
        entry=entry,
        checks_before=tuple(found.checks),
        branches=tuple(branches),
        fallback="litellm-checks" if found.has_fallback else "end",
        via=found.via,
        line=parsed.line_of(found.owner, found.node),
    )
