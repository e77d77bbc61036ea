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
    alias = f" (as {inc.alias})" if inc.alias and inc.alias != inc.router else ""
    prefix = f" with prefix {inc.prefix!r}" if inc.prefix else ""
    where = f", in {', '.join(inc.via)}(), which runs with the app" if inc.via else ""
    when = ", under a condition" if inc.conditional else ""
    return (
        f"`{inc.router}` of {inc.file} is included into `{found.app}`{alias}{prefix} "
        f"at {found.app_file}:{inc.line}{where}{when}"
    )


def _why_not(found: RouterInclusion, inc: Inclusion) -> str:
    notes: list[str] = []
    if inc.alias:  # the statement that would make it served
        notes.append(
            "it defines it" if inc.file == found.app_file else f"it imports it as {inc.alias}"
        )
    if inc.via:  # an include that never runs
        notes.append(
            f"its include_router at line {inc.line} sits in {', '.join(inc.via)}(), which "
            "nothing runs"
        )
    elif inc.alias:
        notes.append(f"no `{found.app}.include_router({inc.alias})` runs")
    return (
        f"{found.route} is registered on `{inc.router}` in {inc.file}, which {found.app_file} "
        f"never includes into `{found.app}`" + (f" ({'; '.join(notes)})" if notes else "")
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
        if any(inc.included for inc in found.registrations):
            return _served(found, evidence, moved, diff)
        return _not_served(found, evidence, moved, diff)


def _served(
    found: RouterInclusion, evidence: list[Evidence], moved: str, diff: tuple[str, ...]
) -> Verdict:
    included = [inc for inc in found.registrations if inc.included]
    evidence += [
        Evidence(found.app_file, inc.line, _how(found, inc))
        for inc in included
        if inc.how != "registered on the app"  # its registration is the evidence
    ]
    evidence += [
        Evidence(found.app_file, line, "app-level middleware") for line in found.middleware_lines
    ]
    wrapped = ", ".join(found.middleware) or f"none added in {found.app_file}"
    idle = "".join(
        f" [also registered on `{inc.router}` in {inc.file}, which is not included]"
        for inc in found.registrations
        if not inc.included
    )
    message = f"{found.route}: {_how(found, included[0])}; app-level middleware: {wrapped}"
    return Pass(message + moved + idle, tuple(evidence), diff)


def _not_served(
    found: RouterInclusion, evidence: list[Evidence], moved: str, diff: tuple[str, ...]
) -> Verdict:
    """Drift, unless the app file has includes or hand-offs the analysis cannot follow: then
    "never included" is not an answer, and the claim is an error."""
    missing = "; ".join(_why_not(found, inc) for inc in found.registrations)
    evidence += [
        Evidence(found.app_file, inc.line, f"include of `{inc.router}` that never runs")
        for inc in found.registrations
        if inc.via
    ]
    unknown = [f"include_router({u})" for u in found.unresolved]
    unknown += [f"the app handed to {callee}" for callee in found.handed_to]
    if unknown:
        return Error(
            f"{missing}, but the app file also has what the analysis cannot follow "
            f"({', '.join(unknown)}): cannot rule an include in or out{moved}",
            tuple(evidence),
            diff,
        )
    return Drift(f"{missing}: app-level middleware does not wrap it{moved}", tuple(evidence), diff)
