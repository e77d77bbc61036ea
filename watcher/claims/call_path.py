"""Claim kind `call-path`: a route's handler reaches (YES) or never reaches (NO) a target call.

The answer comes from the card's cell (Hook Coverage: does `async_pre_call_hook` fire on the
`/anthropic` passthrough?) or, for a claim bound to no such cell, from `reaches` in watcher.toml.
The evidence of a path found is the path, hop by hop. "No path" is an answer only when the search
was complete within its bounds; otherwise the claim is an error, whatever the card says.
`no-call-path` is the older spelling of `call-path` with `reaches = false`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from watcher.claims.common import FILE_PARAM, file_of, json_diff
from watcher.claims.expectation import Expectation, expectation
from watcher.claims.interface import (
    JSON,
    ClaimConfigError,
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
from watcher.config import ClaimConfig
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


_SEARCH_PARAMS: Mapping[str, Param] = {
    "file": FILE_PARAM,
    "route": Param(str, "the route whose handler starts the search", required=True),
    "targets": Param(list, "the calls looked for, e.g. 'obj.method'", required=True),
    "within": Param(str, "follow calls into modules under this path prefix", "litellm/"),
    "max_hops": Param(int, "longest call chain searched", 16),
    "max_modules": Param(int, "most modules read in one search", 250),
}


class CallPathClaim(ClaimKind):
    """A route's handler reaches a target call (YES) or never does (NO), followed across modules."""

    kind: ClassVar[str] = "call-path"
    params: ClassVar[Mapping[str, Param]] = {
        **_SEARCH_PARAMS,
        "reaches": Param(
            bool, "must the route reach a target? (only when the claim covers no YES/NO cell)"
        ),
    }

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        super().__init__(config, values)
        self.expected = self.expect()

    def expect(self) -> Expectation:
        return expectation(self.config, "reaches", self.values["reaches"])

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
        says = f"; {self.expected.origin} says {self.expected.word}"
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
            message = f"{found.route} ({found.start}) reaches {first[-1].callee}{count}: {summary(first)}{where}"
            if self.expected.answer:
                return Pass(message, tuple(evidence), diff)
            return Drift(message + says, tuple(evidence), diff)
        if found.incomplete:
            return Error(
                f"could not rule out a path from {found.start} to {targets}: {found.incomplete} "
                f"after {searched} (raise max_hops/max_modules){where}"
            )
        message = f"no call path from {found.route} ({found.start}) reaches {targets} ({searched} searched){where}"
        if self.expected.answer:
            return Drift(message + says, (), diff)
        return Pass(message, (), diff)


class NoCallPath(CallPathClaim):
    """No call path from a route's handler reaches a target call (`call-path` with reaches = false)."""

    kind: ClassVar[str] = "no-call-path"
    params: ClassVar[Mapping[str, Param]] = _SEARCH_PARAMS

    def expect(self) -> Expectation:
        # The kind's name states the answer: a YES/NO cell would be a second place for it.
        if self.config.cells:
            ref, text = self.config.cells[0]
            raise ClaimConfigError(
                f"{self.config.where}.kind: 'no-call-path' states the answer (NO) and so does the "
                f'card\'s cell {ref} ({text.strip()}); use kind = "call-path" so the cell decides'
            )
        return Expectation(False, "the claim kind no-call-path")
