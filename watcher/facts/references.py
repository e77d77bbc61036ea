"""Resolve a card's references in the upstream tree: where each named thing is defined.

The search starts in the files the card cites (its Sources rows) and the modules its Python
blocks import, and follows imports from there (a re-export, `x = SomeClass(...)` then `x.method`),
a few hops at most. Every definition found is reported, in search order; which one the card
means is the claim's decision (kept in the snapshot at accept), not the extractor's.
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from watcher.facts.definitions import ClassInfo, ModuleIndex, Signature, index_module
from watcher.facts.interface import Location, ReferenceFacts, Resolution, SourceTree
from watcher.facts.parse import ParsedModule

MAX_HOPS = 4
# Module indexes by path and blob id, kept across runs in one process: a history walk re-runs the
# search at every commit, and most of the files it reads are the same version as the last time.
MAX_SEEN = 64
_SEEN: OrderedDict[str, ModuleIndex] = OrderedDict()
# Bases that end a class's keyword search: what they accept is known (nothing more for object
# and Exception's keywords; pydantic and TypedDict take exactly the declared fields).
_ROOTS = {"object", "Exception", "BaseException", "BaseModel", "TypedDict", "Enum", "str", "int"}


@dataclass(frozen=True)
class ReferenceSpec:
    key: str
    kind: str
    target: str
    keywords: tuple[str, ...] = ()


class _Unreadable(Exception):
    """A file the search must read could not be parsed: the reference cannot be decided."""


class Resolver:
    def __init__(self, tree: SourceTree, seeds: Sequence[str]) -> None:
        self.tree = tree
        self.seeds = list(seeds)
        self._indexes: dict[str, ModuleIndex | None] = {}
        self.searched: list[str] = []

    def index(self, path: str) -> ModuleIndex | None:
        """The module at `path` (None: no such file); _Unreadable when it cannot be parsed."""
        if path not in self._indexes:
            blob = self.tree.blob_ids([path]).get(path)  # no read: the size limit applies below
            key = f"{path}\0{blob}"
            if blob is None:
                self._indexes[path] = None
            elif key in _SEEN:  # this version was indexed earlier in the process (a history walk)
                _SEEN.move_to_end(key)
                self._indexes[path] = _SEEN[key]
            else:
                parsed = self.tree.modules([path])[path]
                if not isinstance(parsed, ParsedModule):
                    raise _Unreadable(f"{path}: {parsed}")
                index = index_module(parsed)
                if index is None:
                    raise _Unreadable(f"{path}: syntax newer than this Python reads")
                self._indexes[path] = _SEEN[key] = index
                while len(_SEEN) > MAX_SEEN:
                    _SEEN.popitem(last=False)
            self.searched.append(path)
        return self._indexes[path]

    def module(self, dotted: str) -> str | None:
        stem = dotted.replace(".", "/")
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if self.index(candidate) is not None:
                return candidate
        return None

    def split(self, dotted: str) -> tuple[str, str] | None:
        """(`a/b.py`, `f.g`) for `a.b.f.g`: the longest module prefix, and the rest."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            path = self.module(".".join(parts[:cut]))
            if path is not None:
                return path, ".".join(parts[cut:])
        return None

    # -- names ---------------------------------------------------------------------------------

    def in_module(self, path: str, name: str, hops: int = 0) -> Location | None:
        """Where `name` (dotted: `Class.method`, `var.method`) is defined, starting in `path`."""
        index = self.index(path)
        if index is None or hops > MAX_HOPS:
            return None
        head, _, rest = name.partition(".")
        if head in index.imports and not index.defines(head):
            origin = index.imports[head]
            found = self.split(origin)
            if found is None:
                module = self.module(origin)
                if module is None and not rest:  # from a package outside the upstream
                    return Location(path, 0, f"import from {origin.rsplit('.', 1)[0]}")
                return self.in_module(module, rest, hops + 1) if module and rest else None
            target = f"{found[1]}.{rest}" if rest else found[1]
            return self.in_module(found[0], target, hops + 1)
        line = index.defines(head)
        if not line:
            return None
        if not rest:
            kind = "function" if head in index.functions else "class"
            kind = "variable" if head in index.variables else kind
            return Location(path, line, kind)
        if head in index.classes:
            return self.member(path, index.classes[head], rest, hops)
        if head in index.variables and index.variables[head][1]:  # x = SomeClass(...)
            cls = self.find_class(path, index.variables[head][1], hops + 1)
            return self.member(cls[0], cls[1], rest, hops) if cls else None
        return None

    def find_class(self, path: str, name: str, hops: int) -> tuple[str, ClassInfo] | None:
        """The class `name` (as written in `path`, maybe imported) and the file defining it."""
        index = self.index(path)
        if index is None or hops > MAX_HOPS:
            return None
        head, _, rest = name.partition(".")
        if not rest and name in index.classes:
            return path, index.classes[name]
        origin = index.imports.get(head)
        if origin is None:
            return None
        found = self.split(f"{origin}.{rest}" if rest else origin)
        return self.find_class(found[0], found[1], hops + 1) if found else None

    def member(self, path: str, cls: ClassInfo, name: str, hops: int) -> Location | None:
        """A method or field of `cls` (or of a base class it inherits it from)."""
        if "." in name or hops > MAX_HOPS:
            return None
        if name in cls.methods:
            return Location(path, cls.methods[name][0], "method")
        if name in cls.fields:
            return Location(path, cls.fields[name], "field")
        for base in cls.bases:
            found = self.find_class(path, base, hops + 1)
            if found is not None:
                hit = self.member(found[0], found[1], name, hops + 1)
                if hit is not None:
                    return hit
        return None

    def accepts(self, path: str, cls: ClassInfo, hops: int = 0) -> Signature:
        """The keywords a class takes when called: its (inherited) `__init__`, else its fields."""
        if cls.init is not None:
            return cls.init
        params: list[str] = list(cls.fields)
        for base in cls.bases:
            found = self.find_class(path, base, hops + 1) if hops < MAX_HOPS else None
            if found is None:
                if base.split(".")[-1] not in _ROOTS:
                    return Signature(tuple(params), open=True)  # cannot tell: accept anything
                continue
            inherited = self.accepts(found[0], found[1], hops + 1)
            if inherited.open or found[1].init is not None:
                return Signature((*params, *inherited.params), inherited.open)
            params.extend(p for p in inherited.params if p not in params)
        return Signature(tuple(params))

    def signature_of(self, location: Location, name: str) -> Signature | None:
        index = self.index(location.path)
        if index is None:
            return None
        last = name.split(".")[-1]
        if location.kind == "function" and last in index.functions:
            return index.functions[last][1]
        if location.kind == "class" and last in index.classes:
            return self.accepts(location.path, index.classes[last])
        if location.kind == "method":
            for cls in index.classes.values():
                if cls.methods.get(last, (0,))[0] == location.line:
                    return cls.methods[last][1]
        return None

    # -- one reference ------------------------------------------------------------------------

    def resolve(self, spec: ReferenceSpec, modules: Sequence[str]) -> Resolution:
        try:
            if spec.kind == "callback":  # every keyword upstream passes must be a parameter
                found, passed = self._callback(spec, modules)
                return Resolution(spec.key, found, tuple(sorted(passed - set(spec.keywords))))
            found = self._find(spec, modules)
        except _Unreadable as exc:
            return Resolution(spec.key, (), problem=str(exc))
        rejected: tuple[str, ...] = ()
        if spec.kind == "call" and found:
            name = spec.target.partition(":")[2] or spec.target
            sig = self.signature_of(found[0], name)
            if sig is not None and not sig.open:
                rejected = tuple(k for k in spec.keywords if k not in sig.params)
        return Resolution(spec.key, found, rejected)

    def _find(self, spec: ReferenceSpec, modules: Sequence[str]) -> tuple[Location, ...]:
        if spec.kind == "path":
            return self._path(spec.target)
        if spec.kind == "module":
            path = self.module(spec.target)
            return (Location(path, 0, "module"),) if path else ()
        if ":" in spec.target:  # import, or a call of an imported name
            module, _, name = spec.target.partition(":")
            path = self.module(module)
            hit = self.in_module(path, name) if path else None
            if hit is None and path is not None:
                index = self.index(path)
                if index is not None and name in index.imports:  # re-export of something outside
                    return (Location(path, 0, "re-export"),)
            return (hit,) if hit else ()
        if spec.kind == "value":  # the key path is read, and the word too, where the key is
            path, _, word = spec.target.partition("=")
            keys = [self._setting(key, modules) for key in path.split(".")]
            files = {loc.path for loc in keys[-1]} if all(keys) else set()
            values = self._setting(word, modules) if files else ()
            return tuple(loc for loc in values if loc.path in files)
        if spec.kind == "setting":  # every key of the path is read upstream, the leaf's place
            keys = [self._setting(key, modules) for key in spec.target.split(".")]
            return keys[-1] if all(keys) else ()
        return self._name(spec.target, modules)

    def _everywhere(self, modules: Sequence[str]) -> list[str]:
        paths = list(self.seeds)
        for module in modules:
            path = self.module(module)
            if path is not None and path not in paths:
                paths.append(path)
        return paths

    def _name(self, name: str, modules: Sequence[str]) -> tuple[Location, ...]:
        found: list[Location] = []
        for path in self._everywhere(modules):
            hit = self.in_module(path, name)
            if hit is not None and hit not in found:
                found.append(hit)
        if not found and "." not in name:  # a method named alone: `pre_call_hook`
            for path in self._everywhere(modules):
                index = self.index(path)
                for cls in index.classes.values() if index else ():
                    if name in cls.methods:
                        found.append(Location(path, cls.methods[name][0], "method"))
        # A settings key named as code (`custom_auth`, `general_settings.custom_auth`): read as a
        # string upstream. Only for names with an underscore: `data` or `mode` is in every file.
        head, _, rest = name.partition(".")
        if not found and "_" in name.split(".")[-1] and (not rest or self._name(head, modules)):
            found.extend(self._setting(name.split(".")[-1], modules))
        return tuple(found)

    def _callback(
        self, spec: ReferenceSpec, modules: Sequence[str]
    ) -> tuple[tuple[Location, ...], set[str]]:
        """Where upstream calls the function a setting names (the global loaded from the key,
        then each call of it in any searched file), and the keywords those calls pass."""
        key = spec.target.split(".")[-1]
        paths = self._everywhere(modules)
        names = {
            index.loaded[key][0]
            for index in (self.index(p) for p in paths)
            if index is not None and key in index.loaded
        }
        found: list[Location] = []
        passed: set[str] = set()
        for path in paths:
            index = self.index(path)
            for name in sorted(names):
                for line, words, _ in index.calls.get(name, []) if index else ():
                    found.append(Location(path, line, f"call of {name}"))
                    passed.update(words)
        return tuple(found), passed

    def _setting(self, key: str, modules: Sequence[str]) -> tuple[Location, ...]:
        found: list[Location] = []
        for path in self._everywhere(modules):
            index = self.index(path)
            if index is None:
                continue
            if key in index.strings:
                found.append(Location(path, index.strings[key], "setting"))
            for cls in index.classes.values():
                if key in cls.fields:
                    found.append(Location(path, cls.fields[key], "field"))
        return tuple(found)

    def _path(self, target: str) -> tuple[Location, ...]:
        if "/" in target:
            candidates = [target]
        else:  # a bare file name: next to the files the card cites
            candidates = list(
                dict.fromkeys(posixpath.join(posixpath.dirname(s), target) for s in self.seeds)
            )
        ids = self.tree.blob_ids(candidates)
        return tuple(Location(path, 0, "file") for path in candidates if ids.get(path) is not None)


