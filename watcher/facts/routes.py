"""Route inventory of a FastAPI module: every registered route and how its handler authenticates.

Routes come from decorators (`@router.api_route`, `.get`, `.post`, ..., `.websocket`, stacked
ones too) and from `router.add_api_route(...)` calls. Undecorated functions are never routes, even
when they take `Depends(...)` defaults: they are factory helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from watcher.facts.interface import AuthFact, RouteFact, RouteInventory
from watcher.facts.parse import ParsedModule, canonical_code, last, statements, string_value, walk
from watcher.facts.reach import ReachFinder

VERBS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "delete": "DELETE",
    "patch": "PATCH",
    "options": "OPTIONS",
    "head": "HEAD",
    "trace": "TRACE",
}
WEBSOCKET = {"websocket", "websocket_route", "add_api_websocket_route", "add_websocket_route"}
ROUTE_CALLS = {"add_api_route", "add_api_websocket_route", "add_websocket_route"}
DEPENDENCY_FACTORIES = {"Depends": "depends", "Security": "security"}


@dataclass(frozen=True)
class _Registration:
    path: str
    methods: tuple[str, ...]
    handler: str
    router: str
    dependencies: tuple[cst.Call, ...]
    conditional_dependencies: bool
    line: int


def _arg(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    return positional[position].value if position < len(positional) else None


def _route_path(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    value = string_value(node)
    return value if value is not None else "{" + canonical_code(node) + "}"


def _methods(call: cst.Call, verb: str) -> tuple[str, ...]:
    if verb in VERBS:
        return (VERBS[verb],)
    if verb in WEBSOCKET:
        return ("WEBSOCKET",)
    node = _arg(call, 99, "methods")
    if node is None:
        return ("GET",)  # FastAPI's default for api_route / add_api_route
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        found = {string_value(el.value) for el in node.elements}
        if None not in found:
            return tuple(sorted(str(m).upper() for m in found))
    return ("{" + canonical_code(node) + "}",)


class RouteExtractor:
    def __init__(self, parsed: ParsedModule, auth: frozenset[str]) -> None:
        self.parsed = parsed
        self.auth = auth
        self.reach = ReachFinder(parsed, auth)
        self.routers = self._routers()

    def _routers(self) -> dict[str, tuple[cst.Call, ...]]:
        """Module-level `x = APIRouter(...)`/`FastAPI(...)`: their `dependencies=[...]` apply to all routes."""
        routers: dict[str, tuple[cst.Call, ...]] = {}
        for stmt in self.parsed.module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Call):
                    continue
                if last(self.parsed.imports.resolve(small.value.func)) not in {
                    "APIRouter",
                    "FastAPI",
                }:
                    continue
                deps, _ = self._dependency_list(_arg(small.value, 99, "dependencies"))
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        routers[target.target.value] = deps
        return routers

    def _dependency_list(
        self, node: cst.BaseExpression | None
    ) -> tuple[tuple[cst.Call, ...], bool]:
        """Depends/Security calls in a `dependencies=` value, and whether they are conditional."""
        if node is None:
            return (), False
        if isinstance(node, cst.List | cst.Tuple):
            calls = tuple(el.value for el in node.elements if isinstance(el.value, cst.Call))
            return calls, False
        # Anything computed (a conditional expression, a variable) may or may not hold the dependency.
        calls = tuple(n for n in walk(node) if isinstance(n, cst.Call))
        return calls, True

    def _registrations(self) -> list[_Registration]:
        found: list[_Registration] = []
        for name, fn in self.parsed.functions.items():
            for index, decorator in enumerate(fn.decorators):
                call = decorator.decorator
                if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                    continue
                verb = call.func.attr.value
                if verb not in VERBS and verb not in WEBSOCKET and verb != "api_route":
                    continue
                deps, conditional = self._dependency_list(_arg(call, 99, "dependencies"))
                found.append(
                    _Registration(
                        _route_path(_arg(call, 0, "path")),
                        _methods(call, verb),
                        name,
                        canonical_code(call.func.value),
                        deps,
                        conditional,
                        self.parsed.lines.decorator(name, index),
                    )
                )
        for small in statements(self.parsed.module):
            node = small.value if isinstance(small, cst.Expr) else None
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                verb = node.func.attr.value
                if verb in ROUTE_CALLS:
                    found.append(self._add_route(node, verb))
        return found

    def _add_route(self, call: cst.Call, verb: str) -> _Registration:
        endpoint = _arg(call, 1, "endpoint")
        handler = (
            endpoint.value
            if isinstance(endpoint, cst.Name)
            else canonical_code(endpoint)
            if endpoint
            else ""
        )
        deps, conditional = self._dependency_list(_arg(call, 99, "dependencies"))
        router = canonical_code(call.func.value) if isinstance(call.func, cst.Attribute) else ""
        return _Registration(
            _route_path(_arg(call, 0, "path")),
            _methods(call, verb),
            handler,
            router,
            deps,
            conditional,
            self.parsed.lines.function(handler),
        )

    def _dependency(self, call: cst.Call) -> tuple[str, str] | None:
        """(mechanism, target) for `Depends(x)` / `Security(x)`, else None."""
        factory = last(self.parsed.imports.resolve(call.func))
        if factory not in DEPENDENCY_FACTORIES:
            return None
        target = _arg(call, 0, "dependency")
        return DEPENDENCY_FACTORIES[factory], self.parsed.imports.resolve(target) if target else ""

    def _judge(self, mechanism: str, target: str, line: int) -> AuthFact | None:
        """An AuthFact when a dependency on `target` authenticates (directly or through a helper)."""
        if last(target) in self.auth:
            return AuthFact("authenticated", mechanism, last(target), (), line)
        helper = target if target in self.parsed.functions else None
        if helper is not None:
            via_params = self._params(helper)
            if via_params is not None and via_params.status == "authenticated":
                return AuthFact(
                    "authenticated", "helper", via_params.function, (helper, *via_params.via), line
                )
            reach = self.reach.function(helper)
            if reach is not None and reach.unconditional:
                return AuthFact(
                    "authenticated", "helper", reach.function, (helper, *reach.via), line
                )
        return None

    def _params(self, handler: str) -> AuthFact | None:
        fn = self.parsed.functions.get(handler)
        if fn is None:
            return None
        params = [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]
        for param in params:
            candidates: list[tuple[str, cst.Call]] = []
            if isinstance(param.default, cst.Call):
                candidates.append(("", param.default))
            annotation = param.annotation.annotation if param.annotation else None
            if (
                isinstance(annotation, cst.Subscript)
                and last(self.parsed.imports.resolve(annotation.value)) == "Annotated"
            ):
                for element in annotation.slice[1:]:
                    if isinstance(element.slice, cst.Index) and isinstance(
                        element.slice.value, cst.Call
                    ):
                        candidates.append(("annotated", element.slice.value))
            for override, call in candidates:
                dependency = self._dependency(call)
                if dependency is None:
                    continue
                mechanism, target = dependency
                verdict = self._judge(
                    override or mechanism, target, self.parsed.line_of(handler, call)
                )
                if verdict is not None:
                    return verdict
        return None

    def _auth(self, reg: _Registration) -> AuthFact:
        other = ""
        for source, calls in (
            ("router", self.routers.get(reg.router, ())),
            ("decorator", reg.dependencies),
        ):
            for call in calls:
                dependency = self._dependency(call)
                if dependency is None:
                    continue
                verdict = self._judge(source, dependency[1], reg.line)
                if verdict is not None and not (
                    source == "decorator" and reg.conditional_dependencies
                ):
                    return verdict
                if verdict is not None:
                    return AuthFact("conditional", source, verdict.function, verdict.via, reg.line)
                other = other or last(dependency[1])
        from_params = self._params(reg.handler)
        if from_params is not None:
            return from_params
        reach = self.reach.function(reg.handler) if reg.handler in self.parsed.functions else None
        if reach is not None:
            status = "authenticated" if reach.unconditional else "conditional"
            mechanism = "helper" if reach.via else "await"
            return AuthFact(status, mechanism, reach.function, reach.via, reach.line)
        other = other or self._other_dependency(reg.handler)
        if other:
            return AuthFact("other", "depends", other, (), reg.line)
        return AuthFact("none", "", "", (), reg.line)

    def _other_dependency(self, handler: str) -> str:
        """A Depends/Security target that is not an accepted auth function but looks like auth."""
        fn = self.parsed.functions.get(handler)
        if fn is None:
            return ""
        for node in walk(fn.params):
            if isinstance(node, cst.Call) and (dependency := self._dependency(node)) is not None:
                mechanism, target = dependency
                if mechanism == "security" or "auth" in last(target).lower():
                    return last(target)
        return ""

    def extract(self) -> RouteInventory:
        routes = [
            RouteFact(reg.path, reg.methods, reg.handler, self._auth(reg), reg.line)
            for reg in self._registrations()
        ]
        return RouteInventory(tuple(sorted(routes, key=lambda r: (r.path, r.methods, r.handler))))


def extract_routes(parsed: ParsedModule, auth: frozenset[str]) -> RouteInventory:
    return RouteExtractor(parsed, auth).extract()
