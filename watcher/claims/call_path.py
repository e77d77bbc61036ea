"""Claim kind `no-call-path`: no call path from a route's handler reaches a target call.

The card says `async_pre_call_hook` does NOT fire on the `/anthropic` passthrough. A path from the
handler to `proxy_logging_obj.pre_call_hook` contradicts that; the evidence is the path, hop by
hop. Finding nothing is a pass only when the search was complete within its bounds.
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
from watcher.facts import CallPath, Hop, SourceTree, to_json


def describe(hop: Hop) -> str:
    where = "" if hop.callee_path == hop.path else f" in {hop.callee_path.rsplit('/', 1)[-1]}"
    when = " (under a condition)" if hop.conditional else ""
    if hop.kind == "closure":
        return f"{hop.caller} hands out the closure {hop.callee}{when}"
    return f"{hop.caller} calls {hop.callee}{where}{when}"


def summary(path: tuple[Hop, ...]) -> str:
    """`a -> b -> endpoint_func#2 -> c -> target`: a closure by its own name, the rest qualified."""
    names = [path[0].caller]
    names += [
        hop.callee.rsplit(".", 1)[-1] if hop.kind == "closure" else hop.callee for hop in path
    ]
    return " -> ".join(names)


class NoCallPath(ClaimKind):
    """No call path from a route's handler reaches a target call (followed across modules)."""

    kind: ClassVar[str] = "no-call-path"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "route": Param(str, "the route whose handler starts the search", required=True),
        "targets": Param(list, "calls that must not be reached, e.g. 'obj.method'", required=True),
        "within": Param(str, "follow calls into modules under this path prefix", "litellm/"),
        "max_hops": Param(int, "longest call chain searched", 16),
        "max_modules": Param(int, "most modules read in one search", 250),
    }

    def request(self) -> FactRequest:
        return FactRequest(
            "call-path",
            file_of(self.config.source, self.values),
            (
                ("route", self.values["route"]),
                ("targets", ",".join(self.values["targets"])),
                ("within", self.values["within"]),
                ("max_hops", str(self.values["max_hops"])),
                ("max_modules", str(self.values["max_modules"])),
            ),
        )

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        if not isinstance(found, CallPath) or (not found.reached and found.incomplete):
            return None
        return to_json(found)

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        extracted = facts[self.request()]
        found = extracted.facts
        if not isinstance(found, CallPath):
            return Error(extracted.error or f"{self.request().path}: no facts")
        diff = tuple(json_diff(baseline, self.record(facts))) if isinstance(baseline, dict) else ()
        targets = " or ".join(found.targets)
        searched = f"{found.functions} functions in {len(found.modules)} modules"
        where = f" [the route is now registered in {found.start_path}]" if found.start_path else ""
        if found.reached:
            evidence: list[Evidence] = []
            seen: set[Hop] = set()
            for number, path in enumerate(found.paths, 1):
                label = f"path {number}: " if len(found.paths) > 1 else ""
                selector = found.selectors[number - 1] if number <= len(found.selectors) else ""
                for hop in path:
                    if hop not in seen:  # paths share their first hops: list those once
                        seen.add(hop)
                        evidence.append(Evidence(hop.path, hop.line, label + describe(hop)))
                    if hop.kind == "closure" and selector:
                        evidence.append(
                            Evidence(hop.path, hop.line, f"{label}selected when {selector}")
                        )
                        selector = ""
            first = found.paths[0]
            count = f" (1 of {len(found.paths)} paths found)" if len(found.paths) > 1 else ""
            if count and found.selectors and "the path a URL target takes" in found.selectors[0]:
                count = f" (1 of {len(found.paths)} paths found: the one a URL target takes)"
            return Drift(
                f"{found.route} ({found.start}) reaches {first[-1].callee}{count}: {summary(first)}{where}",
                tuple(evidence),
                diff,
            )
        if found.incomplete:
            return Error(
                f"could not rule out a path from {found.start} to {targets}: {found.incomplete} "
                f"after {searched} (raise max_hops/max_modules){where}"
            )
        return Pass(
            f"no call path from {found.route} ({found.start}) reaches {targets} ({searched} searched){where}",
            (),
            diff,
        )
