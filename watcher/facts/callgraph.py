"""The upstream's call graph, built lazily: which functions a call may reach, across modules.

A call goes to a function of the same module (methods through `self`/`cls`, a class name or a
module-level instance), to a function imported from a module of the tree (aliases, relative
imports and re-exports resolved), or to a nested function of an enclosing scope. A name that
lives in a module not read yet is a `Lookup`, settled once the module is read (in batches, by
the caller). Anything that stops the graph from being complete (a module of the package missing
from the tree or not parsing, the module limit) is kept in `incomplete`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from watcher.facts.callsites import FunctionBody, scan_function
from watcher.facts.interface import SourceTree
from watcher.facts.parse import ParsedModule, assigned_values, dotted
from watcher.facts.symbols import absolute, instances, module_file, module_name, nested_def_line

MAX_REEXPORTS = 4


@dataclass(frozen=True)
class Node:
    """A function: 'f', 'Class.method', 'f.inner', 'f.inner#2' (a second def of that name)."""

    path: str
    name: str


@dataclass(frozen=True)
class Lookup:
    """A name to find in a module that may not be read yet."""

    path: str
    name: str
    reexports: int = 0


@dataclass(frozen=True)
class Hit:
    """A looked-up name that is a target under its canonical name (an alias re-exported)."""


@dataclass(frozen=True)
class _Def:
    fn: cst.FunctionDef
    owner: str  # the module-level function or method it sits in: lines are indexed by it
    cls: str  # the class of a method (or of the method a closure sits in), else ''
    scopes: tuple[Node, ...]  # enclosing functions, innermost first: a closure sees their names


def _twin(name: str, index: int) -> str:
    return f"{name}#{index + 1}" if index else name


class CallGraph:
    def __init__(
        self, tree: SourceTree, targets: Iterable[str], within: str, max_modules: int
    ) -> None:
        self.tree = tree
        self.targets = tuple(targets)
        self.max_modules = max_modules
        listing = tree.paths(".py", within.rstrip("/"))
        self.files = frozenset(path for path in listing if path.startswith(within))
        self.package = within.strip("/").replace("/", ".")
        self.loaded: dict[str, ParsedModule] = {}
        self.bodies: dict[Node, FunctionBody] = {}
        self.incomplete = ""
        self._defs: dict[Node, _Def] = {}
        self._instances: dict[str, dict[str, tuple[str, bool]]] = {}
        self._ast: dict[str, ast.Module] = {}

    def _incomplete(self, why: str) -> None:
        self.incomplete = self.incomplete or why  # the first reason is the one to fix first

    # --- modules ---------------------------------------------------------------------------
    def add(self, parsed: ParsedModule) -> None:
        self.loaded[parsed.path] = parsed
        for name, fn in parsed.functions.items():
            cls = name.rsplit(".", 1)[0] if "." in name else ""
            self._defs[Node(parsed.path, name)] = _Def(fn, name, cls, ())

    def load(self, paths: Iterable[str]) -> None:
        """Read and parse, in one batch, the modules not read yet (up to the module limit)."""
        wanted = sorted({p for p in paths if p not in self.loaded})
        room = max(self.max_modules - len(self.loaded), 0)
        if len(wanted) > room:
            more = len(wanted) - room
            self._incomplete(f"module limit reached ({self.max_modules} read, {more} more needed)")
            wanted = wanted[:room]
        if wanted:
            for parsed in self.tree.modules(wanted).values():
                if isinstance(parsed, str):
                    self._incomplete(f"could not read a module on the way: {parsed}")
                else:
                    self.add(parsed)

    def _ours(self, origin: str) -> bool:
        """A name from the package the search covers (not a third-party import)."""
        return origin == self.package or origin.startswith(self.package + ".")

    # --- one function ----------------------------------------------------------------------
    def body(self, node: Node) -> FunctionBody:
        body = self.bodies.get(node)
        if body is None:
            parent = self._defs[node]
            body = self.bodies[node] = scan_function(parent.fn)
            for name, twins in body.nested.items():
                for index, (fn, _) in enumerate(twins):
                    child = Node(node.path, f"{node.name}.{_twin(name, index)}")
                    self._defs[child] = _Def(fn, parent.owner, parent.cls, (node, *parent.scopes))
        return body

    def nested(self, node: Node, name: str) -> list[tuple[Node, cst.FunctionDef, bool]]:
        twins = self.body(node).nested.get(name, [])
        return [
            (Node(node.path, f"{node.name}.{_twin(name, i)}"), fn, cond)
            for i, (fn, cond) in enumerate(twins)
        ]

    def matches(self, name: str) -> bool:
        return any(name == t or name.endswith("." + t) for t in self.targets)

    def target(self, node: Node, call: cst.Call) -> str:
        """The call as written when it is a target call, else ''."""
        raw = dotted(call.func)
        if not raw:
            return ""
        candidates = {raw, absolute(self.loaded[node.path].imports.resolve(call.func), node.path)}
        head, _, rest = raw.partition(".")
        cls = self._defs[node].cls
        if head in {"self", "cls"} and cls and rest:
            candidates.add(f"{cls}.{rest}")
        return raw if any(self.matches(c) for c in candidates) else ""

    def callees(self, node: Node, call: cst.Call) -> list[Node | Lookup]:
        """Where a call may go: functions known now, or names to find once their module is read."""
        raw = dotted(call.func)
        head, _, rest = raw.partition(".")
        if not raw:
            return []
        info = self._defs[node]
        if not rest:
            for scope in (node, *info.scopes):
                if found := self.nested(scope, head):
                    return [child for child, _, _ in found]
        imports = self.loaded[node.path].imports
        if head in {"self", "cls"}:
            return [Lookup(node.path, f"{info.cls}.{rest}")] if info.cls and rest else []
        if rest and (made := self._local_instance(node, head)):
            # `x = ProxyBaseLLMRequestProcessing(data=data)` then `await x.method(...)`.
            raw = f"{made}.{rest}"
            head = made.partition(".")[0]
        if head not in imports.names:
            return [Lookup(node.path, raw)]
        origin = absolute(imports.resolve_name(raw), node.path)
        located = module_file(origin, self.files)
        if located is None and self._ours(origin):
            self._incomplete(
                f"{node.path}: {node.name} calls {origin}, whose module is not in the tree"
            )
        return [Lookup(*located)] if located else []

    def _local_instance(self, node: Node, name: str) -> str:
        """What a local variable holds when its only assignment in the function is a call of a
        dotted name (`x = Cls(...)`, or `x: Final = Cls(...)` as upstream writes locals now): that
        name, so `x.method` is looked up as `Cls.method`. A name assigned more than once, or from
        anything else, is not followed ('')."""
        values = assigned_values(self._defs[node].fn, name)
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return ""
        return dotted(values[0].func)

    def settle(self, lookup: Lookup) -> Node | Lookup | Hit | None:
        """A name in a module that has been read: its function, where to look next, a target,
        or None (a value, a third-party name, or a module that could not be read)."""
        parsed = self.loaded.get(lookup.path)
        if parsed is None:
            return None
        name = lookup.name
        if self.matches(f"{module_name(lookup.path)}.{name}"):
            return Hit()
        for candidate in (name, f"{name}.__init__"):
            if candidate in parsed.functions:
                return Node(lookup.path, candidate)
        if lookup.reexports >= MAX_REEXPORTS:
            self._incomplete(f"{lookup.path}: {name} is re-exported too often")
            return None
        head, _, rest = name.partition(".")
        if head in parsed.imports.names:  # re-exported, or a method of an imported class
            origin = absolute(parsed.imports.names[head], lookup.path)
            imported = True
        elif rest and head in (found := self._instances_of(lookup.path)):
            origin, imported = found[head]  # a method of a module-level instance
            origin = absolute(origin, lookup.path)
        else:
            return None
        full = f"{origin}.{rest}" if rest else origin
        if self.matches(full):
            return Hit()
        located = module_file(full, self.files) if imported else (lookup.path, full)
        if located is None and self._ours(origin):
            self._incomplete(
                f"{lookup.path}: {name} comes from {origin}, whose module is not in the tree"
            )
        if located is None or located == (lookup.path, name):
            return None
        return Lookup(located[0], located[1], lookup.reexports + 1)

    def _instances_of(self, path: str) -> dict[str, tuple[str, bool]]:
        if path not in self._instances:
            self._instances[path] = instances(self.loaded[path])
        return self._instances[path]

    # --- evidence --------------------------------------------------------------------------
    def line(self, caller: Node, at: cst.CSTNode, callee: str) -> int:
        """Line of a call made by `caller`, or of the nested def `callee` it hands out."""
        owner = self._defs[caller].owner
        parsed = self.loaded[caller.path]
        if isinstance(at, cst.Call):
            return parsed.line_of(owner, at)
        if caller.path not in self._ast:  # the line index knows module-level functions only
            self._ast[caller.path] = ast.parse(parsed.module.code)
        return nested_def_line(self._ast[caller.path], owner, callee[len(owner) + 1 :])
