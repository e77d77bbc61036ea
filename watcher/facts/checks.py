"""LiteLLM's own access checks that run before the custom-auth dispatch.

The card says custom auth runs first and LiteLLM's checks after it; a check moved in front of the
dispatch changes what a custom-auth deployment accepts, so it is a fact. The rule, applied to every
statement that runs before the dispatch (in the entry function and in each helper on the way to
the dispatch, in order):

1. `raise` is a check; so is `return` (it skips the dispatch on that path).
2. A compound statement with an arm that may raise or return is a check, written by its guard:
   `if not _check_valid_ip(...)[0]: raises` (locals by their definition, see render.py), a loop
   `for ...: returns`, a handler `except ...: raises`.
3. A call whose result is the whole statement (`await x(...)`, `y = x(...)`) to a function that
   is not defined in this module is a check when its name says it decides access: this is the
   one judgement by name, and the check's text names the rule that made it. A decision word
   (check, verify, validate, authenticate, authorize, auth, enforce, deny, reject, forbid, block,
   restrict, guard; `RouteChecks.should_call_route` counts by its class), or a predicate
   (`is_request_body_safe`: is/has/can with safe, allowed, valid, ...). Getters, setters,
   parsers, loggers and caches are not checks (`_safe_set_request_parsed_body`,
   `_safe_get_request_query_params`) unless a decision verb says so, nor is `model_validate`.
   Body parsing, caching, logging, metrics and local variables are never auth decisions.
   Calls inside conditions are not counted here: rule 2 covers what their result decides.
4. A function of this module called anywhere in those statements is followed (up to a depth):
   its raises, raising arms and check calls count as if they were written inline, so moving a
   check into a local helper gives the same facts. Its own `return`s do not count (they leave
   the helper, not the auth function).

Reading only the call names of imported functions is deliberate: following them would cost a blob
read per function. The names are judged by whole words, not substrings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import libcst as cst

from watcher.facts.parse import ParsedModule, dotted, last
from watcher.facts.reach import executed
from watcher.facts.render import Renderer
from watcher.facts.routes import words

# Rule 3's words. A decision verb anywhere in the name makes the call a check; an adjective
# counts only in predicate form (`is_request_body_safe`), so `_safe_set_request_parsed_body`
# (a setter that happens to say "safe") is not one. Getters, setters, parsers, loggers and
# caches are not checks unless a decision verb says otherwise.
DECISION_VERBS = {
    "check",
    "checks",
    "checked",
    "verify",
    "validate",
    "validation",
    "authenticate",
    "authorize",
    "authorization",
    "auth",
    "enforce",
    "deny",
    "reject",
    "forbid",
    "block",
    "restrict",
    "guard",
    "guardrail",
}
PREDICATE_WORDS = {"is", "has", "can"}
ADJECTIVES = {
    "safe",
    "allowed",
    "valid",
    "permitted",
    "authorized",
    "authenticated",
    "blocked",
    "forbidden",
    "denied",
    "restricted",
    "within",
    "exceeded",
    "over",
}
NOT_DECISIONS = {"get", "set", "parse", "read", "load", "log", "cache", "record", "emit", "add"}
NOT_CHECKS = {"model_validate", "model_validate_json"}
MAX_HELPER_DEPTH = 4


@dataclass(frozen=True)
class Check:
    text: str
    line: int


def check_rule(qualified: str) -> str | None:
    """Why a call to an imported function counts as a check, judged by its last name (plus its
    class when called as `Class.method`): the rule, for the facts to show; None: no check."""
    parts = qualified.split(".")
    name = parts[-1]
    if not name or name in NOT_CHECKS:
        return None
    found = words(name)
    if len(parts) > 1 and parts[-2][:1].isupper():
        found |= words(parts[-2])
    if verbs := sorted(found & DECISION_VERBS, key=lambda word: (word == "auth", word)):
        if found & NOT_DECISIONS and not found & (DECISION_VERBS - {"auth"}):
            return None  # `get_auth_token`: a getter about auth decides nothing
        return f"name rule: decision word {verbs[0]!r}"
    adjectives = sorted(found & ADJECTIVES)
    if adjectives and found & PREDICATE_WORDS and not found & NOT_DECISIONS:
        return f"name rule: predicate {adjectives[0]!r}"
    return None


def is_check_name(qualified: str) -> bool:
    return check_rule(qualified) is not None


def _statement_call(small: cst.BaseSmallStatement) -> cst.Call | None:
    value = small.value if isinstance(small, cst.Expr | cst.Assign | cst.AnnAssign) else None
    if isinstance(value, cst.Await):
        value = value.expression
    return value if isinstance(value, cst.Call) else None


class CheckFinder:
    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        self._renderers: dict[str, Renderer] = {}
        self._helpers: dict[str, list[Check]] = {}

    def render(self, owner: str, node: cst.BaseExpression) -> str:
        renderer = self._renderers.get(owner)
        if renderer is None:
            renderer = self._renderers[owner] = Renderer(self.parsed, owner)
        return renderer.expression(node)

    def _line(self, owner: str, node: cst.CSTNode) -> int:
        if isinstance(node, cst.Call | cst.If):
            return self.parsed.line_of(owner, node)
        call = next((n for n in executed(node) if type(n) is cst.Call), None)
        return self.parsed.line_of(owner, call) if call is not None else 0

    def any_check(self, stmt: cst.CSTNode, owner: str) -> bool:
        """Does the statement check anything (raises or check calls; returns do not count)?"""
        return bool(self.statement(stmt, owner, on_path=False))

    def statement(
        self, stmt: cst.CSTNode, owner: str, on_path: bool = True, depth: int = 0
    ) -> list[Check]:
        """The checks one statement performs. `on_path`: the statement is in a function whose
        `return` leaves the auth function (not in a helper called on the side)."""
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            return []
        if not isinstance(stmt, cst.SimpleStatementLine):
            return self._compound(stmt, owner, on_path, depth)
        found: list[Check] = []
        for small in stmt.body:
            if isinstance(small, cst.Raise) or (isinstance(small, cst.Return) and on_path):
                kind = "raises" if isinstance(small, cst.Raise) else "returns"
                found.append(Check(kind, self._line(owner, small)))
            call = _statement_call(small)
            if call is not None and self.parsed.local_function(call.func) is None:
                name = self.parsed.imports.resolve(call.func) or dotted(call.func)
                if rule := check_rule(name):
                    found.append(Check(f"call {last(name)} ({rule})", self._line(owner, call)))
        return found + self._helper_checks(stmt, depth)

    def _arm(
        self,
        head: cst.CSTNode,
        text: Callable[[], str],
        suite: cst.BaseSuite,
        owner: str,
        on_path: bool,
        depth: int,
    ) -> list[Check]:
        """Checks inside one arm of a compound statement, prefixed with the arm's guard and
        pointing at its header line (the raise itself is rarely the useful evidence)."""
        inner = self._block(suite, owner, on_path, depth)
        if not inner:
            return []
        prefix, line = text(), self._line(owner, head)
        return [Check(f"{prefix}: {c.text}", line or c.line) for c in inner]

    def _compound(self, stmt: cst.CSTNode, owner: str, on_path: bool, depth: int) -> list[Check]:
        found: list[Check] = []
        render = partial(self.render, owner)
        if isinstance(stmt, cst.If):
            found += self._helper_checks(stmt.test, depth)
            first = stmt.test

            def head() -> str:
                return f"if {render(first)}"

            found += self._arm(stmt, head, stmt.body, owner, on_path, depth)
            node: cst.If = stmt
            while isinstance(node.orelse, cst.If):
                node = node.orelse
                found += self._helper_checks(node.test, depth)
                test = node.test
                arm = partial(lambda t: f"{head()} / elif {render(t)}", test)
                found += self._arm(stmt, arm, node.body, owner, on_path, depth)
            if isinstance(node.orelse, cst.Else):
                found += self._arm(
                    stmt, lambda: f"{head()} / else", node.orelse.body, owner, on_path, depth
                )
        elif isinstance(stmt, cst.For):
            iterated = stmt.iter
            found += self._helper_checks(iterated, depth)
            text = partial(lambda i: f"for ... in {render(i)}", iterated)
            found += self._arm(stmt, text, stmt.body, owner, on_path, depth)
        elif isinstance(stmt, cst.While):
            condition = stmt.test
            found += self._helper_checks(condition, depth)
            text = partial(lambda c: f"while {render(c)}", condition)
            found += self._arm(stmt, text, stmt.body, owner, on_path, depth)
        elif isinstance(stmt, cst.Try):
            found += self._block(stmt.body, owner, on_path, depth)
            for handler in stmt.handlers:
                kind = handler.type
                text = partial(lambda k: f"except {render(k)}" if k else "except", kind)
                found += self._arm(handler, text, handler.body, owner, on_path, depth)
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    found += self._block(extra.body, owner, on_path, depth)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                found += self._helper_checks(item.item, depth)
            found += self._block(stmt.body, owner, on_path, depth)
        return found

    def _block(self, suite: cst.BaseSuite, owner: str, on_path: bool, depth: int) -> list[Check]:
        body: Sequence[cst.CSTNode] = suite.body
        if isinstance(suite, cst.SimpleStatementSuite):
            body = [cst.SimpleStatementLine(body=suite.body)]
        found: list[Check] = []
        for stmt in body:
            found += self.statement(stmt, owner, on_path, depth)
        return found

    def _helper_checks(self, node: cst.CSTNode, depth: int) -> list[Check]:
        """Checks inside the module functions an expression or simple statement calls."""
        found: list[Check] = []
        for current in executed(node):
            if type(current) is not cst.Call:
                continue
            assert isinstance(current, cst.Call)
            helper = self.parsed.local_function(current.func)
            if helper is None or depth >= MAX_HELPER_DEPTH:
                continue
            if helper not in self._helpers:
                self._helpers[helper] = []  # a recursive call sees no checks
                fn = self.parsed.functions[helper]
                self._helpers[helper] = self._block(fn.body, helper, False, depth + 1)
            found += self._helpers[helper]
        return found
