"""What an app module wires into its app object: the routers it includes, the middleware it adds.

FastAPI's app-level middleware (`app.add_middleware(X)`, `@app.middleware("http")`) wraps every
route the app serves, and the app serves a router's routes only once `app.include_router(router)`
ran. litellm's proxy_server.py includes about sixty routers at module level, each imported as
`from litellm.proxy.x.endpoints import router as x_router`. An include may also sit in a helper
the app is handed to (`def mount(app): app.include_router(r)`, called as `mount(app)`, or the
app's `lifespan=`), or use the app as a global inside a function that is called somewhere.

Each included router is resolved to its dotted origin (`litellm.proxy.x.endpoints.router`):
imports inside function bodies count (the module's ImportMap reads every import); a name the
module binds itself is `<this module>.<name>`. An argument that is neither (a loop variable, a
call) is kept as unresolved: it could be any router.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from watcher.facts.interface import FactsError
from watcher.facts.module_scan import ModuleScan, flagged
from watcher.facts.parse import ParsedModule, canonical_code, dotted, string_value, walk
from watcher.facts.registrations import argument
from watcher.facts.symbols import module_name


@dataclass(frozen=True)
class Include:
    """One `<app>.include_router(router, ...)` that reaches the app."""

    origin: str  # the included router's dotted origin; '' when it cannot be resolved
    written: str  # the argument as written (`anthropic_router`)
    prefix: str
    conditional: bool
    via: tuple[str, ...]  # the helper the call sits in ('' path: module level)
    line: int


@dataclass(frozen=True)
class AppWiring:
    includes: tuple[Include, ...]
    middleware: tuple[tuple[str, int], ...]  # (what is added, line), in source order
    # Includes on the global app inside a function nothing runs: they never take effect.
    dormant: tuple[Include, ...] = ()
    # Code we do not follow that is handed the app (`reserve_lazy_slot(app, ...)`,
    # `add_middleware(LazyFeatureMiddleware, fastapi_app=app)`): it may include routers itself.
    handed_to: tuple[str, ...] = ()


def _params(fn: cst.FunctionDef) -> list[str]:
    params = fn.params
    return [p.name.value for p in [*params.posonly_params, *params.params, *params.kwonly_params]]


class _Wiring:
    def __init__(self, parsed: ParsedModule, app: str) -> None:
        self.parsed = parsed
        self.app = app
        self.scan = ModuleScan(parsed)
        if app not in self.scan.bindings:
            where = self.parsed.imports.names.get(app)
            hint = f"it is imported from {where}: " if where else ""
            raise FactsError(
                f"{parsed.path}: binds no `{app}` ({hint}name the module that creates the app "
                "with `app_file`, and its variable with `app`)"
            )
        self.params = {name: _params(fn) for name, fn in parsed.functions.items()}
        self.all_calls = list(self._calls())  # one walk of the module, read three times
        self.holders: set[tuple[str, str]] = set()
        self._find_holders()
        self.called = self._called()
        self._relative: dict[str, dict[int, bool]] = {}

    def _calls(self) -> Iterator[tuple[str, cst.Call]]:
        """(owner, call) for every call of the module; a nested def's calls count for its
        enclosing functions too (harmless: the app is the app there as well)."""
        for name, fn in self.parsed.functions.items():
            for node in walk(fn.body):
                if isinstance(node, cst.Call):
                    yield name, node
        for stmt in self.parsed.module.body:
            if not isinstance(stmt, cst.FunctionDef | cst.ClassDef):
                for node in walk(stmt):
                    if isinstance(node, cst.Call):
                        yield "", node

    def is_app(self, name: str, owner: str) -> bool:
        """Does `name`, read in function `owner` ('' at module level), hold the app?"""
        if owner and name in self.params.get(owner, ()):
            return (owner, name) in self.holders
        return name == self.app

    def _lifespan(self) -> str | None:
        for value, _ in self.scan.bindings[self.app]:
            if isinstance(value, cst.Call):
                hook = argument(value, 99, "lifespan")
                if hook is not None and (local := self.parsed.local_function(hook)):
                    return local
        return None

    def _find_holders(self) -> None:
        """(function, parameter) pairs that receive the app: a function called with the app (or
        with a parameter that holds it), and the app's `lifespan=` hook (FastAPI passes the app)."""
        lifespan = self._lifespan()
        if lifespan and self.params.get(lifespan):
            self.holders.add((lifespan, self.params[lifespan][0]))
        handed: list[tuple[str, str, str, str]] = []  # (owner, callee, parameter, name passed)
        for owner, call in self.all_calls:
            callee = self.parsed.local_function(call.func)
            if callee is None:
                continue
            names = self.params[callee]
            positional = [a for a in call.args if a.keyword is None and not a.star]
            for param, arg in zip(names, positional, strict=False):
                if isinstance(arg.value, cst.Name):
                    handed.append((owner, callee, param, arg.value.value))
            for arg in call.args:
                if arg.keyword is not None and isinstance(arg.value, cst.Name):
                    handed.append((owner, callee, arg.keyword.value, arg.value.value))
        changed = True
        while changed:  # to a fixed point: the app handed on through helpers of helpers
            changed = False
            for owner, callee, param, passed in handed:
                if (callee, param) not in self.holders and self.is_app(passed, owner):
                    self.holders.add((callee, param))
                    changed = True

    def _called(self) -> set[str]:
        """Functions something runs: called in the module, the lifespan hook, startup hooks."""
        called = {c for _, call in self.all_calls if (c := self.parsed.local_function(call.func))}
        called |= {fn for fn, _ in self.holders}
        for name, fn in self.parsed.functions.items():
            for decorator in fn.decorators:
                node = decorator.decorator
                if isinstance(node, cst.Call) and dotted(node.func) == f"{self.app}.on_event":
                    called.add(name)
        return called

    def _handed_to(self) -> list[str]:
        """Calls outside this module's functions that receive the app as an argument. litellm
        registers some feature routers lazily: a middleware given the app includes a router on
        the first request for it. What such code includes cannot be seen from here."""
        found: set[str] = set()
        for owner, call in self.all_calls:
            if self.parsed.local_function(call.func) is not None:
                continue  # followed: see _find_holders
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "add_middleware":
                func = argument(call, 0, "middleware_class") or func  # the class is handed it
            for arg in call.args:
                if isinstance(arg.value, cst.Name) and self.is_app(arg.value.value, owner):
                    callee = self.parsed.imports.resolve(func) or canonical_code(func)
                    found.add(f"{callee}(...)")
        return sorted(found)

    def _conditional(self, owner: str, call: cst.Call, flag: bool) -> bool:
        """Under an if/loop/except of its own function (module level: of the module)."""
        if not owner:
            return flag
        if owner not in self._relative:
            fn = self.parsed.functions[owner]
            body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else []
            self._relative[owner] = {
                id(small.value): sometimes
                for small, sometimes, inner in flagged(body, False, owner)
                if inner == owner and isinstance(small, cst.Expr)
            }
        return self._relative[owner].get(id(call), True)

    def _dormant(self, receiver: str, owner: str) -> bool:
        """The global app inside a function that nothing runs: its calls never take effect."""
        return (
            bool(owner) and receiver not in self.params.get(owner, ()) and owner not in self.called
        )

    def _origin(self, node: cst.BaseExpression | None, owner: str) -> str:
        name = dotted(node) if node is not None else ""
        if not name or name.split(".")[0] in self.params.get(owner, ()):
            return ""
        head = name.split(".")[0]
        if head in self.parsed.imports.names:
            return self.parsed.imports.resolve_name(name)
        if head in self.scan.bindings:
            return f"{module_name(self.parsed.path)}.{name}"
        return ""

    def _include(self, call: cst.Call, flag: bool, line: int, owner: str) -> Include:
        router = argument(call, 0, "router")
        prefix = argument(call, 99, "prefix")
        return Include(
            self._origin(router, owner),
            canonical_code(router) if router is not None else "",
            (string_value(prefix) or canonical_code(prefix)) if prefix else "",
            self._conditional(owner, call, flag),
            (owner,) if owner else (),
            line,
        )

    def _decorated_middleware(self) -> Iterator[tuple[str, int]]:
        """`@app.middleware("http")` functions: middleware the app runs around every route."""
        for name, fn in self.parsed.functions.items():
            for index, decorator in enumerate(fn.decorators):
                node = decorator.decorator
                if isinstance(node, cst.Call) and dotted(node.func) == f"{self.app}.middleware":
                    args = ", ".join(canonical_code(a.value) for a in node.args)
                    line = self.parsed.lines.decorator(name, index)
                    yield f"@{self.app}.middleware({args}) {name}", line

    def wiring(self) -> AppWiring:
        includes: list[Include] = []
        dormant: list[Include] = []
        middleware: list[tuple[str, int]] = []
        for call, flag, line in self.scan.calls:
            func = call.func
            if not isinstance(func, cst.Attribute):
                continue
            owner, receiver = self.scan.owners.get(id(call), ""), dotted(func.value)
            if not self.is_app(receiver, owner):
                continue
            if func.attr.value == "include_router":
                found = self._include(call, flag, line, owner)
                (dormant if self._dormant(receiver, owner) else includes).append(found)
            elif func.attr.value == "add_middleware" and not self._dormant(receiver, owner):
                added = argument(call, 0, "middleware_class")
                if added is not None:
                    name = self.parsed.imports.resolve(added) or canonical_code(added)
                    middleware.append((name, line))
        middleware += self._decorated_middleware()
        return AppWiring(
            tuple(includes), tuple(middleware), tuple(dormant), tuple(self._handed_to())
        )


def read_wiring(parsed: ParsedModule, app: str) -> AppWiring:
    """The routers `parsed` includes into its `app`, and the middleware it adds to it. A module
    that does not bind `app` is a FactsError: "nothing included" would be a false drift."""
    return _Wiring(parsed, app).wiring()
