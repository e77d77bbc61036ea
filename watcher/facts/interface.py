"""The facts stage's contract: normalized facts extracted from one module's syntax tree.

Rule of the stage: a field declared with `compare=False` is *evidence* (a line number, the helper a
body lives in), never a fact. Two extractions are "the same facts" when they compare equal, so a
reformat, a comment or a move into a helper never changes them, and `to_json` drops evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from watcher.facts.parse import ParsedModule

from watcher.errors import WatcherError


class FactsError(WatcherError):
    """A file could not be analysed: not UTF-8, does not parse, or the entry point is missing."""


class SourceTree(Protocol):
    """The upstream tree at the run's commit, for analyses that reach beyond their own file.

    Reads are batched and cached: a path is fetched and parsed at most once per run. A value that
    is a `str` is the reason the path could not be had (missing, not UTF-8, does not parse).
    """

    commit: str

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]: ...

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        """Every file path at the commit that ends with `suffix`, below directory `under` if given
        (tree only: no blob is fetched)."""
        ...

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        """Files' text (None: no such file, or not UTF-8), read in one batch and NOT parsed, and not
        counted among the files the run's facts depend on: for cheap searches (where did it go?)."""
        ...

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        """Files' blob ids (None: no such file), from the tree alone: no blob is read."""
        ...


@dataclass(frozen=True)
class AuthFact:
    """How a route handler authenticates.

    status: `authenticated` (always reaches an accepted auth function before it runs),
    `conditional` (only on some paths, or through a dependency that is only sometimes there),
    `other` (a different auth-looking dependency, named in `function`), `unknown` (the handler is
    not defined in this module, so only router/decorator dependencies could be seen), or `none`.
    mechanism: `depends`, `security`, `annotated`, `decorator`, `router`, `await`, `helper`
    (then `via` names the module helpers, outermost first), or `unawaited` (status `none`: the
    auth coroutine is created but never awaited, so it checks nothing).
    """

    status: str
    mechanism: str
    function: str
    via: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RouteFact:
    path: str
    methods: tuple[str, ...]
    handler: str
    auth: AuthFact
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RouteInventory:
    """Every HTTP/websocket route a module registers, sorted by path.

    `dynamic` holds registrations whose path is computed at run time (a factory or a loop calling
    `add_api_route(path=config.route_prefix, ...)`): they are reported with the auth of their
    endpoint or of the dependencies passed, never judged as a route with a pseudo-path.
    `router_calls` (evidence) names module calls that receive a router after its routes are
    declared (`mark_provider_pass_through_routes(router)`): they are not followed.
    """

    routes: tuple[RouteFact, ...]
    dynamic: tuple[RouteFact, ...] = ()
    router_calls: tuple[str, ...] = field(default=(), compare=False)

    def find(self, path: str) -> list[RouteFact]:
        return [route for route in self.routes if route.path == path]


@dataclass(frozen=True)
class ScopedRoute:
    """A route and the file that registers it."""

    file: str
    route: RouteFact


