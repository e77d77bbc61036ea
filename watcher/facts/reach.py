"""Does a function always reach an auth call before it can return? Followed through module helpers.

A call counts as reached when it runs on every path through the body before any `return`:
statements in order, `with` bodies, `try` bodies whose handlers all re-raise, both arms of an
if/else. A call under an `if`, in a loop, or after a possible early return is `conditional`.

The accepted auth functions are coroutine functions (litellm's `user_api_key_auth` is): a call
that is not directly awaited creates a coroutine that never runs, so it does not authenticate.
The same holds for a module helper defined `async def` and called without `await`. A function
defined in the module under an accepted name shadows the import: it is followed as a helper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from watcher.facts.parse import ParsedModule, children, last, walk

MAX_HELPER_DEPTH = 6


@dataclass(frozen=True)
class Reach:
    """An auth call found from a function: `via` lists module helpers, outermost first.

    `awaited` False: the call only creates a coroutine (never awaited), so it checks nothing.
    """

    unconditional: bool
    function: str
    via: tuple[str, ...]
    owner: str
    line: int
    awaited: bool = True

    @property
    def rank(self) -> int:
        return 2 if self.awaited and self.unconditional else 1 if self.awaited else 0


_NOT_RUN_HERE = {cst.Lambda, cst.FunctionDef, cst.ClassDef}


def executed(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes of `node` in evaluation order, minus bodies that do not run here (lambdas, defs)."""
    out: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) in _NOT_RUN_HERE and current is not node:
            continue
        out.append(current)
        stack.extend(reversed(children(current)))
    return out


def has_return(node: cst.CSTNode) -> bool:
    """A `return` that leaves this function (a nested def's own returns do not)."""
    if type(node) in _NOT_RUN_HERE:
        return False
    return any(type(n) is cst.Return for n in executed(node))


def has_raise(node: cst.CSTNode) -> bool:
    return any(type(n) is cst.Raise for n in executed(node))


def leaves(node: cst.CSTNode, raising_only: bool = False) -> bool:
    """Every path through a statement or block ends in `return` or `raise` (only `raise` when
    `raising_only`): a final return/raise, an if/else whose arms all leave, a try whose body
    and handlers all leave, a `with` whose body leaves."""
    exits: tuple[type[cst.CSTNode], ...] = (cst.Raise,) if raising_only else (cst.Return, cst.Raise)
    if isinstance(node, cst.BaseSuite):
        body: Sequence[cst.CSTNode] = node.body
        return any(leaves(stmt, raising_only) for stmt in body)
    if isinstance(node, cst.SimpleStatementLine):
        return any(isinstance(small, exits) for small in node.body)
    if isinstance(node, exits):
        return True
    if isinstance(node, cst.If):
        if node.orelse is None:
            return False
        other = node.orelse if isinstance(node.orelse, cst.If) else node.orelse.body
        return leaves(node.body, raising_only) and leaves(other, raising_only)
    if isinstance(node, cst.Try):
        if node.finalbody is not None and leaves(node.finalbody.body, raising_only):
            return True
        main = leaves(node.body, raising_only) or (
            node.orelse is not None and leaves(node.orelse.body, raising_only)
        )
        return main and all(leaves(h.body, raising_only) for h in node.handlers)
    if isinstance(node, cst.With):
        return leaves(node.body, raising_only)
    return False


def always_raises(suite: cst.BaseSuite) -> bool:
    return leaves(suite, raising_only=True)


def _weaken(found: Reach | None) -> Reach | None:
    return replace(found, unconditional=False) if found is not None else None


def _best(*found: Reach | None) -> Reach | None:
    """The strongest finding; the first one on ties (source order)."""
    best: Reach | None = None
    for item in found:
        if item is not None and (best is None or item.rank > best.rank):
            best = item
    return best


def awaited_calls(nodes: Sequence[cst.CSTNode]) -> set[int]:
    """ids of the calls among `nodes` that are the direct operand of an `await`."""
    return {id(n.expression) for n in nodes if type(n) is cst.Await}


_LAZY = {cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp}


