"""The facts stage: libcst extractors, each turning one parsed module into normalized facts."""

from collections.abc import Callable, Mapping

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

# An extractor gets its module, its string parameters, and the tree for cross-file analyses.
Extractor = Callable[[ParsedModule, Mapping[str, str], SourceTree], object]


def _routes(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> RouteInventory:
    return extract_routes(parsed, frozenset(params["auth"].split(",")))


def _dispatch(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> DispatchChain:
    return extract_dispatch(parsed, params["entry"], params["marker"])


# Extractors by name; a FactRequest names one of these plus its string parameters.
EXTRACTORS: dict[str, Extractor] = {"routes": _routes, "dispatch": _dispatch}

__all__ = [
    "EXTRACTORS",
    "AuthFact",
    "DispatchBranch",
    "DispatchChain",
    "Extractor",
    "FactsError",
    "ParsedModule",
    "RouteFact",
    "RouteInventory",
    "SourceTree",
    "parse",
    "to_json",
]
