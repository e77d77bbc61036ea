"""Claim kind `assigned-from`: a module-level name is set from a call on a settings value.

The card: "`user_custom_auth` is populated at startup from `general_settings.custom_auth` via
`get_instance_fn()`". Holds when some assignment that reaches the module-level name (at module
level, or in a function that declares it `global`) calls `get_instance_fn` with an argument read
from `general_settings["custom_auth"]` (directly or through a local variable).
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
from watcher.facts import Assignments, SourceTree, to_json
from watcher.facts.interface import Assignment


def _where(item: Assignment) -> str:
    return f"in {item.function}" if item.function else "at module level"


class AssignedFrom(ClaimKind):
    """A module-level name is assigned from a given call on a given settings key."""

    kind: ClassVar[str] = "assigned-from"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "name": Param(str, "the module-level name, e.g. 'user_custom_auth'", required=True),
        "call": Param(
            str, "the function it is assigned from, e.g. 'get_instance_fn'", required=True
        ),
        "setting": Param(
            str, "the settings key read for its argument, e.g. 'custom_auth'", required=True
        ),
        "settings": Param(str, "the settings mapping's name", "general_settings"),
    }

    def request(self) -> FactRequest:
        return FactRequest(
            "assignments",
            file_of(self.config.source, self.values),
            (("name", self.values["name"]), ("settings", self.values["settings"])),
        )

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        return to_json(found) if isinstance(found, Assignments) else None

    def _matches(self, item: Assignment) -> bool:
        return item.call.rsplit(".", 1)[-1] == self.values["call"] and (
            self.values["setting"] in item.settings
        )

    def _source(self, item: Assignment) -> str:
        if not item.call:
            return item.value
        keys = ", ".join(repr(key) for key in item.settings) or "no key"
        return f"{item.value} (reads {self.values['settings']}[{keys}])"

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        found = extracted.facts
        if not isinstance(found, Assignments):
            return Error(extracted.error or f"{request.path}: no facts")
        diff = tuple(json_diff(baseline, self.record(facts))) if isinstance(baseline, dict) else ()
        name, call = self.values["name"], self.values["call"]
        wanted = f"{call}({self.values['settings']}[{self.values['setting']!r}])"
        calls = [item for item in found.assignments if item.call] or list(found.assignments)
        evidence = tuple(
            Evidence(request.path, item.line, f"{name} = {item.value or '?'} {_where(item)}")
            for item in calls
        )
        if not found.assignments:
            return Drift(f"{name} is never assigned in {request.path}", evidence, diff)
        good = [item for item in found.assignments if self._matches(item)]
        bound = [item for item in good if item.binds_global]
        if bound:
            return Pass(f"{name} = {wanted} {_where(bound[0])}", evidence, diff)
        if good:
            return Drift(
                f"{name} = {wanted} {_where(good[0])} sets a local: no `global {name}` there",
                evidence,
                diff,
            )
        seen = ", ".join(sorted({self._source(item) for item in calls if item.value})) or "nothing"
        return Drift(
            f"{name} is no longer assigned from {wanted}; assigned from: {seen}", evidence, diff
        )
