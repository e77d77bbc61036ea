"""Where did a tracked route or function go? A search of the upstream tree at the run's commit.

Upstream moves provider routes into their own modules; a claim whose route or entry function has
left its file should say where it went. The cache is a blobless partial clone, so every file read
is a fetch and a parse: listing paths is free (trees only), reading is not. So the search reads one
batch of candidates, best first, at most MAX_CANDIDATES: Python files in the original file's
directory, and files under its parent package (e.g. `litellm/proxy/`) whose file or directory
name shares a word with what is sought (the route's literal path segments, the handler's or the
function's name). For a route still missing after that, one more batch: the route modules
(`*endpoint*`, `*route*`) under the parent package, nearest first, at most MAX_SECOND_ROUND.
Test files are skipped. "Not found" therefore means "not in these candidates", and the evidence
says how many were read.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watcher.errors import WatcherError
from watcher.facts.interface import FactsError, RouteFact, SourceTree

if TYPE_CHECKING:  # claims import this module; libcst loads only when a search really runs
    from watcher.facts.parse import ParsedModule

MAX_CANDIDATES = 24
MAX_SECOND_ROUND = 48
_ROUTE_MODULE = re.compile(r"endpoint|route")
# Words too common in upstream paths and names to say anything about where a route went.
STOP_WORDS = {
    "api",
    "app",
    "common",
    "endpoint",
    "endpoints",
    "handler",
    "init",
    "litellm",
    "main",
    "path",
    "proxy",
    "py",
    "route",
    "routes",
    "router",
    "server",
    "types",
    "utils",
    "v1",
}
_WORD = re.compile(r"[a-z0-9]+")


def path_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1}


def route_words(route_path: str) -> set[str]:
    """`/anthropic/{endpoint:path}` -> {'anthropic'}: the literal segments, not the parameters."""
    literal = re.sub(r"\{[^}]*\}", " ", route_path)
    return path_words(literal)


def is_test(path: str) -> bool:
    """A test file (under tests/ or test/, or named test_*): never where upstream serves from."""
    parts = path.split("/")
    return any(p in {"tests", "test"} for p in parts) or parts[-1].startswith("test_")


def _in_scope(paths: Iterable[str], origin: str) -> Iterator[tuple[str, str, int]]:
    """(path, directory, depth difference) for non-test files under the origin's parent package."""
    here = posixpath.dirname(origin)
    scope = posixpath.dirname(here)
    for path in paths:
        if path == origin or is_test(path) or not path.startswith(scope + "/" if scope else ""):
            continue
        directory = posixpath.dirname(path)
        yield path, directory, abs(len(directory.split("/")) - len(here.split("/")))


def candidates(paths: Iterable[str], origin: str, sought: set[str]) -> list[str]:
    """Files worth reading first to find something that left `origin`, best first: the origin's
    directory, and files whose file or directory name shares a word with what is sought."""
    here = posixpath.dirname(origin)
    scored: list[tuple[int, int, str]] = []
    for path, directory, distance in _in_scope(paths, origin):
        shared = len(
            sought & path_words(posixpath.basename(directory) + " " + posixpath.basename(path))
        )
        if directory == here or shared:
            scored.append((-(shared * 2 + (directory == here)), distance, path))
    return [path for *_, path in sorted(scored)][:MAX_CANDIDATES]


def route_modules(paths: Iterable[str], origin: str, skip: Collection[str]) -> list[str]:
    """The second round for a route: files under the parent package whose name says they hold
    routes (`*endpoints*`, `*routes*`, `*router*`), nearest directories first. Routes are also
    merged into broader modules, where no name gives them away."""
    found = [
        (distance, path)
        for path, _, distance in _in_scope(paths, origin)
        if path not in skip and _ROUTE_MODULE.search(posixpath.basename(path))
    ]
    return [path for _, path in sorted(found)][:MAX_SECOND_ROUND]


@dataclass(frozen=True)
class RouteHit:
    """A tracked route found in another file: by its path, or (prefix added elsewhere) by its
    handler's name."""

    file: str
    route: RouteFact
    by: str


@dataclass(frozen=True)
class FunctionHit:
    file: str
    module: ParsedModule


@dataclass(frozen=True)
class Searched:
    """What a search read: how many candidate files, and why it could not read some."""

    files: tuple[str, ...]
    problem: str = ""

    def note(self) -> str:
        text = f"searched {len(self.files)} candidate file(s) near the original"
        return f"{text}; {self.problem}" if self.problem else text


