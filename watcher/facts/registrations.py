"""Where a FastAPI module registers routes, and which dependencies each registration carries.

Routes come from decorators (`@router.api_route`, `.get`, `.post`, ..., `.websocket`, stacked
ones too) and from `router.add_api_route(...)` calls. Undecorated functions are never routes, even
when they take `Depends(...)` defaults: they are factory helpers. A router's `prefix=` and
`dependencies=` (from `APIRouter(...)`, or an `include_router(...)` in the same module) apply to
every route registered on it.

A dependency is `conditional` when it is not certain to be there: it sits in an `x if c else y`,
it is appended to a list under an `if`, in a function, or anywhere that is not plain module code,
or the list is computed by a call we cannot see into.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from watcher.facts.module_scan import ModuleScan
from watcher.facts.parse import ParsedModule, canonical_code, dotted, last, string_value, walk

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
ROUTER_FACTORIES = {"APIRouter", "FastAPI"}
DEPENDENCY_FACTORIES = {"Depends": "depends", "Security": "security"}
MAX_INDIRECTION = 4


@dataclass(frozen=True)
class Dependency:
    """A `Depends(x)`/`Security(x)` call that guards a route, and whether it is certain."""

    call: cst.Call
    conditional: bool
    line: int


@dataclass(frozen=True)
class Registration:
    path: str
    methods: tuple[str, ...]
    handler: str
    router: str
    dependencies: tuple[Dependency, ...]  # on the decorator or the add_api_route call
    router_dependencies: tuple[Dependency, ...]
    line: int
    # The path is computed at run time (not a string literal): a factory or loop registers it.
    dynamic: bool = False
    # The endpoint expression of an `add_api_route` call, and the function the call sits in.
    endpoint: cst.BaseExpression | None = None
    owner: str = ""


@dataclass
class _Router:
    prefix: str = ""
    dependencies: list[Dependency] = field(default_factory=list)


def argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[position].value if position < len(positional) else None


def _route_path(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    value = string_value(node)
    return value if value is not None else "{" + canonical_code(node) + "}"


def _handler_name(endpoint: cst.BaseExpression | None) -> str:
    """`handler`, `module.handler`, or `factory(...)` for an endpoint built by a call."""
    if endpoint is None:
        return ""
    if isinstance(endpoint, cst.Call):
        return f"{dotted(endpoint.func) or canonical_code(endpoint.func)}(...)"
    return dotted(endpoint) or canonical_code(endpoint)


def _string(node: cst.BaseExpression | None) -> str:
    value = string_value(node) if node is not None else None
    return value or ""


def _methods(call: cst.Call, verb: str) -> tuple[str, ...]:
    if verb in VERBS:
        return (VERBS[verb],)
    if verb in WEBSOCKET:
        return ("WEBSOCKET",)
    node = argument(call, 99, "methods")
    if node is None:
        return ("GET",)  # FastAPI's default for api_route / add_api_route
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        found = {string_value(el.value) for el in node.elements}
        if None not in found:
            return tuple(sorted(str(m).upper() for m in found))
    return ("{" + canonical_code(node) + "}",)


class Registrations:
    """The routes a module registers, with the dependencies that guard each one."""

    def __init__(self, parsed: ParsedModule) -> None:
        self.parsed = parsed
        self.scan = ModuleScan(parsed)
        self.routers = self._routers()

    def is_dependency(self, call: cst.Call) -> bool:
        return last(self.parsed.imports.resolve(call.func)) in DEPENDENCY_FACTORIES

    def dependencies(
        self, node: cst.BaseExpression | None, conditional: bool, line: int, depth: int = 0
    ) -> list[Dependency]:
        """The Depends/Security calls an expression may evaluate to, each with its certainty."""
        if node is None or depth > MAX_INDIRECTION:
            return []
        if isinstance(node, cst.Call):
            if self.is_dependency(node):
                return [Dependency(node, conditional, line)]
        elif isinstance(node, cst.List | cst.Tuple | cst.Set):
            found: list[Dependency] = []
            for element in node.elements:
                found += self.dependencies(element.value, conditional, line, depth + 1)
            return found
        elif isinstance(node, cst.IfExp):
            return self.dependencies(node.body, True, line, depth + 1) + self.dependencies(
                node.orelse, True, line, depth + 1
            )
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self.dependencies(node.left, conditional, line, depth + 1) + self.dependencies(
                node.right, conditional, line, depth + 1
            )
        elif isinstance(node, cst.Name) and node.value in self.scan.bindings:
            return self._variable(node.value, conditional, line, depth)
        # Built by code we do not follow: whatever it holds may or may not be there.
        return [
            Dependency(n, True, line)
            for n in walk(node)
            if isinstance(n, cst.Call) and self.is_dependency(n)
        ]

    def _variable(self, name: str, conditional: bool, line: int, depth: int) -> list[Dependency]:
        values = self.scan.bindings[name]
        found: list[Dependency] = []
        for value, sometimes in values:
            found += self.dependencies(
                value, conditional or sometimes or len(values) > 1, line, depth + 1
            )
        for value, sometimes, is_list in self.scan.additions.get(name, []):
            if is_list:
                found += self.dependencies(value, conditional or sometimes, line, depth + 1)
            else:
                found += self.dependencies(
                    cst.List([cst.Element(value)]), conditional or sometimes, line, depth + 1
                )
        return found

    def _routers(self) -> dict[str, _Router]:
        lines = {id(call): line for call, _, line in self.scan.calls}
        routers: dict[str, _Router] = {}
        for name, values in self.scan.bindings.items():
            for value, sometimes in values:
                if not isinstance(value, cst.Call) or (
                    last(self.parsed.imports.resolve(value.func)) not in ROUTER_FACTORIES
                ):
                    continue
                router = routers.setdefault(name, _Router())
                router.prefix = _string(argument(value, 99, "prefix"))
                router.dependencies += self.dependencies(
                    argument(value, 99, "dependencies"),
                    sometimes or len(values) > 1,
                    lines.get(id(value), 0),
                )
        for call, sometimes, line in self.scan.calls:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "include_router":
                included = argument(call, 0, "router")
                if isinstance(included, cst.Name) and included.value in routers:
                    router = routers[included.value]
                    router.prefix = _string(argument(call, 99, "prefix")) + router.prefix
                    deps = argument(call, 99, "dependencies")
                    router.dependencies += self.dependencies(deps, sometimes, line)
        return routers

    def _registration(
        self,
        call: cst.Call,
        verb: str,
        handler: str,
        line: int,
        conditional: bool,
        endpoint: cst.BaseExpression | None = None,
    ) -> Registration:
        router = dotted(call.func.value) if isinstance(call.func, cst.Attribute) else ""
        info = self.routers.get(router, _Router())
        deps = self.dependencies(argument(call, 99, "dependencies"), conditional, line)
        path = argument(call, 0, "path")
        return Registration(
            path=info.prefix + _route_path(path),
            methods=_methods(call, verb),
            handler=handler,
            router=router,
            dependencies=tuple(deps),
            router_dependencies=tuple(info.dependencies),
            line=line,
            dynamic=path is not None and string_value(path) is None,
            endpoint=endpoint,
            owner=self.scan.owners.get(id(call), ""),
        )

    def router_calls(self) -> list[str]:
        """Module-level calls that take a router of this module as an argument after routes were
        declared on it (`mark_provider_pass_through_routes(router)`): named, not followed."""
        found: list[str] = []
        for call, _, line in self.scan.calls:
            name = dotted(call.func)
            if not name or last(name) in ROUTE_CALLS | {"include_router"}:
                continue
            if self.scan.owners.get(id(call)):
                continue
            if any(
                isinstance(a.value, cst.Name) and a.value.value in self.routers for a in call.args
            ):
                found.append(f"{name}(...) at line {line}")
        return found

    def all(self) -> list[Registration]:
        found: list[Registration] = []
        for name, fn in self.parsed.functions.items():
            for index, decorator in enumerate(fn.decorators):
                call = decorator.decorator
                if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                    continue
                verb = call.func.attr.value
                if verb in VERBS or verb in WEBSOCKET or verb == "api_route":
                    line = self.parsed.lines.decorator(name, index)
                    found.append(self._registration(call, verb, name, line, False))
        for call, _, line in self.scan.calls:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in ROUTE_CALLS:
                endpoint = argument(call, 1, "endpoint")
                handler = _handler_name(endpoint)
                verb = call.func.attr.value
                found.append(self._registration(call, verb, handler, line, False, endpoint))
        return found
