"""Claim kind `route-declared`: a given route exists with the stated methods and auth dependency.

When the route is no longer in its file, the rest of the tree is searched: found elsewhere is
drift ("moved to X, still authenticated via ..."), found nowhere is an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import (
    FILE_PARAM,
    default_scope,
    file_is_gone,
    file_of,
    json_diff,
    scope_request,
)
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
from watcher.claims.routes_authenticated import describe, hit_evidence, where_it_went
from watcher.facts import RouteFact, RouteInventory, RouteScope, SourceTree, to_json
from watcher.facts.locate import find_routes

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
        "scope": Param(
            list,
            "where else to look for the route, for the 'also registered in' note (path globs; "
            "default: the cited file's package; [] looks nowhere else)",
        ),
    }

    def request(self) -> FactRequest:
        auth = ",".join(self.values["auth"])
        return FactRequest("routes", file_of(self.config.source, self.values), (("auth", auth),))

    def scope_request(self) -> FactRequest | None:
        """The routes of the file's package (shared with a routes-authenticated claim on the same
        file): where else the route is registered, for a note. A `scope` narrows it: the default
        for proxy_server.py would be all of litellm/proxy, hundreds of files read for a note."""
        cited = file_of(self.config.source, self.values)
        scope = self.values["scope"]
        if scope is None:
            scope = default_scope(cited)
        return scope_request(cited, self.values["auth"], scope) if scope else None

    def requests(self) -> tuple[FactRequest, ...]:
        scope = self.scope_request()
        return (self.request(), scope) if scope is not None else (self.request(),)

    def _elsewhere(self, facts: Mapping[FactRequest, Extracted]) -> str:
        request = self.scope_request()
        scope = facts.get(request) if request is not None else None
        if scope is None or not isinstance(scope.facts, RouteScope):
            return ""
        here = self.request().path
        files = sorted(
            {r.file for r in scope.facts.routes if r.route.path == self.values["path"]} - {here}
        )
        if not files:
            return ""
        return (
            f" [also registered in {', '.join(files)}: the app serves the router it includes first]"
        )

    def _routes(self, inventory: RouteInventory) -> list[RouteFact]:
        return inventory.find(self.values["path"])

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        inventory = facts[self.request()].facts
        if not isinstance(inventory, RouteInventory):
            return None
        return {"routes": to_json(self._routes(inventory))}

    def _moved(
        self, reason: str, baseline: JSON | None, tree: SourceTree, diff: tuple[str, ...]
    ) -> Verdict:
        """The route is not in its file: drift if it is registered elsewhere, else error."""
        path, file = self.values["path"], self.request().path
        handlers = [
            str(r.get("handler", ""))
            for r in (baseline.get("routes", []) if isinstance(baseline, dict) else [])
            if isinstance(r, dict)
        ]
        hits, searched = find_routes(
            tree, file, [(path, handlers[0] if handlers else "")], frozenset(self.values["auth"])
        )
        found = next(iter(hits.values()))
        if not found:
            return Error(f"{reason}; {where_it_went(path, found, searched)}")
        return Drift(f"{reason}; {where_it_went(path, found, searched)}", hit_evidence(found), diff)

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        inventory = extracted.facts
        path = self.values["path"]
        if not isinstance(inventory, RouteInventory):
            reason = extracted.error or f"{request.path}: no facts"
            if file_is_gone(tree, request.path):
                return self._moved(reason, baseline, tree, ())
            return Error(reason)
        routes = self._routes(inventory)
        diff = tuple(json_diff(baseline, self.record(facts))) if isinstance(baseline, dict) else ()
        if not routes:
            return self._moved(
                f"{path} is not registered in {request.path} any more", baseline, tree, diff
            )
        methods = sorted({method for route in routes for method in route.methods})
        expected = sorted(method.upper() for method in self.values["methods"])
        evidence = tuple(
            Evidence(request.path, r.line, f"{path} {','.join(r.methods)} -> {r.handler}")
            for r in routes
        )
        evidence += tuple(Evidence(request.path, r.auth.line, describe(r)) for r in routes)
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
            if all(r.auth.status == "unknown" for r in routes) and methods == expected:
                return Error(f"{path}: " + "; ".join(problems), evidence, diff)
            return Drift(f"{path}: " + "; ".join(problems), evidence, diff)
        auth = routes[0].auth
        return Pass(
            f"{path} [{','.join(methods)}] -> {routes[0].handler}, {auth.mechanism} {auth.function}"
            + self._elsewhere(facts),
            evidence,
            diff,
        )
