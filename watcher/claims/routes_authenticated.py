"""Claim kind `routes-authenticated`: every route a module registers reaches the auth function.

Routes whose path is no longer registered in the module since the accepted baseline are looked
for in the rest of the tree: "moved to X, still authenticated via ..." or "not found". Either way
the claim drifts until someone accepts the new state or points the card at the new file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import FILE_PARAM, file_is_gone, file_of
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
from watcher.facts.locate import RouteHit, Searched, find_routes

HOW = {
    "depends": "Depends",
    "security": "Security",
    "annotated": "Annotated[..., Depends]",
    "decorator": "dependencies= on the decorator",
    "router": "dependencies= on the router",
    "await": "an awaited call in the body",
}


def how_authenticated(route: RouteFact) -> str:
    """`authenticates via Depends (user_api_key_auth)`, `has no authentication`, ..."""
    auth = route.auth
    how = HOW.get(auth.mechanism, auth.mechanism)
    if auth.mechanism == "helper":
        how = "helper " + " -> ".join(auth.via)
    if auth.status == "authenticated":
        return f"authenticates via {how} ({auth.function})"
    if auth.status == "conditional":
        return f"reaches {auth.function} only on some paths (via {how})"
    if auth.status == "other" and auth.mechanism == "helper":
        return f"depends on {auth.function}, defined in this module, which reaches no accepted auth function"
    if auth.status == "other":
        return f"depends on {auth.function}, not an accepted auth function"
    if auth.status == "unknown":
        return "has a handler defined outside this module; its auth could not be checked"
    if auth.mechanism == "unawaited":
        return f"calls {auth.function} without awaiting it (the check never runs)"
    return "has no authentication"


def describe(route: RouteFact) -> str:
    return f"{route.path} ({route.handler}) {how_authenticated(route)}"


def where_it_went(route_path: str, hits: list[RouteHit], searched: Searched) -> str:
    if not hits:
        return f"{route_path} not found elsewhere ({searched.note()})"
    hit = hits[0]
    shown = "" if hit.by == "path" else f" as {hit.route.path} ({hit.route.handler})"
    how = how_authenticated(hit.route)
    if hit.route.auth.status == "authenticated":
        return f"{route_path} moved to {hit.file}{shown}, still {how}"
    return f"{route_path} moved to {hit.file}{shown}, NOT authenticated: it {how}"


def hit_evidence(hits: list[RouteHit]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(hit.file, hit.route.auth.line or hit.route.line, describe(hit.route))
        for hit in hits
    )


def route_key(route: JSON) -> str:
    return f"{route['path']} [{','.join(route['methods'])}] {route['handler']}"


def _baseline_routes(baseline: JSON | None) -> list[JSON]:
    routes = baseline.get("routes") if isinstance(baseline, dict) else None
    return [r for r in routes if isinstance(r, dict)] if isinstance(routes, list) else []


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

    def _left(self, gone: list[JSON], tree: SourceTree) -> tuple[list[str], tuple[Evidence, ...]]:
        """Where routes that are no longer in the file went: one line each, plus evidence."""
        if not gone:
            return [], ()
        sought = list(
            dict.fromkeys((str(r.get("path", "")), str(r.get("handler", ""))) for r in gone)
        )
        hits, searched = find_routes(
            tree, self.request().path, sought, frozenset(self.values["auth"])
        )
        lines = [where_it_went(key[0], hits[key], searched) for key in sought]
        evidence = tuple(e for key in sought for e in hit_evidence(hits[key]))
        return lines, evidence

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        inventory = extracted.facts
        path = request.path
        if not isinstance(inventory, RouteInventory):
            reason = extracted.error or f"{path}: no facts"
            old = _baseline_routes(baseline)
            if old and file_is_gone(tree, path):
                lines, evidence = self._left(old, tree)
                return Error(f"{reason}; its routes: " + "; ".join(lines), evidence)
            return Error(reason)
        if not inventory.routes:
            return Error(
                f"{path}: no routes found (a module this claim covers must register routes)"
            )
        current = {route.path for route in inventory.routes}
        gone = [r for r in _baseline_routes(baseline) if r.get("path") not in current]
        left, moved_evidence = self._left(gone, tree)
        bad = [route for route in inventory.routes if route.auth.status != "authenticated"]
        evidence = tuple(
            Evidence(path, route.auth.line or route.line, describe(route))
            for route in (bad or inventory.routes)
        )
        changes = self._changes(inventory, baseline) + tuple(f"  {line}" for line in left)
        unknown = [route for route in bad if route.auth.status == "unknown"]
        if unknown and len(unknown) == len(bad) and not left:
            return Error(
                f"{len(unknown)} route(s) have handlers defined outside {path}; their auth could not be checked: "
                + ", ".join(route.path for route in unknown),
                evidence,
                changes,
            )
        problems: list[str] = []
        if bad:
            names = ", ".join(f"{route.path} ({route.auth.status})" for route in bad)
            accepted = " or ".join(self.values["auth"])
            problems.append(
                f"{len(bad)} of {len(inventory.routes)} routes do not always reach {accepted}: {names}"
            )
        if left:
            problems.append(
                f"{len(left)} route(s) left the file since the accepted baseline: "
                + "; ".join(left)
            )
        if problems:
            shown = moved_evidence + (evidence if bad else ())
            return Drift("; ".join(problems), shown or evidence, changes)
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
        old = {route_key(r): r for r in _baseline_routes(baseline)}
        new = {route_key(r): r for r in to_json(inventory)["routes"]}
        lines = [f"- route {key}" for key in sorted(old.keys() - new.keys())]
        lines += [f"+ route {key}" for key in sorted(new.keys() - old.keys())]
        lines += [
            f"~ route {key}: auth {old[key]['auth']} -> {new[key]['auth']}"
            for key in sorted(old.keys() & new.keys())
            if old[key]["auth"] != new[key]["auth"]
        ]
        return tuple(lines)