@functools.lru_cache(maxsize=64)
def parse_text(path: str, text: str) -> ParsedModule:
    """A history walk searches the same candidate versions at many commits: parse each once
    (within the run's parse limits: candidates and scope files are upstream files too)."""
    from watcher.facts import parse_file

    return parse_file(path, "", text.encode("utf-8"))


# Routes per parsed candidate. Keyed by id(): the entry holds the module, so the id stays its own.
_ROUTES: dict[tuple[int, frozenset[str]], tuple[ParsedModule, tuple[RouteFact, ...]]] = {}


def _routes(module: ParsedModule, auth: frozenset[str]) -> tuple[RouteFact, ...]:
    from watcher.facts.routes import extract_routes

    key = (id(module), auth)
    if key not in _ROUTES:
        if len(_ROUTES) >= 256:
            _ROUTES.clear()
        _ROUTES[key] = (module, extract_routes(module, auth).routes)
    return _ROUTES[key][1]


def _read(
    tree: SourceTree, files: list[str], needles: Collection[str]
) -> tuple[dict[str, ParsedModule], str]:
    """Candidates that mention one of `needles`, parsed; and what went wrong, if anything.

    Texts come in one batch and only the files that mention what is sought are parsed (a parse
    costs ~50 ms, a substring test nothing); they are parsed here, not through `tree.modules`, so
    a search never counts among the files a run's facts depend on (history walks stay narrow).
    """
    try:
        texts = tree.texts(files)
    except WatcherError as exc:
        return {}, f"the tree could not be read: {exc}"
    parsed: dict[str, ParsedModule] = {}
    skipped = 0
    for path, text in texts.items():
        if text is None or not any(needle in text for needle in needles):
            continue
        try:
            parsed[path] = parse_text(path, text)
        except (FactsError, RecursionError):
            skipped += 1
    return parsed, f"{skipped} could not be parsed" if skipped else ""


def _listing(tree: SourceTree, origin: str) -> tuple[list[str], str]:
    # Only the origin's parent package: candidates never lie outside it (see _in_scope).
    scope = posixpath.dirname(posixpath.dirname(origin))
    try:
        return tree.paths(".py", scope), ""
    except WatcherError as exc:
        return [], f"the tree could not be listed: {exc}"


def find_routes(
    tree: SourceTree,
    origin: str,
    sought: Sequence[tuple[str, str]],
    auth: frozenset[str],
) -> tuple[dict[tuple[str, str], list[RouteHit]], Searched]:
    """For each (route path, handler name or '') that left `origin`, where it is registered now.
    Two rounds at most: named candidates, then route modules nearby if something is still missing."""
    keywords: set[str] = set()
    for route_path, handler in sought:
        keywords |= route_words(route_path) | path_words(handler)
    # A file that registers the route names its handler or a literal segment of its path.
    needles = {handler for _, handler in sought if handler}
    needles |= {f"/{word}" for route_path, _ in sought for word in route_words(route_path)}
    paths, problem = _listing(tree, origin)
    hits: dict[tuple[str, str], list[RouteHit]] = {key: [] for key in sought}
    read: list[str] = []
    for files in (candidates(paths, origin, keywords), None):
        if files is None:
            if all(hits.values()):
                break
            files = route_modules(paths, origin, set(read))
        modules, trouble = _read(tree, files, needles)
        read += files
        problem = problem or trouble
        for file in files:
            if file in modules:
                _match(file, modules[file], sought, auth, hits)
    return hits, Searched(tuple(read), problem)


def _match(
    file: str,
    module: ParsedModule,
    sought: Sequence[tuple[str, str]],
    auth: frozenset[str],
    hits: dict[tuple[str, str], list[RouteHit]],
) -> None:
    try:
        routes = _routes(module, auth)
    except (FactsError, RecursionError):
        return
    for route_path, handler in sought:
        found = [RouteHit(file, r, "path") for r in routes if r.path == route_path]
        if not found and handler:
            found = [RouteHit(file, r, "handler") for r in routes if r.handler == handler]
        hits[(route_path, handler)] += found


def find_function(tree: SourceTree, origin: str, name: str) -> tuple[FunctionHit | None, Searched]:
    """The first candidate file that defines a module-level function `name`."""
    paths, problem = _listing(tree, origin)
    files = candidates(paths, origin, path_words(name))
    modules, trouble = _read(tree, files, [f"def {name}("])
    searched = Searched(tuple(files), problem or trouble)
    for file in files:
        module = modules.get(file)
        if module is not None and name in module.functions:
            return FunctionHit(file, module), searched
    return None, searched
