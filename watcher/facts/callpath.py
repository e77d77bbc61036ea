"""Is there a call path from a route handler to a target call, across the upstream's modules?

Breadth first from the handler, one call per level, reading the modules a level needs in one
batch (`SourceTree.modules`). A hop follows a call to a function of the same module (methods via
`self`/`cls`, a class name or a module-level instance), to a function imported from a module of
the upstream tree (aliases, relative imports and re-exports resolved), or into a closure: a nested
function its enclosing function returns or hands on (`create_pass_through_route` returns the
`endpoint_func` that calls `pass_through_request`). Calls the tree cannot resolve (third-party
code, values computed at run time, inherited methods) are not followed: the analysis is static.

The search is bounded in depth and in modules read. It answers `reached` when any path reaches the
target, paths under a condition included; when nothing was found it says whether the search was
complete, because "no path found in what we could read" must never become a pass.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import libcst as cst

from watcher.facts.callsites import FunctionBody, scan_function
from watcher.facts.interface import FactsError, SourceTree
from watcher.facts.parse import ParsedModule, dotted
from watcher.facts.routes import extract_routes
from watcher.facts.symbols import (
    absolute,
    instances,
    module_file,
    module_name,
    nested_def_line,
)

MAX_REEXPORTS = 4
MAX_PATHS = 3


@dataclass(frozen=True)
class Hop:
    """One step: in `path`, `caller` calls `callee` (kind `call`), hands out the closure `callee`
    (kind `closure`), or makes the target call (kind `target`)."""

    path: str
    caller: str
    callee: str
    callee_path: str
    kind: str
    conditional: bool
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CallPath:
    """What a search found. `paths` are the shortest paths that reach a target, hop by hop;
    `incomplete` says why a search that found nothing cannot rule a path out."""

    route: str
    start: str
    targets: tuple[str, ...]
    reached: bool
    paths: tuple[tuple[Hop, ...], ...]
    incomplete: str = field(default="", compare=False)
    functions: int = field(default=0, compare=False)
    modules: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class _Node:
    path: str
    name: str  # 'f', 'Class.method', 'f.inner', 'f.inner#2' (a second def of that name)


@dataclass(frozen=True)
class _Def:
    fn: cst.FunctionDef
    owner: str  # the module-level function or method it sits in: lines are indexed by it
    cls: str  # the class of a method (or of the method a closure sits in), else ''
    scopes: tuple[_Node, ...]  # enclosing functions, innermost first: a closure sees their names


@dataclass(frozen=True)
class _Step:
    """A hop in the making: the syntax node it stands on, for its line once a path is reported."""

    hop: Hop
    node: cst.CSTNode


@dataclass(frozen=True)
class _Pending:
    """A callee still to be found by name in a module that may not be read yet."""

    path: str
    name: str
    trail: tuple[_Step, ...]
    reexports: int = 0


@dataclass(frozen=True)
class _Hit:
    """A pending name turned out to be a target (e.g. the hook object re-exported under an alias)."""


Trail = tuple[_Step, ...]


def _twin(name: str, index: int) -> str:
    return f"{name}#{index + 1}" if index else name


class CallPathSearch:
    def __init__(
        self, tree: SourceTree, targets: Iterable[str], within: str, max_hops: int, max_modules: int
    ) -> None:
        self.tree = tree
        self.targets = tuple(targets)
        self.max_hops = max_hops
        self.max_modules = max_modules
        self.files = frozenset(path for path in tree.paths(".py") if path.startswith(within))
        self.package = within.strip("/").replace("/", ".")
        self.loaded: dict[str, ParsedModule] = {}
        self.defs: dict[_Node, _Def] = {}
        self.bodies: dict[_Node, FunctionBody] = {}
        self.incomplete = ""
        self._instance_vars: dict[str, dict[str, tuple[str, bool]]] = {}
        self._ast: dict[str, ast.Module] = {}

    # --- modules ---------------------------------------------------------------------------
    def add_module(self, parsed: ParsedModule) -> None:
        self.loaded[parsed.path] = parsed
        for name, fn in parsed.functions.items():
            cls = name.rsplit(".", 1)[0] if "." in name else ""
            self.defs[_Node(parsed.path, name)] = _Def(fn, name, cls, ())

    def _load(self, paths: Iterable[str]) -> None:
        wanted = sorted({p for p in paths if p not in self.loaded})
        room = max(self.max_modules - len(self.loaded), 0)
        if len(wanted) > room:
            self.incomplete = self.incomplete or (
                f"module limit reached ({self.max_modules} read, {len(wanted) - room} more needed)"
            )
            wanted = wanted[:room]
        if not wanted:
            return
        for parsed in self.tree.modules(wanted).values():
            if isinstance(parsed, str):
                self.incomplete = self.incomplete or f"could not read a module on the way: {parsed}"
            else:
                self.add_module(parsed)

    def _instances(self, path: str) -> dict[str, tuple[str, bool]]:
        if path not in self._instance_vars:
            self._instance_vars[path] = instances(self.loaded[path])
        return self._instance_vars[path]

    def _def_line(self, path: str, owner: str, chain: str) -> int:
        """Line of a nested def (the line index knows module-level functions only)."""
        if path not in self._ast:
            self._ast[path] = ast.parse(self.loaded[path].module.code)
        return nested_def_line(self._ast[path], owner, chain)

    # --- one function ----------------------------------------------------------------------
    def _body(self, node: _Node) -> FunctionBody:
        body = self.bodies.get(node)
        if body is None:
            body = self.bodies[node] = scan_function(self.defs[node].fn)
            parent = self.defs[node]
            for name, twins in body.nested.items():
                for index, (fn, _) in enumerate(twins):
                    child = _Node(node.path, f"{node.name}.{_twin(name, index)}")
                    self.defs[child] = _Def(fn, parent.owner, parent.cls, (node, *parent.scopes))
        return body

    def _nested(self, node: _Node, name: str) -> list[tuple[_Node, cst.FunctionDef, bool]]:
        twins = self._body(node).nested.get(name, [])
        return [
            (_Node(node.path, f"{node.name}.{_twin(name, i)}"), fn, cond)
            for i, (fn, cond) in enumerate(twins)
        ]

    def _matches(self, name: str) -> bool:
        return any(name == t or name.endswith("." + t) for t in self.targets)

    def _target(self, node: _Node, call: cst.Call) -> str:
        """The target a call makes, as written, or ''."""
        raw = dotted(call.func)
        if not raw:
            return ""
        parsed = self.loaded[node.path]
        candidates = {raw, absolute(parsed.imports.resolve(call.func), node.path)}
        head, _, rest = raw.partition(".")
        cls = self.defs[node].cls
        if head in {"self", "cls"} and cls and rest:
            candidates.add(f"{cls}.{rest}")
        return raw if any(self._matches(c) for c in candidates) else ""

    def _callees(self, node: _Node, call: cst.Call) -> list[_Node | _Pending]:
        """Where a call may go: functions known now, or names to find once their module is read."""
        raw = dotted(call.func)
        head, _, rest = raw.partition(".")
        if not raw:
            return []
        info = self.defs[node]
        if not rest:
            for scope in (node, *info.scopes):
                found = self._nested(scope, head)
                if found:
                    return [child for child, _, _ in found]
        parsed = self.loaded[node.path]
        if head in {"self", "cls"}:
            return [_Pending(node.path, f"{info.cls}.{rest}", ())] if info.cls and rest else []
        if head in parsed.imports.names:
            origin = absolute(parsed.imports.resolve(call.func), node.path)
            located = module_file(origin, self.files)
            if located is None and self._ours(origin):
                self.incomplete = self.incomplete or (
                    f"{node.path}: {node.name} calls {origin}, whose module is not in the tree"
                )
            return [_Pending(located[0], located[1], ())] if located else []
        return [_Pending(node.path, raw, ())]

    def _ours(self, origin: str) -> bool:
        """A name from the package the search covers (not a third-party import)."""
        return bool(self.package) and (
            origin == self.package or origin.startswith(self.package + ".")
        )

    def _settle(self, pending: _Pending) -> _Node | _Pending | _Hit | None:
        """A pending name in a module that has been read: its function, or where to look next.
        A name that turns out to be a target (under its canonical name) is a hit."""
        parsed = self.loaded.get(pending.path)
        if parsed is None:
            return None
        name = pending.name
        if self._matches(f"{module_name(pending.path)}.{name}"):
            return _Hit()
        for candidate in (name, f"{name}.__init__"):
            if candidate in parsed.functions:
                return _Node(pending.path, candidate)
        head, _, rest = name.partition(".")
        if pending.reexports >= MAX_REEXPORTS:
            self.incomplete = self.incomplete or f"{pending.path}: {name} is re-exported too often"
            return None
        if head in parsed.imports.names:  # re-exported, or a method of an imported class
            origin = absolute(parsed.imports.names[head], pending.path)
            located = module_file(f"{origin}.{rest}" if rest else origin, self.files)
        elif rest and head in (found := self._instances(pending.path)):
            origin, imported = found[head]  # a method of a module-level instance
            method = f"{absolute(origin, pending.path)}.{rest}"
            located = module_file(method, self.files) if imported else (pending.path, method)
        else:
            return None
        if self._matches(f"{origin}.{rest}" if rest else origin):
            return _Hit()
        if located is None and self._ours(origin):
            self.incomplete = self.incomplete or (
                f"{pending.path}: {name} comes from {origin}, whose module is not in the tree"
            )
        if located is None or located == (pending.path, name):
            return None
        return _Pending(located[0], located[1], pending.trail, pending.reexports + 1)

    # --- the search ------------------------------------------------------------------------
    def search(self, start: _Node, route: str) -> CallPath:
        level: list[tuple[_Node, Trail]] = [(start, ())]
        seen = {start}
        hits: list[Trail] = []
        depth = 0
        while level and not hits:
            if depth >= self.max_hops:
                self.incomplete = self.incomplete or f"depth limit reached ({self.max_hops} calls)"
                break
            following: list[tuple[_Node, Trail]] = []
            pending: list[_Pending] = []
            for node, trail in level:
                self._expand(node, trail, hits, following, pending)
            if not hits:
                following.extend(self._resolve(pending, hits))
            level = []
            for node, trail in following:
                if node not in seen:
                    seen.add(node)
                    level.append((node, trail))
            depth += 1
        return CallPath(
            route,
            start.name,
            self.targets,
            bool(hits),
            tuple(self._with_lines(trail) for trail in hits[:MAX_PATHS]),
            "" if hits else self.incomplete,
            len(self.bodies),
            tuple(sorted(self.loaded)),
        )

    def _expand(
        self,
        node: _Node,
        trail: Trail,
        hits: list[Trail],
        following: list[tuple[_Node, Trail]],
        pending: list[_Pending],
    ) -> None:
        body = self._body(node)
        for call, cond in body.calls:
            target = self._target(node, call)
            if target:
                hop = Hop(node.path, node.name, target, node.path, "target", cond)
                hits.append((*trail, _Step(hop, call)))
                continue
            for callee in self._callees(node, call):
                hop = Hop(node.path, node.name, dotted(call.func), "", "call", cond)
                if isinstance(callee, _Node):
                    hop = Hop(hop.path, hop.caller, callee.name, callee.path, "call", cond)
                    following.append((callee, (*trail, _Step(hop, call))))
                else:
                    pending.append(_Pending(callee.path, callee.name, (*trail, _Step(hop, call))))
        for name in sorted(body.names & body.nested.keys()):
            for child, fn, cond in self._nested(node, name):
                hop = Hop(node.path, node.name, child.name, child.path, "closure", cond)
                following.append((child, (*trail, _Step(hop, fn))))

    def _resolve(self, pending: list[_Pending], hits: list[Trail]) -> list[tuple[_Node, Trail]]:
        """Read the modules pending names live in (a batch per round) and find their functions;
        a name that is a target under its canonical name goes to `hits`."""
        out: list[tuple[_Node, Trail]] = []
        while pending:
            self._load(p.path for p in pending)
            further: list[_Pending] = []
            for item in pending:
                settled = self._settle(item)
                if isinstance(settled, _Pending):
                    further.append(settled)
                elif isinstance(settled, _Hit):
                    *before, last = item.trail
                    hop = replace(last.hop, kind="target", callee_path=last.hop.path)
                    hits.append((*before, _Step(hop, last.node)))
                elif settled is not None:
                    *before, last = item.trail
                    hop = last.hop
                    done = Hop(
                        hop.path, hop.caller, settled.name, settled.path, "call", hop.conditional
                    )
                    out.append((settled, (*before, _Step(done, last.node))))
            pending = further
        return out

    def _with_lines(self, trail: Trail) -> tuple[Hop, ...]:
        hops = []
        for step in trail:
            hop = step.hop
            parsed = self.loaded[hop.path]
            owner = self.defs[_Node(hop.path, hop.caller)].owner
            if isinstance(step.node, cst.Call):
                line = parsed.line_of(owner, step.node)
            else:
                line = self._def_line(hop.path, owner, hop.callee[len(owner) + 1 :])
            hops.append(
                Hop(
                    hop.path,
                    hop.caller,
                    hop.callee,
                    hop.callee_path,
                    hop.kind,
                    hop.conditional,
                    line,
                )
            )
        return tuple(hops)


def find_call_path(
    parsed: ParsedModule,
    route: str,
    targets: Iterable[str],
    tree: SourceTree,
    *,
    within: str = "litellm/",
    max_hops: int = 8,
    max_modules: int = 40,
) -> CallPath:
    """Search from the handler of `route` in `parsed` for a call to any of `targets`."""
    handlers = sorted({r.handler for r in extract_routes(parsed, frozenset()).find(route)})
    if not handlers:
        raise FactsError(
            f"{parsed.path}: no handler registered for {route} (the search has no start)"
        )
    if len(handlers) > 1 or handlers[0] not in parsed.functions:
        raise FactsError(
            f"{parsed.path}: {route} is handled by {', '.join(handlers)}; expected one module function"
        )
    search = CallPathSearch(tree, targets, within, max_hops, max_modules)
    search.add_module(parsed)
    return search.search(_Node(parsed.path, handlers[0]), route)
