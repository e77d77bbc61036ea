"""The facts stage: libcst extractors, each turning one parsed module into normalized facts."""

from collections.abc import Callable, Mapping

from watcher.facts.assignments import Assignments, find_assignments
from watcher.facts.callpath import CallPath, Hop, find_call_path
from watcher.facts.dispatch import extract_dispatch
from watcher.facts.interface import (
    AuthFact,
    DispatchBranch,
    DispatchChain,
    FactsError,
    RouteFact,
    RouteInventory,
    SourceTree,
    to_json,
)
from watcher.facts.parse import ParsedModule, parse
from watcher.facts.routes import extract_routes
from watcher.facts.web import PageFacts, fetch_page

# An extractor gets its module, its string parameters, and the tree for cross-file analyses.
Extractor = Callable[[ParsedModule, Mapping[str, str], SourceTree], object]


def _routes(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> RouteInventory:
    return extract_routes(parsed, frozenset(params["auth"].split(",")))


def _dispatch(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> DispatchChain:
    return extract_dispatch(parsed, params["entry"], params["marker"])


def _call_path(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> CallPath:
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
    return find_assignments(parsed, params["name"], params["settings"])


# Extractors by name; a FactRequest names one of these plus its string parameters.
EXTRACTORS: dict[str, Extractor] = {
    "routes": _routes,
    "dispatch": _dispatch,
    "call-path": _call_path,
    "assignments": _assignments,
}

# Facts that come from elsewhere than the upstream tree (a FactRequest's `path` is then a URL).
Probe = Callable[[Mapping[str, str]], object]


def _web_page(params: Mapping[str, str]) -> PageFacts:
    phrases = params["mentions"].split("\n")
    return fetch_page(params["url"], phrases, timeout=float(params["timeout"]))


PROBES: dict[str, Probe] = {"web-page": _web_page}

__all__ = [
    "EXTRACTORS",
    "PROBES",
    "Assignments",
    "AuthFact",
    "CallPath",
    "DispatchBranch",
    "DispatchChain",
    "Extractor",
    "FactsError",
    "Hop",
    "PageFacts",
    "ParsedModule",
    "Probe",
    "RouteFact",
    "RouteInventory",
    "SourceTree",
    "parse",
    "to_json",
]
