"""The custom-auth dispatch chain reached from an entry function (`user_api_key_auth`).

The dispatch is the if/elif chain with a guard that names the marker (`user_custom_auth`),
searched in statement order through the entry function and the module helpers it calls (in 2025
the body moved into `_user_api_key_auth_builder`: the same facts come out, `via` records where).

Each branch is described by branches.py. What runs before the chain is summarized by checks.py
(a dispatch nested under an `if` or a loop adds "dispatch only under ..."); `fallback` is
`litellm-checks` when the code that runs after the chain (the rest of its function, then of the
functions that called it) performs a check by the same rule (a return does not count: returning
a key without checking it is no check), else `end`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from watcher.facts.branches import branch_facts, mentioned_names
from watcher.facts.checks import Check, CheckFinder
from watcher.facts.interface import DispatchBranch, DispatchChain, FactsError
from watcher.facts.parse import ParsedModule, last
from watcher.facts.reach import executed

MAX_DEPTH = 6


@dataclass
class _Found:
    node: cst.If
    owner: str
    via: tuple[str, ...]
    checks: list[Check]
    # What runs after the chain when no branch returns: the rest of its block, then the rest of
    # each enclosing block, innermost first, as (function, statements).
    after: list[tuple[str, Sequence[cst.CSTNode]]]


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
        self.checks = CheckFinder(parsed)

    def is_dispatch(self, stmt: cst.CSTNode) -> bool:
        if not isinstance(stmt, cst.If):
            return False
        imports = self.parsed.imports
        return any(
            self.marker in {last(imports.resolve_name(name)) for name in mentioned_names(guard)}
            for guard in _guards(stmt)
        )

    def function(self, name: str, stack: tuple[str, ...], checks: list[Check]) -> _Found | None:
        fn = self.parsed.functions.get(name)
        if fn is None or name in stack or len(stack) >= MAX_DEPTH:
            return None
        return self.block(fn.body, name, (*stack, name), checks)

    def block(
        self, suite: cst.BaseSuite, owner: str, stack: tuple[str, ...], checks: list[Check]
    ) -> _Found | None:
        if not isinstance(suite, cst.IndentedBlock):
            return None
        seen = list(checks)
        body = list(suite.body)
        for index, stmt in enumerate(body):
            if self.is_dispatch(stmt):
                assert isinstance(stmt, cst.If)
                return _Found(stmt, owner, stack, seen, [(owner, body[index + 1 :])])
            found = self.inside(stmt, owner, stack, seen)
            if found is not None:
                found.after.append((owner, body[index + 1 :]))
                return found
            seen.extend(self.checks.statement(stmt, owner))
        return None

    def inside(
        self, stmt: cst.CSTNode, owner: str, stack: tuple[str, ...], checks: list[Check]
    ) -> _Found | None:
        """The dispatch inside a compound statement, or inside a module helper this statement
        calls. A dispatch under an `if` or in a loop only runs sometimes: that is a check too."""
        if isinstance(stmt, cst.Try | cst.With):
            return self.block(stmt.body, owner, stack, checks)
        if isinstance(stmt, cst.If | cst.For | cst.While):
            return self._under(stmt, owner, stack, checks)
        if isinstance(stmt, cst.SimpleStatementLine):
            for node in executed(stmt):
                if type(node) is cst.Call:
                    assert isinstance(node, cst.Call)
                    helper = self.parsed.local_function(node.func)
                    if helper is not None:
                        found = self.function(helper, stack, checks)
                        if found is not None:
                            return found
        return None

    def _under(
        self,
        stmt: cst.If | cst.For | cst.While,
        owner: str,
        stack: tuple[str, ...],
        checks: list[Check],
    ) -> _Found | None:
        arms: list[tuple[str, cst.BaseSuite]] = []
        if isinstance(stmt, cst.If):
            node: cst.If = stmt
            arms.append(("", node.body))
            while isinstance(node.orelse, cst.If):
                node = node.orelse
                arms.append(("elif", node.body))
            if isinstance(node.orelse, cst.Else):
                arms.append(("else", node.orelse.body))
        else:
            arms.append(("loop", stmt.body))
        placeholder = Check("", 0)
        for index, (_, suite) in enumerate(arms):
            found = self.block(suite, owner, stack, [*checks, placeholder])
            if found is not None:
                # Only now is the guard worth rendering: most statements hold no dispatch.
                at = next(i for i, check in enumerate(found.checks) if check is placeholder)
                found.checks[at] = self._condition(stmt, owner, index)
                return found
        return None

    def _condition(self, stmt: cst.If | cst.For | cst.While, owner: str, arm: int) -> Check:
        render = self.checks.render
        if isinstance(stmt, cst.For):
            return Check(f"dispatch only in a loop over {render(owner, stmt.iter)}", 0)
        if isinstance(stmt, cst.While):
            return Check(f"dispatch only in a loop while {render(owner, stmt.test)}", 0)
        guards = _guards(stmt)
        text = f"if {render(owner, guards[0])}"
        if 0 < arm < len(guards):
            text += f" / elif {render(owner, guards[arm])}"
        elif arm >= len(guards):
            text += " / else"
        return Check(f"dispatch only under {text}", self.parsed.line_of(owner, stmt))


def extract_dispatch(parsed: ParsedModule, entry: str, marker: str) -> DispatchChain:
    if entry not in parsed.functions:
        raise FactsError(f"{parsed.path}: entry point {entry}() not found")
    search = _Search(parsed, marker)
    found = search.function(entry, (), [])
    if found is None:
        raise FactsError(
            f"{parsed.path}: no if/elif chain testing {marker!r} is reached from {entry}()"
        )
    render = search.checks.render
    branches: list[DispatchBranch] = []
    node: cst.If | None = found.node
    while node is not None:
        branches.append(branch_facts(parsed, render, found.owner, node.test, node.body))
        if isinstance(node.orelse, cst.Else):
            branches.append(branch_facts(parsed, render, found.owner, None, node.orelse.body))
        node = node.orelse if isinstance(node.orelse, cst.If) else None
    checks = list(dict.fromkeys(check.text for check in found.checks))
    checked_after = any(
        search.checks.any_check(stmt, owner) for owner, stmts in found.after for stmt in stmts
    )
    lines = {check.text: check.line for check in reversed(found.checks)}
    return DispatchChain(
        entry=entry,
        checks_before=tuple(checks),
        branches=tuple(branches),
        fallback="litellm-checks" if checked_after else "end",
        via=found.via,
        line=parsed.line_of(found.owner, found.node),
        check_lines=tuple(lines[text] for text in checks),
    )
