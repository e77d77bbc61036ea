"""Claim kind `routes-authenticated`: every route a module registers reaches the auth function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import FILE_PARAM, file_of
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
from watcher.facts import RouteFact, RouteInventory, SourceTree, to_json


def describe(route: RouteFact) -> str:
    auth = route.auth
    how = {
        "depends": "Depends",
        "security": "Security",
        "annotated": "Annotated[..., Depends]",
        "decorator": "dependencies= on the decorator",
        "router": "dependencies= on the router",
        "await": "an awaited call in the body",
        "helper": "helper " + " -> ".join(auth.via),
    }
    if auth.status == "authenticated":
        return f"{route.path} ({route.handler}) authenticates via {how.get(auth.mechanism, auth.mechanism)}"
    if auth.status == "conditional":
        return f"{route.path} ({route.handler}) calls {auth.function} only on some paths"
    if auth.status == "other":
        return f"{route.path} ({route.handler}) depends on {auth.function}, not the accepted auth"
    return f"{route.path} ({route.handler}) has no authentication"


def route_key(route: JSON) -> str:
    return f"{route['path']} [{','.join(route['methods'])}] {route['handler']}"


class RoutesAuthenticated(ClaimKind):
    """Every HTTP route registered in a module reaches the auth function before it forwards."""

    kind: ClassVar[str] = "routes-authenticated"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "auth": Param(list, "accepted auth functions", ("user_api_key_auth",)),
    }

    def request(self) -> FactRequest:
        auth = ",".join(self.values["auth"])
        return FactRequest("routes", file_of(self.config.source, self.values), (("auth", auth),))

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        return to_json(found) if found is not None else None

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        inventory = extracted.facts
        if not isinstance(inventory, RouteInventory):
            return Error(extracted.error or f"{request.path}: no facts")
        if not inventory.routes:
            return Error(
                f"{request.path}: no routes found (a module this claim covers must register routes)"
            )
        path = request.path
        bad = [route for route in inventory.routes if route.auth.status != "authenticated"]
        evidence = tuple(
            Evidence(path, route.auth.line or route.line, describe(route))
            for route in (bad or inventory.routes)
        )
        changes = self._changes(inventory, baseline)
        if bad:
            names = ", ".join(f"{route.path} ({route.auth.status})" for route in bad)
            accepted = " or ".join(self.values["auth"])
            return Drift(
                f"{len(bad)} of {len(inventory.routes)} routes do not always reach {accepted}: {names}",
                evidence,
                changes,
            )
        note = f"; since baseline: {len(changes)} route change(s)" if changes else ""
        return Pass(
            f"{len(inventory.routes)} routes, all reach {inventory.routes[0].auth.function}{note}",
            evidence,
            changes,
        )

    @staticmethod
    def _changes(inventory: RouteInventory, baseline: JSON | None) -> tuple[str, ...]:
        if not isinstance(baseline, dict):
            return ()
        old = {route_key(r): r for r in baseline.get("routes", [])}
        new = {route_key(r): r for r in to_json(inventory)["routes"]}
        lines = [f"- route {key}" for key in sorted(old.keys() - new.keys())]
        lines += [f"+ route {key}" for key in sorted(new.keys() - old.keys())]
        lines += [
            f"~ route {key}: auth {old[key]['auth']} -> {new[key]['auth']}"
            for key in sorted(old.keys() & new.keys())
            if old[key]["auth"] != new[key]["auth"]
        ]
        return tuple(lines)
