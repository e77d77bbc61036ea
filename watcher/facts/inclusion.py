"""Is a route served by the app that app-level middleware wraps? (the `router-included` facts)

The route is looked up in the claim's file, else where the relocation search of the route claims
finds it (`locate.find_routes`: upstream moves routes into modules of their own). Each
registration's object (`router = APIRouter()` in that module, or the app itself) is then looked
for among the routers the app file includes into the app (`app_wiring.py`).
"""

from __future__ import annotations

import contextlib

from watcher.facts.app_wiring import AppWiring, Include, read_wiring
from watcher.facts.interface import FactsError, Inclusion, RouterInclusion, SourceTree
from watcher.facts.parse import ParsedModule
from watcher.facts.registrations import Registration, Registrations
from watcher.facts.symbols import module_name


def _registrations(parsed: ParsedModule, route: str) -> list[Registration]:
    """One registration per object the route is registered on (GET and POST stacked on one
    router are one registration), in source order."""
    found: dict[str, Registration] = {}
    for reg in Registrations(parsed).all():
        if reg.path != route or reg.dynamic:
            continue
        if reg.router not in found or reg.line < found[reg.router].line:
            found[reg.router] = reg
    return sorted(found.values(), key=lambda reg: reg.line)


def _module(tree: SourceTree, path: str, why: str) -> ParsedModule:
    module = tree.modules([path])[path]
    if isinstance(module, str):
        raise FactsError(f"{path} ({why}) could not be read: {module}")
    return module


def _relocated(parsed: ParsedModule, route: str, tree: SourceTree) -> list[ParsedModule]:
    from watcher.facts.locate import find_routes

    hits, searched = find_routes(tree, parsed.path, [(route, "")], frozenset())
    files = sorted({hit.file for hit in hits[(route, "")]})
    if not files:
        raise FactsError(
            f"{parsed.path}: {route} is registered neither here nor elsewhere "
            f"({searched.note()}): nothing to look for in the app"
        )
    return [_module(tree, file, f"where {route} is registered now") for file in files]


def _names(app_module: ParsedModule, identity: str) -> str:
    """The name the app file knows a router by (`anthropic_router`), '' when it does not."""
    if identity == f"{module_name(app_module.path)}.{identity.rsplit('.', 1)[-1]}":
        return identity.rsplit(".", 1)[-1]
    names = app_module.imports.names
    return next((local for local in sorted(names) if names[local] == identity), "")


def _judge(
    file: str, reg: Registration, wiring: AppWiring, app_module: ParsedModule, app: str
) -> Inclusion:
    app_file = app_module.path
    if file == app_file and reg.router == app:
        return Inclusion(
            file, app, True, "registered on the app", False, line=reg.line, route_line=reg.line
        )
    identity = f"{module_name(file)}.{reg.router}"
    matches: list[Include] = [inc for inc in wiring.includes if inc.origin == identity]
    if not matches or not reg.router:
        # An include of it that never runs is worth naming: "never included" is then no typo.
        dormant = [inc for inc in wiring.dormant if inc.origin == identity]
        via, line = (dormant[0].via, dormant[0].line) if dormant else ((), 0)
        return Inclusion(
            file,
            reg.router,
            False,
            "never included",
            False,
            alias=_names(app_module, identity),
            via=via,
            line=line,
            route_line=reg.line,
        )
    best = min(matches, key=lambda inc: (inc.conditional, bool(inc.via), inc.line))
    return Inclusion(
        file,
        reg.router,
        True,
        "included",
        best.conditional,
        best.prefix,
        alias=best.written,
        via=best.via,
        line=best.line,
        route_line=reg.line,
    )


def find_inclusion(
    parsed: ParsedModule, route: str, app_file: str, app: str, tree: SourceTree
) -> RouterInclusion:
    """Where `route` is registered (in `parsed`, else where it went) and whether each of those
    objects is included into `app` of `app_file`. FactsError when the app file cannot be read,
    binds no app, or the route is registered nowhere searched: never "not included"."""
    modules, found_in = [parsed], ""
    if not _registrations(parsed, route):
        modules = _relocated(parsed, route, tree)
        found_in = ", ".join(module.path for module in modules)
    app_module = parsed if parsed.path == app_file else _module(tree, app_file, "the app file")
    wiring = read_wiring(app_module, app)

    def judged(sources: list[ParsedModule]) -> list[Inclusion]:
        return [
            _judge(module.path, reg, wiring, app_module, app)
            for module in sources
            for reg in _registrations(module, route)
        ]

    inclusions = judged(modules)
    if not found_in and not any(inc.included for inc in inclusions):
        # The app may serve the route from another module now (upstream registers provider
        # routes in modules of their own and includes those): the question is about the route.
        # Registered nowhere else (FactsError): the file's own registration is the answer.
        with contextlib.suppress(FactsError):
            inclusions += judged(_relocated(parsed, route, tree))
    return RouterInclusion(
        route,
        app_file,
        app,
        tuple(inclusions),
        tuple(sorted({name for name, _ in wiring.middleware})),
        tuple(sorted({inc.written for inc in wiring.includes if not inc.origin})),
        wiring.handed_to,
        tuple(line for _, line in wiring.middleware),
        found_in,
    )
