"""Routes in scope: every route registered in the files a set of path globs covers.

"Every passthrough route is authenticated" is about the passthrough package, not one file:
upstream moves provider routes into their own modules (`anthropic_passthrough_endpoints.py`)
and adds new ones there. The scope is a list of globs (`*` within a path segment, `**` across
segments), by default the package of the cited file and its subpackages.

Listing is free (trees only); reading is a blob fetch. So every file in scope is read as text in
one batch, and only the files that look like they register routes (a route decorator, an
`APIRouter(`/`FastAPI(`, an `add_api_route` call) are parsed. A file that looks like it registers
routes and does not parse is `unreadable`: a claim on the scope cannot be decided while one is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from watcher.facts.interface import FactsError, RouteInventory, RouteScope, ScopedRoute, SourceTree
from watcher.facts.locate import is_test
from watcher.facts.parse import ParsedModule
from watcher.facts.reach import Reach, ReachFinder
from watcher.facts.routes import extract_routes
from watcher.facts.symbols import module_file

# Cheap text test for "may register routes"; the parse decides.
_REGISTERS = re.compile(
    r"@\s*[A-Za-z_][\w.]*\.(?:api_route|get|post|put|delete|patch|options|head|trace|websocket)\s*\("
    r"|\b(?:add_api_route|add_api_websocket_route|add_websocket_route|APIRouter|FastAPI)\s*\("
)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """`a/**/*.py` -> matches `a/x.py` and `a/b/x.py`; `*` never crosses a `/`."""
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:[^/]+/)*")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out))


def glob_root(pattern: str) -> str:
    """The directory a glob lists under: its segments before the first wildcard."""
    parts = pattern.split("/")
    fixed: list[str] = []
    for part in parts[:-1]:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def files_in_scope(
    tree: SourceTree, include: Sequence[str], exclude: Sequence[str] = ()
) -> list[str]:
    """Non-test Python files the globs cover, sorted (one tree listing per glob root)."""
    wanted = [glob_regex(p) for p in include]
    unwanted = [glob_regex(p) for p in exclude]
    found: set[str] = set()
    for root in dict.fromkeys(glob_root(p) for p in include):
        for path in tree.paths(".py", root):
            if is_test(path) or not any(r.fullmatch(path) for r in wanted):
                continue
            if not any(r.fullmatch(path) for r in unwanted):
                found.add(path)
    return sorted(found)


def _parsed(path: str, text: str) -> ParsedModule | str:
    """Parsed once per file version in a process (a history walk meets the same versions at many
    commits); the reason when it does not parse."""
    from watcher.facts.locate import parse_text

    try:
        return parse_text(path, text)
    except (FactsError, RecursionError) as exc:
        return str(exc) if isinstance(exc, FactsError) else f"{path}: too deeply nested to parse"


def scan_scope(
    tree: SourceTree,
    auth: frozenset[str],
    include: Sequence[str],
    exclude: Sequence[str] = (),
    known: dict[str, ParsedModule] | None = None,
) -> RouteScope:
    """Every route the files in scope register. `known` are modules already parsed (the cited
    file): they are not read again."""
    files = files_in_scope(tree, include, exclude)
    known = dict(known or {})
    texts = tree.texts([path for path in files if path not in known])
    modules: dict[str, ParsedModule | str] = dict(known)
    for path, text in texts.items():
        if text and _REGISTERS.search(text):
            modules[path] = _parsed(path, text)
    routes: list[ScopedRoute] = []
    dynamic: list[ScopedRoute] = []
    unreadable: list[str] = []
    calls: list[str] = []
    with_routes: list[str] = []
    external = ExternalDependencies(tree, auth)
    for path in sorted(modules):
        module = modules[path]
        if path not in files:
            continue
        if isinstance(module, str):
            unreadable.append(module)
            continue
        try:
            inventory = _inventory(module, auth, external)
        except (FactsError, RecursionError) as exc:
            unreadable.append(f"{path}: {exc}")
            continue
        if inventory.routes or inventory.dynamic:
            with_routes.append(path)
        routes += [ScopedRoute(path, route) for route in inventory.routes]
        dynamic += [ScopedRoute(path, route) for route in inventory.dynamic]
        calls += [f"{path}: {call}" for call in inventory.router_calls]
    return RouteScope(
        tuple(include),
        tuple(sorted(routes, key=lambda r: (r.route.path, r.file, r.route.methods))),
        tuple(sorted(dynamic, key=lambda r: (r.file, r.route.path))),
        tuple(with_routes),
        tuple(unreadable),
        tuple(calls),
    )


# Route inventories per parsed module (kept with the module: ids stay theirs while they live) and
# the external modules they consulted; reused only when those resolved the same way.
_INVENTORIES: dict[tuple[int, frozenset[str]], tuple[ParsedModule, RouteInventory]] = {}


def _inventory(
    module: ParsedModule, auth: frozenset[str], external: ExternalDependencies
) -> RouteInventory:
    key = (id(module), auth)
    hit = _INVENTORIES.get(key)
    if hit is not None:
        return hit[1]
    before = external.calls
    inventory = extract_routes(module, auth, external)
    if external.calls == before:  # nothing outside the module decided it: safe to reuse
        if len(_INVENTORIES) >= 256:
            _INVENTORIES.clear()
        _INVENTORIES[key] = (module, inventory)
    return inventory


class ExternalDependencies:
    """Dependencies imported from other modules of the upstream package (`litellm.`), followed
    one module away: what the named function reaches there. Read through the run's tree, so the
    scope's facts depend on those files too."""

    def __init__(self, tree: SourceTree, auth: frozenset[str]) -> None:
        self.tree = tree
        self.auth = auth
        self._listed: dict[str, frozenset[str]] = {}
        self._finders: dict[str, ReachFinder | None] = {}
        self.calls = 0

    def _locate(self, origin: str) -> tuple[str, str] | None:
        """(file, name) of a dotted origin; lists only the directories it could live in (a
        listing of the whole package would change, and void the cache, with every new file)."""
        parts = origin.split(".")
        for cut in range(len(parts) - 1, 2, -1):  # never list the package root: too broad
            directory = "/".join(parts[: cut - 1])
            if directory not in self._listed:
                self._listed[directory] = frozenset(self.tree.paths(".py", directory))
            found = module_file(".".join(parts[:cut]) + ".x", self._listed[directory])
            if found is not None:
                return found[0], ".".join(parts[cut:])
        return None

    def __call__(self, origin: str) -> Reach | None:
        self.calls += 1
        located = self._locate(origin)
        if located is None:
            return None
        path, name = located
        if path not in self._finders:
            module = self.tree.modules([path])[path]
            self._finders[path] = (
                None if isinstance(module, str) else ReachFinder(module, self.auth, defining=True)
            )
        finder = self._finders[path]
        return finder.function(name) if finder is not None else None
