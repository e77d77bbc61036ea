"""Route inventory of a FastAPI module: every registered route and how its handler authenticates.

Evidence is gathered from every place a route can authenticate: the router's `dependencies=`,
the decorator's (or `add_api_route`'s) `dependencies=`, the handler's parameters (`= Depends(x)`,
`= Security(x)`, `Annotated[T, Depends(x)]`), and the handler's body (an awaited call to the auth
function, directly or through module helpers, followed transitively). The strongest finding
wins: authenticated > conditional > other > unknown > none.

A dependency on a function defined in this module is followed like a helper: it authenticates
when its own parameters or body do. A dependency on anything else counts when its imported name
(aliases and module attributes resolved) is an accepted auth function; otherwise it is `other`
when its name looks like auth (`Security(...)`, or a word such as auth/token/key/jwt/verify/user).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import libcst as cst

from watcher.facts.interface import AuthFact, RouteFact, RouteInventory
from watcher.facts.parse import ParsedModule, assigned_values, dotted, last, statements
from watcher.facts.reach import Reach, ReachFinder
from watcher.facts.registrations import (
    DEPENDENCY_FACTORIES,
    Dependency,
    Registration,
    Registrations,
    argument,
)

RANK = {"authenticated": 4, "conditional": 3, "other": 2, "unknown": 1, "none": 0}
AUTH_WORDS = {
    "auth",
    "authenticate",
    "authenticated",
    "authorize",
    "authorization",
    "token",
    "key",
    "jwt",
    "oauth",
    "oauth2",
    "login",
    "credential",
    "credentials",
    "session",
    "permission",
    "permissions",
    "security",
    "verify",
    "bearer",
    "principal",
    "identity",
    "user",
}
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(name: str) -> set[str]:
    """`_user_api_key_auth`, `verifyToken` -> {'user', 'api', 'key', 'auth'}, {'verify', 'token'}."""
    return {word.lower() for word in _WORD.findall(name)}


def looks_like_auth(name: str) -> bool:
    return bool(words(name) & AUTH_WORDS)


def _best(*facts: AuthFact | None) -> AuthFact | None:
    best: AuthFact | None = None
    for fact in facts:
        if fact is not None and (best is None or RANK[fact.status] > RANK[best.status]):
            best = fact
    return best


# Follows a dependency imported from another module of the tree: the dotted origin of the name
# (`litellm.proxy.auth.user_api_key_auth.user_api_key_auth_websocket`) -> what that function
# reaches there, or None when it cannot be read (then the name alone is judged).
ExternalReach = Callable[[str], Reach | None]


class RouteExtractor:
    def __init__(
        self, parsed: ParsedModule, auth: frozenset[str], external: ExternalReach | None = None
    ) -> None:
        self.parsed = parsed
        self.auth = auth
        self.external = external
        self.reach = ReachFinder(parsed, auth)
        self.registrations = Registrations(parsed)
        self._params_memo: dict[str, AuthFact | None] = {}

    def _judge(
        self, mechanism: str, dependency: Dependency, seen: tuple[str, ...]
    ) -> AuthFact | None:
        """What one Depends/Security dependency establishes, if anything."""
        target = argument(dependency.call, 0, "dependency")
        if target is None:
            return None
        helper = self.parsed.local_function(target)
        line = dependency.line
        if helper is not None:
            found = self._helper(helper, line, seen)
        elif last(self.parsed.imports.resolve(target)) in self.auth:
            found = AuthFact(
                "authenticated", mechanism, last(self.parsed.imports.resolve(target)), (), line
            )
        elif (imported := self._imported(target, mechanism, line)) is not None:
            found = imported
        else:
            name = last(self.parsed.imports.resolve(target)) or dotted(target)
            is_auth = self._mechanism(dependency.call) == "security" or looks_like_auth(name)
            found = AuthFact("other", mechanism, name, (), line) if is_auth and name else None
        if found is not None and dependency.conditional and found.status == "authenticated":
            found = AuthFact("conditional", found.mechanism, found.function, found.via, line)
        return found

    def _imported(self, target: cst.BaseExpression, mechanism: str, line: int) -> AuthFact | None:
        """A dependency on a function of another module that awaits an accepted auth function
        (`Depends(user_api_key_auth_websocket)`, which awaits `user_api_key_auth`)."""
        origin = self.parsed.imports.resolve(target)
        if self.external is None or "." not in origin or dotted(target) == origin:
            return None
        reach = self.external(origin)
        if reach is None or not reach.awaited:
            return None
        status = "authenticated" if reach.unconditional else "conditional"
        return AuthFact(status, mechanism, reach.function, (last(origin), *reach.via), line)

    def _helper(self, helper: str, line: int, seen: tuple[str, ...]) -> AuthFact | None:
        """A dependency on a function of this module: its own dependencies, then its body."""
        inner = self._params(helper, (*seen, helper)) if helper not in seen else None
        reach = self.reach.function(helper)
        from_body: AuthFact | None = None
        if reach is not None and reach.awaited:
            status = "authenticated" if reach.unconditional else "conditional"
            from_body = AuthFact(status, "helper", reach.function, (helper, *reach.via), line)
        if inner is not None and inner.status in {"authenticated", "conditional"}:
            inner = AuthFact(inner.status, "helper", inner.function, (helper, *inner.via), line)
        found = _best(inner, from_body)
        if found is None and looks_like_auth(helper):
            found = AuthFact("other", "helper", helper, (), line)
        return found

    def _params(self, handler: str, seen: tuple[str, ...] = ()) -> AuthFact | None:
        if not seen and handler in self._params_memo:
            return self._params_memo[handler]
        fn = self.parsed.functions.get(handler)
        if fn is None:
            return None
        found: AuthFact | None = None
        params = fn.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            for mechanism, dependency in self._param_dependencies(handler, param):
                found = _best(found, self._judge(mechanism, dependency, seen or (handler,)))
        if not seen:
            self._params_memo[handler] = found
        return found

    def _param_dependencies(self, handler: str, param: cst.Param) -> list[tuple[str, Dependency]]:
        out: list[tuple[str, Dependency]] = []
        for dep in self.registrations.dependencies(param.default, False, 0):
            out.append((self._mechanism(dep.call), dep))
        annotation = param.annotation.annotation if param.annotation else None
        if isinstance(annotation, cst.Name):
            # `UserKey = Annotated[UserAPIKeyAuth, Depends(auth)]` at module level, used as a type.
            bound = self.registrations.scan.bindings.get(annotation.value, [])
            annotation = bound[0][0] if len(bound) == 1 else annotation
        if (
            isinstance(annotation, cst.Subscript)
            and last(self.parsed.imports.resolve(annotation.value)) == "Annotated"
        ):
            for element in annotation.slice[1:]:
                if isinstance(element.slice, cst.Index):
                    for dep in self.registrations.dependencies(element.slice.value, False, 0):
                        out.append(("annotated", dep))
        return [
            (
                mechanism,
                Dependency(dep.call, dep.conditional, self.parsed.line_of(handler, dep.call)),
            )
            for mechanism, dep in out
        ]

    def _mechanism(self, call: cst.Call) -> str:
        return DEPENDENCY_FACTORIES[last(self.parsed.imports.resolve(call.func))]

    def _body(self, handler: str) -> AuthFact | None:
        reach = self.reach.function(handler)
        if reach is None:
            return None
        if not reach.awaited:
            return AuthFact("none", "unawaited", reach.function, reach.via, reach.line)
        status = "authenticated" if reach.unconditional else "conditional"
        mechanism = "helper" if reach.via else "await"
        return AuthFact(status, mechanism, reach.function, reach.via, reach.line)

    def _auth(self, reg: Registration, handler: str) -> AuthFact:
        found: AuthFact | None = None
        steps: list[Callable[[], AuthFact | None]] = [
            *(partial(self._judge, "router", d, ()) for d in reg.router_dependencies),
            *(partial(self._judge, "decorator", d, ()) for d in reg.dependencies),
        ]
        if handler in self.parsed.functions:
            steps += [partial(self._params, handler), partial(self._body, handler)]
        for step in steps:
            found = _best(found, step())
            if found is not None and found.status == "authenticated":
                return found  # nothing ranks higher; the rest need not be read
        if handler not in self.parsed.functions:
            found = _best(found, AuthFact("unknown", "", handler, (), reg.line))
        return found or AuthFact("none", "", "", (), reg.line)

    def _endpoint(self, reg: Registration) -> str:
        """The function that handles a registration: the decorated function, a module function
        passed as `endpoint=`, a nested def of the registering function, or the nested def a
        factory returns (`handler = cls.create_endpoint_handler(config)`)."""
        if reg.handler in self.parsed.functions or not isinstance(reg.endpoint, cst.Name):
            return reg.handler
        name = reg.endpoint.value
        nested = f"{reg.owner}.<locals>.{name}"
        if reg.owner and nested in self.parsed.functions:
            return nested
        owner = self.parsed.functions.get(reg.owner)
        if owner is None:
            return reg.handler
        values = assigned_values(owner, name)
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return reg.handler
        factory = self._callee(values[0].func, reg.owner)
        return self._returned_closure(factory) or reg.handler if factory else reg.handler

    def _callee(self, func: cst.BaseExpression, owner: str) -> str | None:
        """A function of this module a call names: `f`, `cls.f`/`self.f` (the owner's class),
        or `Class.f`."""
        local = self.parsed.local_function(func)
        if local is not None:
            return local
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            base = func.value.value
            cls = owner.split(".")[0] if "." in owner else ""
            qualified = f"{cls if base in {'cls', 'self'} else base}.{func.attr.value}"
            return qualified if qualified in self.parsed.functions else None
        return None

    def _returned_closure(self, factory: str) -> str | None:
        fn = self.parsed.functions[factory]
        for small in statements(fn.body):
            if isinstance(small, cst.Return) and isinstance(small.value, cst.Name):
                nested = f"{factory}.<locals>.{small.value.value}"
                if nested in self.parsed.functions:
                    return nested
        return None

    def extract(self) -> RouteInventory:
        routes: list[RouteFact] = []
        dynamic: list[RouteFact] = []
        for reg in self.registrations.all():
            handler = self._endpoint(reg)
            fact = RouteFact(reg.path, reg.methods, handler, self._auth(reg, handler), reg.line)
            (dynamic if reg.dynamic else routes).append(fact)

        def order(route: RouteFact) -> tuple[str, tuple[str, ...], str]:
            return (route.path, route.methods, route.handler)

        return RouteInventory(
            tuple(sorted(routes, key=order)),
            tuple(sorted(dynamic, key=order)),
            tuple(self.registrations.router_calls()),
        )


def extract_routes(
    parsed: ParsedModule, auth: frozenset[str], external: ExternalReach | None = None
) -> RouteInventory:
    return RouteExtractor(parsed, auth, external).extract()
