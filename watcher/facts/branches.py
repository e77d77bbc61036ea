"""One arm of the custom-auth chain as facts: guard, call, arguments, and what it hands on.

Each branch records its guard, the call it makes (the callable its guard names, else the first
awaited call), that call's keyword names, positional count and argument values, and its outcome:
`returns` (every path leaves), `falls-through` (none does) or `may-fall-through`, qualified with
what a falling-through path hands to the code after the chain: `replaces api_key` when it
reassigns a variable the call received as `api_key=` (`replaces argument 2` for a positional
one), `sets N other variable(s)` for other variables the rest of the function reads. Keyword
names and counts, not local names, so renaming a local changes nothing.
"""

from __future__ import annotations

from collections import Counter
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
        positional = 0
        for arg in chosen.args:
            positional += arg.keyword is None
            if isinstance(arg.value, cst.Name):
                role = arg.keyword.value if arg.keyword else f"argument {positional}"
                passed[arg.value.value] = role
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
    outcome = _outcome(parsed, owner, body, chosen)
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
