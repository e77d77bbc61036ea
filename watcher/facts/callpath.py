"""Is there a call path from a route handler to a target call, across the upstream's modules?

Breadth first from the handler over the call graph (`callgraph.py`), one call per level, the
modules a level needs read in one batch. Besides calls, a hop goes into a closure: a nested
function its enclosing function returns or hands on (`create_pass_through_route` returns the
`endpoint_func` that calls `pass_through_request`). Calls the tree cannot resolve (third-party
code, values computed at run time, inherited methods) are not followed: the analysis is static.

The search is bounded in depth and in modules read. It answers `reached` when any path reaches the
target, paths under a condition included; when nothing was found it says whether the search was
complete, because "no path found in what we could read" must never become a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from watcher.facts.callgraph import CallGraph, Hit, Lookup, Node
from watcher.facts.interface import CallPath, FactsError, Hop, SourceTree
from watcher.facts.parse import ParsedModule, canonical_code, code, dotted, walk
from watcher.facts.routes import extract_routes

MAX_PATHS = 3
EXTRA_CALLS = 3


@dataclass(frozen=True)
class _Step:
    """A hop in the making, with the syntax node it stands on (for its line, if reported)."""

    hop: Hop
    at: cst.CSTNode


Trail = tuple[_Step, ...]


class CallPathSearch:
    def __init__(self, graph: CallGraph, max_hops: int) -> None:
        self.graph = graph
        self.max_hops = max_hops

    def search(self, start: Node, route: str) -> CallPath:
        level: list[tuple[Node, Trail]] = [(start, ())]
        seen = {start}
        hits: list[Trail] = []
        depth = 0
        until: int | None = None  # once a path is found: how far the closures' twins are followed
        while level and (until is None or depth < until):
            if depth >= self.max_hops:
                if not hits:
                    self.graph.incomplete = (
                        self.graph.incomplete or f"depth limit reached ({self.max_hops} calls)"
                    )
                break
            following: list[tuple[Node, Trail]] = []
            lookups: list[tuple[Lookup, Trail]] = []
            for node, trail in level:
                self._expand(node, trail, hits, following, lookups)
            following.extend(self._resolve(lookups, hits))
            if hits and until is None:
                # A factory's other closures can reach the target a little further on (upstream
                # wraps the URL path's call in a nested `_relay`): follow only those, a few calls
                # more, so the evidence can lead with the path a route really takes.
                until = depth + 1 + EXTRA_CALLS
            level = []
            twins = _twins(hits) if until is not None else None
            for node, trail in following:
                if twins is not None and not twins(trail):
                    continue
                if node not in seen:
                    seen.add(node)
                    level.append((node, trail))
            depth += 1
        graph = self.graph
        ranked = sorted(hits, key=self._rank)[:MAX_PATHS]  # stable: shortest first as found
        return CallPath(
            route,
            start.name,
            graph.targets,
            bool(hits),
            tuple(self._with_lines(trail) for trail in ranked),
            "" if hits else graph.incomplete,
            len(graph.bodies),
            tuple(sorted(graph.loaded)),
            selectors=tuple("; ".join(self._selectors(trail)) for trail in ranked),
        )

    def _arm(self, step: _Step) -> tuple[str, str, str]:
        """(kind, text, try-block summary) of the arm a closure hop's nested def sits in."""
        body = self.graph.body(Node(step.hop.path, step.hop.caller))
        kind, text = body.arms.get(id(step.at), ("", ""))
        tried = body.try_blocks.get(id(step.at), ())
        return kind, text, _try_summary(tried, step.at)

    def _string_into(self, trail: Trail, factory: str) -> str:
        """The string value a path passes into `factory` (`str(updated_url)`, a literal), if any."""
        for step in trail:
            into = step.hop.callee.endswith(factory.rsplit(".", 1)[-1])
            if step.hop.kind == "call" and into and isinstance(step.at, cst.Call):
                for arg in step.at.args:
                    if _is_string(arg.value):
                        return code(arg.value)
        return ""

    def _rank(self, trail: Trail) -> int:
        """Rule "URL fallback first": when the route hands a string (a URL) to a factory, the
        closure the factory defines in an `except` arm is the one that serves it (the try block
        tries to load the string as an object, which a URL is not); its twin in the try block is
        listed after it. Other paths keep the order they were found in."""
        for step in trail:
            if step.hop.kind == "closure" and self._string_into(trail, step.hop.caller):
                kind = self._arm(step)[0]
                return 0 if kind == "except" else 2 if kind == "try" else 1
        return 1

    def _selectors(self, trail: Trail) -> list[str]:
        out: list[str] = []
        for step in trail:
            if step.hop.kind != "closure":
                continue
            factory, name = step.hop.caller, step.hop.callee.rsplit(".", 1)[-1]
            kind, text, tried = self._arm(step)
            passed = self._string_into(trail, factory)
            if kind == "except":
                why = (
                    f"; the route passes a string ({passed}), the path a URL target takes"
                    if passed
                    else ""
                )
                out.append(
                    f"{factory} falls back to {name} in its `{text}` arm, when its try block ({tried}) raises{why}"
                )
            elif kind == "try":
                why = (
                    f"; not for a string target ({passed}) that cannot be loaded" if passed else ""
                )
                out.append(
                    f"{factory} hands out {name} from its try block, when {tried} succeeds{why}"
                )
            elif text:
                out.append(f"{factory} hands out {name} {text}")
            else:
                out.append(f"{factory} hands out {name} on every path")
        return out

    def _expand(
        self,
        node: Node,
        trail: Trail,
        hits: list[Trail],
        following: list[tuple[Node, Trail]],
        lookups: list[tuple[Lookup, Trail]],
    ) -> None:
        body = self.graph.body(node)
        for call, cond in body.calls:
            if target := self.graph.target(node, call):
                hop = Hop(node.path, node.name, target, node.path, "target", cond)
                hits.append((*trail, _Step(hop, call)))
                continue
            for callee in self.graph.callees(node, call):
                if isinstance(callee, Node):
                    hop = Hop(node.path, node.name, callee.name, callee.path, "call", cond)
                    following.append((callee, (*trail, _Step(hop, call))))
                else:  # the callee is settled (and the hop completed) once its module is read
                    hop = Hop(node.path, node.name, dotted(call.func), "", "call", cond)
                    lookups.append((callee, (*trail, _Step(hop, call))))
        for name in sorted(body.names & body.nested.keys()):
            for child, fn, cond in self.graph.nested(node, name):
                hop = Hop(node.path, node.name, child.name, child.path, "closure", cond)
                following.append((child, (*trail, _Step(hop, fn))))

    def _resolve(
        self, lookups: list[tuple[Lookup, Trail]], hits: list[Trail]
    ) -> list[tuple[Node, Trail]]:
        """Read the modules looked-up names live in (a batch per round) and find the functions;
        a name that is a target under its canonical name goes to `hits`."""
        found: list[tuple[Node, Trail]] = []
        while lookups:
            self.graph.load(lookup.path for lookup, _ in lookups)
            further: list[tuple[Lookup, Trail]] = []
            for lookup, trail in lookups:
                settled = self.graph.settle(lookup)
                *before, last = trail
                if isinstance(settled, Lookup):
                    further.append((settled, trail))
                elif isinstance(settled, Hit):
                    hop = replace(last.hop, kind="target", callee_path=last.hop.path)
                    hits.append((*before, _Step(hop, last.at)))
                elif settled is not None:
                    hop = replace(last.hop, callee=settled.name, callee_path=settled.path)
                    found.append((settled, (*before, _Step(hop, last.at))))
            lookups = further
        return found

    def _with_lines(self, trail: Trail) -> tuple[Hop, ...]:
        return tuple(
            replace(
                step.hop,
                line=self.graph.line(
                    Node(step.hop.path, step.hop.caller), step.at, step.hop.callee
                ),
            )
            for step in trail
        )


