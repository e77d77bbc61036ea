"""The custom-auth dispatch chain reached from an entry function (`user_api_key_auth`).

The dispatch is the if/elif chain with a guard that names the marker (`user_custom_auth`),
searched in statement order through the entry function and the module helpers it calls (in 2025
the body moved into `_user_api_key_auth_builder`: the same facts come out, `via` records where).

Each branch records its guard, the call it makes (the callable its guard names, else the first
awaited call), that call's keyword names and positional count, and its outcome:
`returns` (every path leaves), `falls-through` (none does) or `may-fall-through`, qualified with
what a falling-through path hands to the code after the chain: `replaces api_key` when it
reassigns a variable the call received as `api_key=`, `sets N other variable(s)` for other
variables the rest of the function reads. Keyword names, not local names, so renaming a local
changes nothing. What runs before the chain is summarized by checks.py; `fallback` is
`litellm-checks` when the code that runs after the chain (the rest of its function, then of the
functions that called it) performs a check by the same rule (a return does not count: returning
a key without checking it is no check), else `end`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from watcher.facts.checks import Check, CheckFinder
from watcher.facts.interface import DispatchBranch, DispatchChain, FactsError
from watcher.facts.parse import ParsedModule, dotted, last, walk
from watcher.facts.reach import awaited_calls, executed, has_raise, has_return, leaves

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


def _names(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    for n in walk(node):
        if type(n) is cst.Name:
            names.add(n.value)
        elif type(n) is cst.Attribute:
            names.add(n.attr.value)
    return names


def expression_names(node: cst.CSTNode) -> Counter[str]:
    """Plain names read or bound in a subtree, as `ast.Name` would count them (attribute and
    keyword names excluded), so counts compare with the line index's per-function counts."""
    skip: set[int] = set()
    counts: Counter[str] = Counter()
    for current in walk(node):
        if isinstance(current, cst.Attribute):
            skip.add(id(current.attr))
        elif isinstance(current, cst.Arg) and current.keyword is not None:
            skip.add(id(current.keyword))
        elif isinstance(current, cst.Param | cst.FunctionDef | cst.ClassDef | cst.ImportAlias):
            skip.add(id(current.name))
        elif isinstance(current, cst.Name) and id(current) not in skip:
            counts[current.value] += 1
    return counts


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
            self.marker in {last(imports.resolve_name(name)) for name in _names(guard)}
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


def _outcome(parsed: ParsedModule, owner: str, body: cst.BaseSuite, chosen: cst.Call | None) -> str:
    if leaves(body):
        return "returns"
    outcome = "may-fall-through" if has_return(body) or has_raise(body) else "falls-through"
    assigned: set[str] = set()
    results: set[str] = set()
    for small in executed(body):
        if isinstance(small, cst.Assign | cst.AnnAssign | cst.AugAssign):
            targets = (
                [t.target for t in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
            )
            names = {n.value for t in targets for n in walk(t) if isinstance(n, cst.Name)}
            assigned |= names
            value = getattr(small, "value", None)
            if chosen is not None and value is not None and any(n is chosen for n in walk(value)):
                results |= names  # the variable that receives the call's own result
    passed: dict[str, str] = {}
    if chosen is not None:
        for arg in chosen.args:
            if arg.keyword is not None and isinstance(arg.value, cst.Name):
                passed[arg.value.value] = arg.keyword.value
    replaced = sorted(passed[name] for name in assigned if name in passed)
    inside = expression_names(body)
    others = [
        name
        for name in assigned - results - set(passed)
        if parsed.lines.name_count(owner, name) > inside[name]
    ]
    details = [f"replaces {', '.join(replaced)}"] if replaced else []
    if others:
        details.append(f"sets {len(others)} other variable{'s' if len(others) > 1 else ''}")
    return f"{outcome} ({'; '.join(details)})" if details else outcome


def _branch(
    search: _Search, owner: str, guard_node: cst.BaseExpression | None, body: cst.BaseSuite
) -> DispatchBranch:
    parsed = search.parsed
    guard = search.checks.render(owner, guard_node) if guard_node is not None else "else"
    mentioned = _names(guard_node) if guard_node is not None else set()
    nodes = executed(body)
    awaited = awaited_calls(nodes)
    calls = [n for n in nodes if type(n) is cst.Call]
    chosen = next((c for c in calls if last(dotted(c.func)) in mentioned), None)
    chosen = chosen or next((c for c in calls if id(c) in awaited), None)
    outcome = _outcome(parsed, owner, body, chosen)
    if chosen is None:
        return DispatchBranch(guard, "", False, (), 0, outcome, 0)
    keywords = tuple(sorted(a.keyword.value for a in chosen.args if a.keyword is not None))
    positional = sum(1 for a in chosen.args if a.keyword is None)
    return DispatchBranch(
        guard,
        last(parsed.imports.resolve(chosen.func)) or search.checks.render(owner, chosen.func),
        id(chosen) in awaited,
        keywords,
        positional,
        outcome,
        parsed.line_of(owner, chosen),
        arguments=_arguments(search, owner, chosen),
    )


def _arguments(search: _Search, owner: str, call: cst.Call) -> tuple[str, ...]:
    """What the call passes: positional values in order, then `keyword=value` sorted, values
    rendered so that a renamed local reads the same (see render.py)."""
    positional = [
        f"{a.star}{search.checks.render(owner, a.value)}" for a in call.args if a.keyword is None
    ]
    keywords = sorted(
        f"{a.keyword.value}={search.checks.render(owner, a.value)}"
        for a in call.args
        if a.keyword is not None
    )
    return (*positional, *keywords)


def extract_dispatch(parsed: ParsedModule, entry: str, marker: str) -> DispatchChain:
    if entry not in parsed.functions:
        raise FactsError(f"{parsed.path}: entry point {entry}() not found")
    search = _Search(parsed, marker)
    found = search.function(entry, (), [])
    if found is None:
        raise FactsError(
            f"{parsed.path}: no if/elif chain testing {marker!r} is reached from {entry}()"
        )
    branches: list[DispatchBranch] = []
    node: cst.If | None = found.node
    while node is not None:
        branches.append(_branch(search, found.owner, node.test, node.body))
        if isinstance(node.orelse, cst.Else):
            branches.append(_branch(search, found.owner, None, node.orelse.body))
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
