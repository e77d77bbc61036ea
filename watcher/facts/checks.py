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
   is not defined in this module is a check when its name says it decides access: a word such as
   check, auth, verify, validate, valid, safe, allow(ed), permission, forbid, deny, block, limit,
   budget, quota, guard, enforce, restrict, reject (`RouteChecks.should_call_route` counts by its
   class). Getters are not checks (`_safe_get_request_query_params`: a `get` with no
   check/validate/verify/authenticate/authorize/enforce word), nor is pydantic's `model_validate`.
   Calls inside conditions are not counted here: rule 2 covers what their result decides.
4. A function of this module called anywhere in those statements is followed (up to a depth):
   its raises, raising arms and check calls count as if they were written inline, so moving a
   check into a local helper gives the same facts. Its own `return`s do not count (they leave
   the helper, not the auth function).

Reading only the call names of imported functions is deliberate: following them would cost a blob
read per function. The names are judged by whole words, not substrings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from watcher.facts.parse import ParsedModule, dotted, last
from watcher.facts.reach import executed
from watcher.facts.render import Renderer
from watcher.facts.routes import words

CHECK_WORDS = {
    "check",
    "checks",
    "checked",
    "auth",
    "authenticate",
    "authorize",
    "authorization",
    "verify",
    "validate",
    "validation",
    "valid",
    "safe",
    "allow",
    "allowed",
    "permission",
    "permissions",
    "permitted",
    "forbid",
    "forbidden",
    "deny",
    "denied",
    "block",
    "blocked",
    "limit",
    "limits",
    "budget",
    "budgets",
    "quota",
    "guard",
    "guardrail",
    "enforce",
    "restrict",
    "restricted",
    "reject",
}
STRONG_WORDS = {"check", "checks", "validate", "verify", "authenticate", "authorize", "enforce"}
NOT_CHECKS = {"model_validate", "model_validate_json"}
MAX_HELPER_DEPTH = 4


@dataclass(frozen=True)
class Check:
    text: str
    line: int


def is_check_name(qualified: str) -> bool:
    """Judge a callee by its last name, plus its class when called as `Class.method`."""
    parts = qualified.split(".")
    name = parts[-1]
    if not name or name in NOT_CHECKS:
        return False
    found = words(name)
    if len(parts) > 1 and parts[-2][:1].isupper():
        found |= words(parts[-2])
    if not found & CHECK_WORDS:
        return False
    return "get" not in found or bool(found & STRONG_WORDS)


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

    def _render(self, owner: str, node: cst.BaseExpression) -> str:
        renderer = self._renderers.get(owner)
        if renderer is None:
            renderer = self._renderers[owner] = Renderer(self.parsed, owner)
        return renderer.expression(node)

    def _line(self, owner: str, node: cst.CSTNode) -> int:
        if isinstance(node, cst.Call | cst.If):
            return self.parsed.line_of(owner, node)
        call = next((n for n in executed(node) if isinstance(n, cst.Call)), None)
        return self.parsed.line_of(owner, call) if call is not None else 0

    def statement(
        self, stmt: cst.CSTNode, owner: str, on_path: bool = True, depth: int = 0
    ) -> list[Check]:
        """The checks one statement performs. `on_path`: the statement is in a function whose
        `return` leaves the auth function (not in a helper called on the side)."""
        return self._statement(stmt, owner, on_path, depth, "")

    def _statement(
        self, stmt: cst.CSTNode, owner: str, on_path: bool, depth: int, context: str
    ) -> list[Check]:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            return []
        if not isinstance(stmt, cst.SimpleStatementLine):
            return self._compound(stmt, owner, on_path, depth, context)
        found: list[Check] = []
        for small in stmt.body:
            if isinstance(small, cst.Raise) or (isinstance(small, cst.Return) and on_path):
                kind = "raises" if isinstance(small, cst.Raise) else "returns"
                found.append(Check(context + kind, self._line(owner, small)))
            call = _statement_call(small)
            if call is not None and self.parsed.local_function(call.func) is None:
                name = self.parsed.imports.resolve(call.func) or dotted(call.func)
                if is_check_name(name):
                    found.append(Check(f"{context}call {last(name)}", self._line(owner, call)))
        return found + self._helper_checks(stmt, depth, context)

    def _compound(
        self, stmt: cst.CSTNode, owner: str, on_path: bool, depth: int, context: str
    ) -> list[Check]:
        found: list[Check] = []
        line = self._line(owner, stmt)
        if isinstance(stmt, cst.If):
            found += self._helper_checks(stmt.test, depth, context)
            head = f"if {self._render(owner, stmt.test)}"
            found += self._block(stmt.body, owner, on_path, depth, f"{context}{head}: ", line)
            node: cst.If = stmt
            while isinstance(node.orelse, cst.If):
                node = node.orelse
                found += self._helper_checks(node.test, depth, context)
                arm = f"{context}{head} / elif {self._render(owner, node.test)}: "
                found += self._block(node.body, owner, on_path, depth, arm, line)
            if isinstance(node.orelse, cst.Else):
                arm = f"{context}{head} / else: "
                found += self._block(node.orelse.body, owner, on_path, depth, arm, line)
        elif isinstance(stmt, cst.For | cst.While):
            header = stmt.iter if isinstance(stmt, cst.For) else stmt.test
            found += self._helper_checks(header, depth, context)
            head = (
                f"for ... in {self._render(owner, header)}"
                if isinstance(stmt, cst.For)
                else f"while {self._render(owner, header)}"
            )
            found += self._block(stmt.body, owner, on_path, depth, f"{context}{head}: ", line)
        elif isinstance(stmt, cst.Try):
            found += self._block(stmt.body, owner, on_path, depth, context)
            for handler in stmt.handlers:
                kind = f" {self._render(owner, handler.type)}" if handler.type else ""
                arm = f"{context}except{kind}: "
                found += self._block(handler.body, owner, on_path, depth, arm)
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    found += self._block(extra.body, owner, on_path, depth, context)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                found += self._helper_checks(item.item, depth, context)
            found += self._block(stmt.body, owner, on_path, depth, context)
        return found

    def _block(
        self,
        suite: cst.BaseSuite,
        owner: str,
        on_path: bool,
        depth: int,
        context: str,
        line: int = 0,
    ) -> list[Check]:
        body: Sequence[cst.CSTNode] = suite.body
        if isinstance(suite, cst.SimpleStatementSuite):
            body = [cst.SimpleStatementLine(body=suite.body)]
        found: list[Check] = []
        for stmt in body:
            found += self._statement(stmt, owner, on_path, depth, context)
        # An arm's checks point at its `if`/loop line: the raise itself is rarely the evidence.
        return [Check(c.text, line or c.line) for c in found]

    def _helper_checks(self, node: cst.CSTNode, depth: int, context: str) -> list[Check]:
        """Checks inside the module functions an expression or simple statement calls."""
        found: list[Check] = []
        for current in executed(node):
            if not isinstance(current, cst.Call):
                continue
            helper = self.parsed.local_function(current.func)
            if helper is None or depth >= MAX_HELPER_DEPTH:
                continue
            if helper not in self._helpers:
                self._helpers[helper] = []  # a recursive call sees no checks
                fn = self.parsed.functions[helper]
                self._helpers[helper] = self._block(fn.body, helper, False, depth + 1, "")
            found += [Check(context + c.text, c.line) for c in self._helpers[helper]]
        return found