def resolve_references(
    tree: SourceTree, seeds: Sequence[str], modules: Sequence[str], specs: Iterable[ReferenceSpec]
) -> ReferenceFacts:
    """Qualified references first (imports, dotted names, paths); the files they resolve in are
    then searched for the bare names too: a card that says `proxy_logging_obj.pre_call_hook`
    and later just `pre_call_hook` means the same method."""
    specs = list(specs)
    ids = tree.blob_ids(list(seeds))
    # A cited file that is gone is left out of the search (the claims bound to it say where it
    # went); a reference that was found in it is then an error, not a drift.
    missing = tuple(path for path in seeds if ids.get(path) is None)
    resolver = Resolver(tree, [path for path in seeds if path not in missing])
    try:
        for path in resolver.seeds:
            resolver.index(path)
    except _Unreadable as exc:  # the search cannot start where the card's sources are
        problem = tuple(Resolution(s.key, (), problem=str(exc)) for s in specs)
        return ReferenceFacts(problem, missing=missing)
    results = {s.key: resolver.resolve(s, modules) for s in specs if _qualified(s)}
    extra = (loc.path for r in results.values() for loc in r.found if loc.path.endswith(".py"))
    resolver.seeds.extend(p for p in dict.fromkeys(extra) if p not in resolver.seeds)
    results.update({s.key: resolver.resolve(s, modules) for s in specs if not _qualified(s)})
    resolutions = tuple(results[s.key] for s in specs)
    return ReferenceFacts(resolutions, tuple(resolver.searched), missing)


def _qualified(spec: ReferenceSpec) -> bool:
    return spec.kind in {"path", "import", "module"} or "." in spec.target or ":" in spec.target
