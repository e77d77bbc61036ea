"""The facts stage: libcst extractors, each turning one parsed module into normalized facts.

The extractor modules (and libcst, httpx with them) are imported on first use, not with this
package: a run whose facts all come from the facts cache never parses, so it never pays for them.
Fact types live in `interface.py`, which imports neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from watcher.facts.interface import (
    Assignment,
    Assignments,
    AuthFact,
    CallPath,
    DispatchBranch,
    DispatchChain,
    FactsError,
    Hop,
    Inclusion,
    Location,
    PageFacts,
    ReferenceFacts,
    Resolution,
    RouteFact,
    RouteInventory,
    RouterInclusion,
    RouteScope,
    ScopedRoute,
    SourceTree,
    to_json,
)

if TYPE_CHECKING:
    from watcher.facts.parse import ParsedModule

# An extractor gets its module, its string parameters, and the tree for cross-file analyses.
Extractor = Callable[["ParsedModule", Mapping[str, str], SourceTree], object]


def _routes(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> RouteInventory:
    from watcher.facts.routes import extract_routes

    return extract_routes(parsed, frozenset(params["auth"].split(",")))


def _scope(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> RouteScope:
    from watcher.facts.scope import scan_scope

    return scan_scope(
        tree,
        frozenset(params["auth"].split(",")),
        params["scope"].split("\n"),
        [p for p in params["exclude"].split("\n") if p],
        known={parsed.path: parsed},
    )


def _dispatch(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> DispatchChain:
    from watcher.facts.dispatch import extract_dispatch

    return extract_dispatch(parsed, params["entry"], params["marker"])


def _call_path(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> CallPath:
    from watcher.facts.callpath import find_call_path

    return find_call_path(
        parsed,
        params["route"],
        params["targets"].split(","),
        tree,
        within=params["within"],
        max_hops=int(params["max_hops"]),
        max_modules=int(params["max_modules"]),
    )


def _assignments(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> Assignments:
    from watcher.facts.assignments import find_assignments

    return find_assignments(parsed, params["name"], params["settings"])


def _references(
    parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree
) -> ReferenceFacts:
    import json

    from watcher.facts.references import ReferenceSpec, resolve_references

    specs = [
        ReferenceSpec(s["key"], s["kind"], s["target"], tuple(s["keywords"]))
        for s in json.loads(params["refs"])
    ]
    seeds = [parsed.path, *(p for p in params["seeds"].split("\n") if p and p != parsed.path)]
    modules = [m for m in params["modules"].split("\n") if m]
    return resolve_references(tree, seeds, modules, specs)


def _inclusion(
    parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree
) -> RouterInclusion:
    from watcher.facts.inclusion import find_inclusion

    return find_inclusion(parsed, params["route"], params["app_file"], params["app"], tree)


# Extractors by name; a FactRequest names one of these plus its string parameters.
EXTRACTORS: dict[str, Extractor] = {
    "routes": _routes,
    "routes-scope": _scope,
    "dispatch": _dispatch,
    "call-path": _call_path,
    "assignments": _assignments,
    "references": _references,
    "router-included": _inclusion,
}

# Facts that come from elsewhere than the upstream tree (a FactRequest's `path` is then a URL).
Probe = Callable[[Mapping[str, str]], object]


def _web_page(params: Mapping[str, str]) -> PageFacts:
    from watcher.facts.web import fetch_page

    phrases = params["mentions"].split("\n")
    return fetch_page(params["url"], phrases, timeout=float(params["timeout"]))


PROBES: dict[str, Probe] = {"web-page": _web_page}


def parse_file(path: str, blob_id: str, data: bytes) -> ParsedModule:
    """Parse one file (imports libcst on first use) within the run's limits: a file that could
    crash or exhaust the run raises ParseLimitError, a FactsError naming the limit. Not named
    `parse`: importing the submodule `watcher.facts.parse` would replace a package attribute."""
    from watcher.facts.limits import current
    from watcher.facts.sandbox import guarded_parse

    return guarded_parse(path, blob_id, data, current())


def __getattr__(name: str) -> Any:
    if name == "ParsedModule":
        from watcher.facts.parse import ParsedModule

        return ParsedModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXTRACTORS",
    "PROBES",
    "Assignment",
    "Assignments",
    "AuthFact",
    "CallPath",
    "DispatchBranch",
    "DispatchChain",
    "Extractor",
    "FactsError",
    "Hop",
    "Inclusion",
    "Location",
    "PageFacts",
    "ParsedModule",
    "Probe",
    "ReferenceFacts",
    "Resolution",
    "RouteFact",
    "RouteInventory",
    "RouteScope",
    "RouterInclusion",
    "ScopedRoute",
    "SourceTree",
    "parse_file",
    "to_json",
]