def sometimes_evaluated(nodes: Sequence[cst.CSTNode]) -> set[int]:
    """ids of the nodes among `nodes` that may not be evaluated: the arms of `x if c else y`,
    the right side of `and`/`or`, and the insides of comprehensions."""
    out: set[int] = set()
    for node in nodes:
        if id(node) in out:
            continue
        kind = type(node)
        if kind is cst.IfExp:
            assert isinstance(node, cst.IfExp)
            branches: list[cst.CSTNode] = [node.body, node.orelse]
        elif kind is cst.BooleanOperation:
            assert isinstance(node, cst.BooleanOperation)
            branches = [node.right]
        elif kind in _LAZY:
            branches = [node]
        else:
            continue
        for branch in branches:
            out.update(id(n) for n in walk(branch))
    return out


class ReachFinder:
    """Finds, from a module function, the first call to any of `targets` (matched by last name)."""

    def __init__(
        self, parsed: ParsedModule, targets: frozenset[str], defining: bool = False
    ) -> None:
        """`defining`: the module is read from another one's dependency on one of its
        functions; here a function under an accepted name is the auth function itself (the
        module that defines `user_api_key_auth` also wraps it for websockets), not a stand-in."""
        self.parsed = parsed
        self.targets = targets
        self.defining = defining
        self._memo: dict[str, Reach | None] = {}

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
        """The strongest auth reached by the calls of one statement or expression, in order."""
        nodes = executed(node)
        awaited = awaited_calls(nodes)
        sometimes = sometimes_evaluated(nodes)
        found: Reach | None = None
        for current in nodes:
            if type(current) is not cst.Call:
                continue
            assert isinstance(current, cst.Call)
            reach = self._call(current, owner, stack, id(current) in awaited)
            if reach is not None and id(current) in sometimes:
                reach = _weaken(reach)
            found = _best(found, reach)
            if found is not None and found.rank == 2:
                return found
        return found

    def _call(
        self, call: cst.Call, owner: str, stack: tuple[str, ...], is_awaited: bool
    ) -> Reach | None:
        helper = self.parsed.local_function(call.func)
        if helper is not None and not (self.defining and helper in self.targets):
            inner = self.function(helper, stack)
            if inner is None:
                return None
            inner = replace(inner, via=(helper, *inner.via))
            if self.parsed.functions[helper].asynchronous is not None and not is_awaited:
                line = self.parsed.line_of(owner, call)  # the missing await is the evidence
                return replace(inner, unconditional=False, awaited=False, owner=owner, line=line)
            return inner
        name = helper or last(self.parsed.imports.resolve(call.func))
        if name not in self.targets:
            return None
        line = self.parsed.line_of(owner, call)
        return Reach(is_awaited, name, (), owner, line, awaited=is_awaited)

    def _suite(self, suite: cst.BaseSuite, owner: str, stack: tuple[str, ...]) -> Reach | None:
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._calls(suite, owner, stack)
        weaker: Reach | None = None
        sure = True
        for stmt in suite.body:
            found = self._statement(stmt, owner, stack)
            if found is not None and found.rank == 2 and sure:
                return found
            weaker = _best(weaker, _weaken(found))
            if has_return(stmt):
                sure = False  # a path may leave before anything that follows
        return weaker

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
            if (found is None or found.rank < 2) and stmt.finalbody is not None:
                found = _best(found, self._suite(stmt.finalbody.body, owner, stack))
            return found
        if isinstance(stmt, cst.For):
            return _best(
                self._calls(stmt.iter, owner, stack), _weaken(self._suite(stmt.body, owner, stack))
            )
        if isinstance(stmt, cst.While):
            return _best(
                self._calls(stmt.test, owner, stack), _weaken(self._suite(stmt.body, owner, stack))
            )
        return _weaken(self._calls(stmt, owner, stack))

    def _if(self, stmt: cst.If, owner: str, stack: tuple[str, ...]) -> Reach | None:
        head = self._calls(stmt.test, owner, stack)
        if head is not None and head.rank == 2:
            return head
        body = self._suite(stmt.body, owner, stack)
        other: Reach | None = None
        if isinstance(stmt.orelse, cst.If):
            other = self._if(stmt.orelse, owner, stack)
        elif isinstance(stmt.orelse, cst.Else):
            other = self._suite(stmt.orelse.body, owner, stack)
        if body is not None and other is not None and body.rank == 2 and other.rank == 2:
            return body  # every arm authenticates
        return _best(head, _weaken(body) if body else None, _weaken(other) if other else None)
