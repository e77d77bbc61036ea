"""The facts stage: libcst extractors, each turning one parsed module into normalized facts.

The extractor modules (and libcst with them) are imported on first use, not with this package:
a run whose facts all come from the facts cache never parses, so it never pays for libcst.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from watcher.facts.parse import ParsedModule

# An extractor gets its module, its string parameters, and the tree for cross-file analyses.
Extractor = Callable[["ParsedModule", Mapping[str, str], SourceTree], object]


def _routes(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> RouteInventory:
    from watcher.facts.routes import extract_routes

    return extract_routes(parsed, frozenset(params["auth"].split(",")))


def _dispatch(parsed: ParsedModule, params: Mapping[str, str], tree: SourceTree) -> DispatchChain:
    from watcher.facts.dispatch import extract_dispatch

    return extract_dispatch(parsed, params["entry"], params["marker"])


# Extractors by name; a FactRequest names one of these plus its string parameters.
EXTRACTORS: dict[str, Extractor] = {"routes": _routes, "dispatch": _dispatch}


def parse(path: str, blob_id: str, data: bytes) -> ParsedModule:
    from watcher.facts.parse import parse as parse_module

    return parse_module(path, blob_id, data)


def __getattr__(name: str) -> Any:
    if name == "ParsedModule":
        from watcher.facts.parse import ParsedModule

        return ParsedModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
