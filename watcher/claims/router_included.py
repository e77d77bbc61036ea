"""Claim kind `router-included`: a route is served by the app object app-level middleware wraps.

The card's "FastAPI BaseHTTPMiddleware fires on /v1/messages" holds when the router `/v1/messages`
is registered on is included into proxy_server.py's `app` (or the route is registered on the app
itself): `app.add_middleware(...)` wraps only what the app serves. A router that is never included
is drift naming the route, its router and its file. An app file that is missing, does not parse
or binds no app, a route registered nowhere, or an include the analysis cannot resolve while the
route's router is not found among the others: error, never a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from watcher.claims.common import FILE_PARAM, file_of, json_diff
from watcher.claims.interface import (
    JSON,
    ClaimKind,
    Drift,
    Error,
    Evidence,
    Extracted,
    FactRequest,
    Param,
    Pass,
    Verdict,
)
from watcher.facts import Inclusion, RouterInclusion, SourceTree, to_json


def _how(found: RouterInclusion, inc: Inclusion) -> str:
    if inc.how == "registered on the app":
        return f"registered on `{found.app}` itself in {inc.file}"
    where = f" in {', '.join(inc.via)}(...), which is handed the app" if inc.via else ""
    alias = f" (as {inc.alias})" if inc.alias and inc.alias != inc.router else ""
    prefix = f" with prefix {inc.prefix!r}" if inc.prefix else ""
    when = " under a condition" if inc.conditional else ""
    return (
        f"`{inc.router}` of {inc.file} is included into `{found.app}`{alias}{prefix}{where}{when} "
        f"at {found.app_file}:{inc.line}"
    )


class RouterIncluded(ClaimKind):
    """A route's router is included into the app that app-level middleware wraps."""

    kind: ClassVar[str] = "router-included"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "route": Param(str, "the route path, e.g. '/v1/messages'", required=True),
        "app_file": Param(str, "the module that creates the app", "litellm/proxy/proxy_server.py"),
        "app": Param(str, "the app's variable in app_file", "app"),
    }

    def request(self) -> FactRequest:
        return FactRequest(
            "router-included",
            file_of(self.config.source, self.values),
            (
                ("route", self.values["route"]),
                ("app_file", self.values["app_file"]),
                ("app", self.values["app"]),
            ),
        )

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        return to_json(found) if isinstance(found, RouterInclusion) else None

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        extracted = facts[self.request()]
        found = extracted.facts
        if not isinstance(found, RouterInclusion):
            return Error(extracted.error or f"{self.request().path}: no facts")
        diff = tuple(json_diff(baseline, self.record(facts))) if isinstance(baseline, dict) else ()
        moved = f" [the route is now registered in {found.found_in}]" if found.found_in else ""
        evidence = [
            Evidence(inc.file, inc.route_line, f"{found.route} registered on `{inc.router}`")
            for inc in found.registrations
        ]
        included = [inc for inc in found.registrations if inc.included]
        if included:
            evidence += [Evidence(found.app_file, i.line, _how(found, i)) for i in included]
            wrapped = ", ".join(found.middleware) or f"none added in {found.app_file}"
            evidence += [
                Evidence(found.app_file, line, "app-level middleware")
                for line in found.middleware_lines
            ]
            return Pass(
                f"{found.route}: {_how(found, included[0])}; app-level middleware: {wrapped}{moved}",
                tuple(evidence),
                diff,
            )
        missing = "; ".join(
            f"{found.route} is registered on `{inc.router}` in {inc.file}, which "
            f"{found.app_file} never includes into `{found.app}`"
            for inc in found.registrations
        )
        if found.unresolved:
            return Error(
                f"{missing}, but {len(found.unresolved)} include(s) there could not be resolved "
                f"({', '.join(found.unresolved)}): cannot rule it in or out{moved}",
                tuple(evidence),
                diff,
            )
        return Drift(
            f"{missing} (no {found.app}.include_router of it): app-level middleware does not "
            f"wrap it{moved}",
            tuple(evidence),
            diff,
        )
