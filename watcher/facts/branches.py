"""One arm of the custom-auth chain as facts: guard, call, arguments, and what it hands on.

Each branch records its guard, the call it makes (the callable its guard names, else the first
awaited call), that call's keyword names, positional count and argument values, and its outcome:
`returns` (every path leaves), `falls-through` (none does) or `may-fall-through`, qualified with
what a falling-through path hands to the code after the chain: `replaces api_key` when it
reassigns a variable the call received as `api_key=` (`replaces argument 2` for a positional
one). Other locals a branch sets (flags, caches, logging context) are not facts: upstream adds
and renames them without changing what the dispatch decides, and counting them raised false
drift. Keyword names and counts, not local names, so renaming a local changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from watcher.facts.interface import DispatchBranch
from watcher.facts.parse import ParsedModule, dotted, last, walk
from watcher.facts.reach import awaited_calls, executed, has_raise, has_return, leaves

Render = Callable[[str, cst.BaseExpression], str]


def mentioned_names(node: cst.CSTNode) -> set[str]:
    """Every name and attribute name in a subtree (what a guard talks about)."""
    names: set[str] = set()
    for n in walk(node):
        if type(n) is cst.Name:
            names.add(n.value)
        elif type(n) is cst.Attribute:
            names.add(n.attr.value)
    return names


def _outcome(body: cst.BaseSuite, chosen: cst.Call | None) -> str:
    if leaves(body):
        return "returns"
    outcome = "may-fall-through" if has_return(body) or has_raise(body) else "falls-through"
    assigned: set[str] = set()
    for small in executed(body):
        if isinstance(small, cst.Assign | cst.AnnAssign | cst.AugAssign):
            targets = (
                [t.target for t in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
            )
            assigned |= {n.value for t in targets for n in walk(t) if isinstance(n, cst.Name)}
    passed: dict[str, str] = {}
    if chosen is not None:
        positional = 0
        for arg in chosen.args:
            positional += arg.keyword is None
            if isinstance(arg.value, cst.Name):
                role = arg.keyword.value if arg.keyword else f"argument {positional}"
                passed[arg.value.value] = role
    replaced = sorted(passed[name] for name in assigned if name in passed)
    return f"{outcome} (replaces {', '.join(replaced)})" if replaced else outcome


def branch_facts(
    parsed: ParsedModule,
    render: Render,
    owner: str,
    guard_node: cst.BaseExpression | None,
    body: cst.BaseSuite,
) -> DispatchBranch:
    """The facts of one arm (`guard_node` None for an `else`) of the chain in function `owner`."""
    guard = render(owner, guard_node) if guard_node is not None else "else"
    mentioned = mentioned_names(guard_node) if guard_node is not None else set()
    nodes = executed(body)
    awaited = awaited_calls(nodes)
    calls = [n for n in nodes if type(n) is cst.Call]
    chosen = next((c for c in calls if last(dotted(c.func)) in mentioned), None)
    chosen = chosen or next((c for c in calls if id(c) in awaited), None)
    outcome = _outcome(body, chosen)
    if chosen is None:
        return DispatchBranch(guard, "", False, (), 0, outcome, 0)
    keywords = tuple(sorted(a.keyword.value for a in chosen.args if a.keyword is not None))
    positional = sum(1 for a in chosen.args if a.keyword is None)
    return DispatchBranch(
        guard,
        last(parsed.imports.resolve(chosen.func)) or render(owner, chosen.func),
        id(chosen) in awaited,
        keywords,
        positional,
        outcome,
        parsed.line_of(owner, chosen),
        arguments=_arguments(render, owner, chosen),
    )


def _arguments(render: Render, owner: str, call: cst.Call) -> tuple[str, ...]:
    """What the call passes: positional values in order, then `keyword=value` sorted, values
    rendered so that a renamed local reads the same (see render.py)."""
    positional = [f"{a.star}{render(owner, a.value)}" for a in call.args if a.keyword is None]
    keywords = sorted(
        f"{a.keyword.value}={render(owner, a.value)}" for a in call.args if a.keyword is not None
    )
    return (*positional, *keywords)