def _twins(hits: list[Trail]) -> Callable[[Trail], bool]:
    """Does a trail go through another closure of a factory whose closure a found path took?"""
    closures = [s.hop for hit in hits for s in hit if s.hop.kind == "closure"]
    taken = {hop.callee for hop in closures}
    factories = {hop.caller for hop in closures}

    def twin(trail: Trail) -> bool:
        return any(
            s.hop.kind == "closure" and s.hop.caller in factories and s.hop.callee not in taken
            for s in trail
        )

    return twin


def _is_string(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return True
    return isinstance(node, cst.Call) and dotted(node.func) == "str"


def _try_summary(tried: Sequence[cst.CSTNode], before: cst.CSTNode) -> str:
    """What a try block does before a def in it, briefly: its first `if` (with the call its
    `else` makes), else its first calls."""
    parts: list[str] = []
    for stmt in tried:
        if stmt is before or len(parts) >= 2:
            break
        if isinstance(stmt, cst.If):
            text = f"if {canonical_code(stmt.test)}"
            orelse = stmt.orelse.body if isinstance(stmt.orelse, cst.Else) else None
            calls = [n for n in walk(orelse) if isinstance(n, cst.Call)] if orelse else []
            parts = [text + (f" / else {' '.join(code(calls[0]).split())}" if calls else " ...")]
            break
        if isinstance(stmt, cst.SimpleStatementLine):
            calls = [n for n in walk(stmt) if isinstance(n, cst.Call)]
            if calls:
                parts.append(" ".join(code(calls[0]).split()))
    text = "; ".join(parts) or "the code before it"
    return text if len(text) <= 120 else text[:117] + "..."


def find_call_path(
    parsed: ParsedModule,
    route: str,
    targets: Iterable[str],
    tree: SourceTree,
    *,
    within: str = "litellm/",
    max_hops: int = 16,
    max_modules: int = 250,
) -> CallPath:
    """Search from the handler of `route` for a call to any of `targets`. The handler is looked
    up in `parsed`, else where the route is registered now (the relocation search of the route
    claims: upstream moves provider routes into modules of their own)."""
    start, moved = parsed, ""
    handlers = sorted({r.handler for r in extract_routes(parsed, frozenset()).find(route)})
    if not handlers:
        start, handlers = _relocated(parsed, route, tree)
        moved = start.path
    if len(handlers) > 1 or handlers[0] not in start.functions:
        raise FactsError(
            f"{start.path}: {route} is handled by {', '.join(handlers)}; expected one module function"
        )
    graph = CallGraph(tree, targets, within, max_modules)
    graph.add(start)
    if moved:
        graph.add(parsed)  # the original module is still where the moved handler often delegates
    found = CallPathSearch(graph, max_hops).search(Node(start.path, handlers[0]), route)
    return replace(found, start_path=moved)


def _relocated(
    parsed: ParsedModule, route: str, tree: SourceTree
) -> tuple[ParsedModule, list[str]]:
    from watcher.facts.locate import find_routes

    hits, searched = find_routes(tree, parsed.path, [(route, "")], frozenset())
    files = sorted({hit.file for hit in hits[(route, "")]})
    if not files:
        raise FactsError(
            f"{parsed.path}: no handler registered for {route}, here or elsewhere "
            f"({searched.note()}): the search has no start"
        )
    if len(files) > 1:
        raise FactsError(
            f"{route} is registered in {', '.join(files)}: the search has no single start"
        )
    module = tree.modules([files[0]])[files[0]]
    if isinstance(module, str):
        raise FactsError(f"{route} moved to {files[0]}, which could not be read: {module}")
    handlers = sorted({hit.route.handler for hit in hits[(route, "")]})
    return module, handlers
