"""Claim kind `routes-authenticated`: every route registered in scope reaches the auth function.

The scope is a set of path globs, by default the package of the cited file (subpackages too):
the claim is about every passthrough route, wherever upstream puts it, including a route born
yesterday in a new module. Against the accepted baseline it says where routes went: a route that
moved within scope and still authenticates passes with a note, a new route that authenticates
passes with a note, a route that left the scope is looked for in the rest of the tree (found
elsewhere without auth: drift). Registrations with a computed path are listed, never judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import FILE_PARAM, default_scope, file_is_gone, file_of, scope_request
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
from watcher.errors import WatcherError
from watcher.facts import RouteFact, RouteScope, ScopedRoute, SourceTree, to_json
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


def baseline_routes(baseline: JSON | None, cited: str) -> list[tuple[str, JSON]]:
    """(file, route) pairs of an accepted baseline: a scope's, or one file's (older snapshots)."""
    routes = baseline.get("routes") if isinstance(baseline, dict) else None
    out: list[tuple[str, JSON]] = []
    for entry in routes if isinstance(routes, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("route"), dict):
            out.append((str(entry.get("file", cited)), entry["route"]))
        elif isinstance(entry, dict) and "path" in entry:
            out.append((cited, entry))
    return out


def _located(route: ScopedRoute) -> str:
    return f"{route.route.path} in {route.file}:{route.route.auth.line or route.route.line}"


class RoutesAuthenticated(ClaimKind):
    """Every HTTP route registered in scope (the cited file's package) reaches the auth function."""

    kind: ClassVar[str] = "routes-authenticated"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "auth": Param(list, "accepted auth functions", ("user_api_key_auth",)),
        "scope": Param(
            list,
            "path globs of the files whose routes are checked (default: the cited file's package)",
        ),
        "exclude": Param(list, "path globs left out of the scope", ()),
    }

    @property
    def scope(self) -> tuple[str, ...]:
        return tuple(self.values["scope"] or default_scope(self.cited))

    @property
    def cited(self) -> str:
        return file_of(self.config.source, self.values)

    def request(self) -> FactRequest:
        return scope_request(self.cited, self.values["auth"], self.scope, self.values["exclude"])

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        if not isinstance(found, RouteScope) or found.unreadable:
            return None
        return to_json(found)

    def _scope(self, extracted: Extracted, tree: SourceTree) -> tuple[RouteScope | None, str]:
        """The scope's routes; when the cited file itself is gone, the rest of the scope."""
        if isinstance(extracted.facts, RouteScope):
            return extracted.facts, ""
        reason = extracted.error or f"{self.cited}: no facts"
        if not file_is_gone(tree, self.cited):
            return None, reason
        from watcher.facts.scope import scan_scope

        try:
            auth = frozenset(self.values["auth"])
            found = scan_scope(tree, auth, self.scope, self.values["exclude"])
        except WatcherError as exc:
            return None, f"{reason}; the rest of the scope could not be read: {exc}"
        return found, f"{self.cited} is gone (update the card's Sources row)"

    def _left(
        self, gone: list[tuple[str, JSON]], tree: SourceTree
    ) -> tuple[list[str], list[str], tuple[Evidence, ...]]:
        """Routes no longer in scope: (notes, problems, evidence) after a search of the tree."""
        if not gone:
            return [], [], ()
        if not getattr(tree, "relocation_searches", True):
            paths = ", ".join(sorted({str(r.get("path", "")) for _, r in gone}))
            return [f"not in the scope: {paths} (not searched for in a history walk)"], [], ()
        sought = list(
            dict.fromkeys((str(r.get("path", "")), str(r.get("handler", ""))) for _, r in gone)
        )
        hits, searched = find_routes(tree, self.cited, sought, frozenset(self.values["auth"]))
        notes: list[str] = []
        problems: list[str] = []
        for key in sought:
            found = hits[key]
            line = where_it_went(key[0], found, searched)
            if not found:
                notes.append(f"{key[0]} removed from the scope ({line})")
            elif found[0].route.auth.status == "authenticated":
                notes.append(f"left the scope: {line}")
            else:
                problems.append(f"left the scope: {line}")
        evidence = tuple(e for key in sought for e in hit_evidence(hits[key]))
        return notes, problems, evidence

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        scope, note = self._scope(facts[self.request()], tree)
        if scope is None:
            return Error(note)
        notes = [note] if note else []
        globs = ", ".join(scope.scope)
        if scope.unreadable:
            return Error(
                f"could not check every file in scope ({globs}): " + "; ".join(scope.unreadable)
            )
        if not scope.routes:
            return Error(
                f"no routes found in scope ({globs}): a passthrough scope must register routes"
            )
        old = baseline_routes(baseline, self.cited)
        current = {r.route.path for r in scope.routes}
        gone = [(file, r) for file, r in old if r.get("path") not in current]
        left_notes, left_problems, left_evidence = self._left(gone, tree)
        notes += self._moves(scope, old) + left_notes
        bad = [r for r in scope.routes if r.route.auth.status != "authenticated"]
        evidence = tuple(
            Evidence(r.file, r.route.auth.line or r.route.line, describe(r.route))
            for r in (bad or scope.routes)
        )
        evidence += tuple(
            Evidence(
                r.file, r.route.line, f"dynamic registration (not judged): {describe(r.route)}"
            )
            for r in scope.dynamic
        )
        changes = self._changes(scope, old)
        notes += self._dynamic(scope)
        unknown = [r for r in bad if r.route.auth.status == "unknown"]
        if unknown and len(unknown) == len(bad) and not left_problems:
            return Error(
                f"{len(unknown)} route(s) have handlers defined in other modules; their auth could not be checked: "
                + ", ".join(_located(r) for r in unknown),
                evidence,
                changes,
            )
        problems: list[str] = []
        if bad:
            names = ", ".join(f"{_located(r)} ({r.route.auth.status})" for r in bad)
            accepted = " or ".join(self.values["auth"])
            problems.append(
                f"{len(bad)} of {len(scope.routes)} routes in scope do not always reach {accepted}: {names}"
            )
        problems += left_problems
        tail = f" [{'; '.join(notes)}]" if notes else ""
        if problems:
            return Drift("; ".join(problems) + tail, left_evidence + evidence, changes)
        files = len({r.file for r in scope.routes})
        function = scope.routes[0].route.auth.function
        return Pass(
            f"{len(scope.routes)} routes in {files} file(s), all reach {function}{tail}",
            evidence,
            changes,
        )

    def _moves(self, scope: RouteScope, old: list[tuple[str, JSON]]) -> list[str]:
        """Notes for baseline routes now registered in another file of the scope, and for routes
        new since the baseline (no baseline: nothing is new)."""
        if not old:
            return []
        before: dict[str, set[str]] = {}
        for file, route in old:
            before.setdefault(str(route.get("path")), set()).add(file)
        now: dict[str, list[ScopedRoute]] = {}
        for scoped in scope.routes:
            now.setdefault(scoped.route.path, []).append(scoped)
        notes: list[str] = []
        fresh: list[str] = []
        for path, routes in now.items():
            files = sorted({r.file for r in routes})
            if path not in before:
                fresh.append(f"{path} in {', '.join(files)}")
                continue
            if set(files) == before[path]:
                continue
            how = (
                f", still {how_authenticated(routes[0].route)}"
                if all(r.route.auth.status == "authenticated" for r in routes)
                else ""
            )
            added = sorted(set(files) - before[path])
            if before[path] <= set(files):
                notes.append(f"{path} is now also registered in {', '.join(added)}{how}")
            else:
                moved = ", ".join(sorted(before[path]))
                notes.append(f"{path} moved from {moved} to {', '.join(files)}{how}")
        if fresh:
            authenticated = all(
                r.route.auth.status == "authenticated"
                for path in now
                if path not in before
                for r in now[path]
            )
            state = ", all authenticated" if authenticated else ""
            notes.append(f"{len(fresh)} new route(s) since the baseline{state}: {'; '.join(fresh)}")
        return notes

    @staticmethod
    def _dynamic(scope: RouteScope) -> list[str]:
        if not scope.dynamic:
            return []
        shown = "; ".join(
            f"{r.route.path} in {r.file}:{r.route.line} ({how_authenticated(r.route)})"
            for r in scope.dynamic
        )
        return [
            f"{len(scope.dynamic)} registration(s) with a computed path, not judged as routes: {shown}"
        ]

    @staticmethod
    def _changes(scope: RouteScope, old: list[tuple[str, JSON]]) -> tuple[str, ...]:
        if not old:
            return ()
        before = {route_key(r): (file, r) for file, r in old}
        after = {route_key(to_json(s.route)): (s.file, to_json(s.route)) for s in scope.routes}
        lines = [
            f"- route {key} ({before[key][0]})" for key in sorted(before.keys() - after.keys())
        ]
        lines += [
            f"+ route {key} ({after[key][0]})" for key in sorted(after.keys() - before.keys())
        ]
        for key in sorted(before.keys() & after.keys()):
            (old_file, old_route), (new_file, new_route) = before[key], after[key]
            if old_file != new_file:
                lines.append(f"~ route {key}: file {old_file} -> {new_file}")
            if old_route["auth"] != new_route["auth"]:
                lines.append(f"~ route {key}: auth {old_route['auth']} -> {new_route['auth']}")
        return tuple(lines)