@dataclass(frozen=True)
class RouteScope:
    """Every route registered in the files a claim's scope covers (path globs), sorted by path
    then file. `files` (evidence) are the files in scope that register routes; `unreadable` the
    files in scope that look like they register routes but could not be parsed (a claim on this
    scope cannot be decided while there are any)."""

    scope: tuple[str, ...]
    routes: tuple[ScopedRoute, ...]
    dynamic: tuple[ScopedRoute, ...] = ()
    files: tuple[str, ...] = field(default=(), compare=False)
    unreadable: tuple[str, ...] = field(default=(), compare=False)
    router_calls: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class DispatchBranch:
    """One arm of the custom-auth if/elif chain.

    outcome: `returns` (always leaves the auth function), `falls-through` (never does), or
    `may-fall-through` (returns on some paths, continues to the next step on others); a branch
    that can fall through is qualified with what it hands on, e.g.
    `may-fall-through (replaces api_key)`. `arguments` tells
    `api_key=api_key` from `api_key=passed_in_key`.
    """

    guard: str
    call: str
    awaited: bool
    keywords: tuple[str, ...]
    positional: int
    outcome: str
    line: int = field(default=0, compare=False)
    # What is passed: positional values, then `keyword=value`, locals written by their
    # definition (facts/render.py) so a rename reads the same. Added after `line`: keyword only.
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class DispatchChain:
    """The custom-auth dispatch reached from the entry function.

    `checks_before` are LiteLLM checks that run before the dispatch (a check moved in front of
    custom auth is drift; the rule is in facts/checks.py); `fallback` says what runs when no
    branch returns. `via` (the functions on the way to the dispatch), `line` and `check_lines`
    (one per entry of `checks_before`) are evidence.
    """

    entry: str
    checks_before: tuple[str, ...]
    branches: tuple[DispatchBranch, ...]
    fallback: str
    via: tuple[str, ...] = field(default=(), compare=False)
    line: int = field(default=0, compare=False)
    check_lines: tuple[int, ...] = field(default=(), compare=False)


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
    """What a search found. `paths` reach a target, hop by hop: the shortest, and paths through other closures a factory hands out, found a few calls further (the one a route really takes first);
    `incomplete` says why a search that found nothing cannot rule a path out."""

    route: str
    start: str
    targets: tuple[str, ...]
    reached: bool
    paths: tuple[tuple[Hop, ...], ...]
    incomplete: str = field(default="", compare=False)
    functions: int = field(default=0, compare=False)
    modules: tuple[str, ...] = field(default=(), compare=False)
    # Where the search started, when the route is no longer registered in the claim's file
    # (found by the same relocation search the route claims use); '' when it is still there.
    start_path: str = field(default="", compare=False)
    # What selects each path, one line per path (the branch or handler a closure sits under).
    selectors: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Inclusion:
    """One registration of a route and whether the app serves it: the object it is registered on
    (`router` in `file`, or the app itself) is included into the app (`app.include_router(...)`
    in the app file, at module level or in a helper the app is handed to).

    `how` says which: `registered on the app`, `included`, or `never included`; `prefix` is the
    include's `prefix=` (the route is then served under it). Where the include sits (a helper's
    name), the name the app file imports the router as, and the lines are evidence."""

    file: str
    router: str
    included: bool
    how: str
    conditional: bool
    prefix: str = ""
    alias: str = field(default="", compare=False)
    via: tuple[str, ...] = field(default=(), compare=False)
    line: int = field(default=0, compare=False)
    route_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RouterInclusion:
    """Is a route served by the app object that app-level middleware wraps? One `Inclusion` per
    registration of the route (the claim's file first; where the relocation search finds it when
    it left). `middleware` are what the app file adds to the app (`add_middleware(X)`,
    `@app.middleware("http")`): facts, not a requirement. `unresolved` are include calls on the app
    whose router could not be resolved, and `handed_to` the code outside the app file's own
    functions that is given the app (a lazy-loading middleware may include routers): while the
    route's router is not found among the includes, either keeps "never included" from being
    an answer."""

    route: str
    app_file: str
    app: str
    registrations: tuple[Inclusion, ...]
    middleware: tuple[str, ...]
    unresolved: tuple[str, ...] = ()
    handed_to: tuple[str, ...] = ()
    middleware_lines: tuple[int, ...] = field(default=(), compare=False)
    found_in: str = field(default="", compare=False)


@dataclass(frozen=True)
class Assignment:
    """One assignment to the watched name. `call` is the resolved callee of the assigned value
    ('' when it is not a call); `settings` are the settings keys its arguments are read from."""

    call: str
    settings: tuple[str, ...]
    binds_global: bool
    function: str = field(default="", compare=False)  # where it sits ('' at module level)
    value: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Assignments:
    name: str
    settings_object: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True)
class PageFacts:
    """A page as fetched: status after redirects, and which of the wanted phrases it contains."""

    url: str
    status: int
    mentions: tuple[str, ...]
    missing: tuple[str, ...]
    final_url: str = field(default="", compare=False)
    truncated: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Location:
    """Where a name the card mentions is defined: `kind` is function, class, method, field,
    variable, module, re-export, setting (a string literal or settings field) or file."""

    path: str
    line: int = field(compare=False)
    kind: str


@dataclass(frozen=True)
class Resolution:
    """One card reference looked up: every definition found (search order), the call keywords
    its signature does not accept, or why it could not be looked up."""

    key: str
    found: tuple[Location, ...]
    rejected: tuple[str, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class ReferenceFacts:
    resolutions: tuple[Resolution, ...]
    searched: tuple[str, ...] = field(default=(), compare=False)
    missing: tuple[str, ...] = ()  # cited files not in the tree (left out of the search)

    def get(self, key: str) -> Resolution | None:
        return next((r for r in self.resolutions if r.key == key), None)


def to_json(value: Any) -> Any:
    """Facts as plain JSON data, evidence (compare=False fields) left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        }
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    return value
