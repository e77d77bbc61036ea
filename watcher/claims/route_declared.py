"""Claim kind `route-declared`: a given route exists with the stated methods and auth dependency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import FILE_PARAM, file_of, json_diff
from watcher.claims.interface import (
    JSON,
    ClaimKind,
    Drift,
    Error,
    Evidence,
    Extracted,
    FactRequest,
    Param,
    Pass,
    Verdict,
)
from watcher.claims.routes_authenticated import describe
from watcher.facts import RouteFact, RouteInventory, SourceTree, to_json

# The card's "handler takes Depends(auth)" also holds for Security(auth) and Annotated[..., Depends(auth)].
MECHANISMS = {"depends": {"depends", "security", "annotated"}, "any": None}


class RouteDeclared(ClaimKind):
    """A route is registered for the stated methods and its handler authenticates as stated."""

    kind: ClassVar[str] = "route-declared"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "path": Param(str, "the route path, e.g. '/anthropic/{endpoint:path}'", required=True),
        "methods": Param(list, "the HTTP methods the card states", required=True),
        "auth": Param(list, "accepted auth functions", ("user_api_key_auth",)),
        "mechanism": Param(str, "how the handler must authenticate: 'depends' or 'any'", "depends"),
    }

    def request(self) -> FactRequest:
        auth = ",".join(self.values["auth"])
        return FactRequest("routes", file_of(self.config.source, self.values), (("auth", auth),))

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def _routes(self, inventory: RouteInventory) -> list[RouteFact]:
        return inventory.find(self.values["path"])

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        inventory = facts[self.request()].facts
        if not isinstance(inventory, RouteInventory):
            return None
        return {"routes": to_json(self._routes(inventory))}

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        inventory = extracted.facts
        if not isinstance(inventory, RouteInventory):
            return Error(extracted.error or f"{request.path}: no facts")
        path = self.values["path"]
        routes = self._routes(inventory)
        if not routes:
            return Error(f"{path} is not registered in {request.path} any more")
        methods = sorted({method for route in routes for method in route.methods})
        expected = sorted(method.upper() for method in self.values["methods"])
        evidence = tuple(
            Evidence(request.path, r.line, f"{path} {','.join(r.methods)} -> {r.handler}")
            for r in routes
        )
        evidence += tuple(Evidence(request.path, r.auth.line, describe(r)) for r in routes)
        diff = tuple(json_diff(baseline, self.record(facts))) if isinstance(baseline, dict) else ()
        problems: list[str] = []
        if methods != expected:
            problems.append(f"methods are {','.join(methods)}, the card says {','.join(expected)}")
        allowed = MECHANISMS.get(self.values["mechanism"], {self.values["mechanism"]})
        for route in routes:
            if route.auth.status != "authenticated":
                problems.append(describe(route))
            elif allowed is not None and route.auth.mechanism not in allowed:
                problems.append(f"{describe(route)}, not {self.values['mechanism']}")
        if problems:
            return Drift(f"{path}: " + "; ".join(problems), evidence, diff)
        auth = routes[0].auth
        return Pass(
            f"{path} [{','.join(methods)}] -> {routes[0].handler}, {auth.mechanism} {auth.function}",
            evidence,
            diff,
        )
