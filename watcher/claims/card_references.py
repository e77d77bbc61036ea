"""Claim kind `card-references`: what the card names upstream still exists, as the card uses it.

Built for every card from the card itself (watcher.toml needs no entry): imports and calls in its
Python blocks, setting keys in its YAML blocks, backticked code names and paths. Judged against
the accepted baseline, one reference at a time:

- resolved at the baseline and now gone (or a call keyword no longer accepted): drift, naming
  where the card says it;
- never resolved: listed as unresolved, neither a pass nor an alarm;
- resolved now in another module than the one chosen at accept: passes, with a note.

A row of the Sources table is held back by a reference that did not pass when the reference was
found (at the baseline) in that row's file; a claim that could not look at all holds every row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

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
from watcher.config import ClaimConfig
from watcher.errors import WatcherError
from watcher.facts import ReferenceFacts, Resolution, SourceTree

ID = "card-references"
MAX_LISTED = 5  # references named in a verdict's message; the evidence lists every one


@dataclass(frozen=True)
class Outcome:
    """One reference judged: `status` is resolved, unresolved, drift or error."""

    key: str
    status: str
    note: str
    path: str = ""
    line: int = 0


def _where(entry: Mapping[str, Any] | None) -> str:
    return str(entry.get("path", "")) if isinstance(entry, Mapping) else ""


def judge(
    resolution: Resolution | None,
    key: str,
    base: Mapping[str, Any] | None,
    missing: tuple[str, ...] = (),
) -> Outcome:
    """One reference against its baseline entry (None: no baseline, or new in the card)."""
    was = isinstance(base, Mapping) and base.get("status") == "resolved"
    pinned = _where(base)
    if resolution is None or resolution.problem:
        why = resolution.problem if resolution else "not looked up"
        return Outcome(key, "error", f"could not be looked up: {why}")
    if not resolution.found:
        if was and pinned in missing:
            note = f"cannot tell: it was in {pinned}, a cited file no longer in the tree"
            return Outcome(key, "error", note, pinned)
        if was:
            return Outcome(key, "drift", f"no longer defined upstream (was in {pinned})", pinned)
        return Outcome(key, "unresolved", "not found upstream")
    hit = next((f for f in resolution.found if f.path == pinned), resolution.found[0])
    if resolution.rejected:
        words = ", ".join(f"{w}=" for w in resolution.rejected)
        note = f"the signature at {hit.path}:{hit.line} does not accept {words}"
        if key.startswith("callback "):
            note = f"upstream calls it with {words} ({hit.path}:{hit.line}); the card's function takes no such parameter"
        return Outcome(key, "drift" if was else "unresolved", note, hit.path, hit.line)
    moved = f" (was in {pinned})" if was and pinned and hit.path != pinned else ""
    return Outcome(
        key, "resolved", f"{hit.kind} in {hit.path}:{hit.line}{moved}", hit.path, hit.line
    )


class CardReferences(ClaimKind):
    """The card's code names, imports, calls, settings and paths still resolve upstream."""

    kind: ClassVar[str] = ID
    params: ClassVar[Mapping[str, Param]] = {
        "refs": Param(str, "the card's references (JSON; built from the card)", required=True),
        "seeds": Param(list, "upstream files the search starts in (the cited ones)", ()),
        "modules": Param(list, "upstream modules the card's code imports", ()),
        "rows": Param(list, "'path<TAB>Sources row' for the cited files", ()),
    }

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        super().__init__(config, values)
        self.refs: list[dict[str, Any]] = json.loads(values["refs"])
        self.rows = dict(line.split("\t", 1) for line in values["rows"])

    def described_params(self) -> tuple[tuple[str, object], ...]:
        kinds: dict[str, int] = {}
        for ref in self.refs:
            kinds[ref["kind"]] = kinds.get(ref["kind"], 0) + 1
        read = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        return (
            ("references", f"{len(self.refs)} read from the card ({read})"),
            ("seeds", self.values["seeds"]),
        )

    def request(self) -> FactRequest:
        specs = [{k: ref[k] for k in ("key", "kind", "target", "keywords")} for ref in self.refs]
        return FactRequest(
            "references",
            self.values["seeds"][0],
            (
                ("refs", json.dumps(specs, sort_keys=True)),
                ("seeds", "\n".join(self.values["seeds"])),
                ("modules", "\n".join(self.values["modules"])),
            ),
        )

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        found = facts[self.request()].facts
        if not isinstance(found, ReferenceFacts):
            return None
        return {"references": {o.key: self._entry(o) for o in self.outcomes(found, {})}}

    @staticmethod
    def _entry(outcome: Outcome) -> JSON:
        status = "resolved" if outcome.status == "resolved" else "unresolved"
        return {"status": status, "path": outcome.path} if outcome.path else {"status": status}

    @staticmethod
    def accepted(baseline: JSON | None) -> Mapping[str, Any]:
        """Each reference's entry in the accepted baseline, by key."""
        entries = baseline.get("references", {}) if isinstance(baseline, Mapping) else {}
        return entries if isinstance(entries, Mapping) else {}

    def outcomes(self, found: ReferenceFacts, base: Mapping[str, Any]) -> list[Outcome]:
        return [
            judge(found.get(ref["key"]), ref["key"], base.get(ref["key"]), found.missing)
            for ref in self.refs
        ]

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        extracted = facts[self.request()]
        found = extracted.facts
        if not isinstance(found, ReferenceFacts):
            rows = tuple((row, "error") for row in self.rows.values())
            return Error(extracted.error or "references: no facts", rows=rows)
        base = self.accepted(baseline)
        outcomes = [self._recheck(o, tree) for o in self.outcomes(found, base)]
        places = {ref["key"]: ref.get("places", []) for ref in self.refs}
        rows = self._rows(outcomes, base)
        items = tuple((o.key, o.status) for o in outcomes)
        bad = [o for o in outcomes if o.status in {"drift", "error"}]
        # A drift issue shows what no longer holds; a pass shows where every reference resolved.
        evidence = tuple(
            Evidence(o.path, o.line, f"{o.key}: {o.status}: {o.note}")
            for o in (bad or outcomes)
            if o.path
        )
        lines = [f"{o.key} ({'; '.join(places[o.key][:2])}): {o.note}" for o in bad[:MAX_LISTED]]
        lines += [f"and {len(bad) - MAX_LISTED} more"] if len(bad) > MAX_LISTED else []
        resolved = sum(1 for o in outcomes if o.status == "resolved")
        unresolved = sum(1 for o in outcomes if o.status == "unresolved")
        counts = (
            f"{resolved} of {len(outcomes)} references resolve upstream, {unresolved} unresolved"
        )
        if any(o.status == "error" for o in bad):
            why = f"{counts}; could not check: " + " | ".join(lines)
            return Error(why, evidence, rows=rows, items=items)
        if bad:
            diff = tuple(f"- {o.key}" for o in bad)
            why = f"{counts}; no longer true: " + " | ".join(lines)
            return Drift(why, evidence, diff, rows, items)
        return Pass(f"{counts} (listed by `watcher coverage`)", evidence, rows=rows, items=items)

    def _recheck(self, outcome: Outcome, tree: SourceTree) -> Outcome:
        """A name no longer found from the cited files is looked up where it was at accept: the
        search follows the cited files' imports, and those change (an import moved into a
        function) while the definition the card means stays put. Only then is it drift."""
        if outcome.status != "drift" or not outcome.note.startswith("no longer defined"):
            return outcome
        from watcher.facts.references import ReferenceSpec, Resolver  # libcst: only on a drift

        ref = next(r for r in self.refs if r["key"] == outcome.key)
        spec = ReferenceSpec(ref["key"], ref["kind"], ref["target"], tuple(ref["keywords"]))
        try:
            again = Resolver(tree, [outcome.path]).resolve(spec, ())
        except WatcherError:
            return outcome
        hit = next((f for f in again.found if f.path == outcome.path), None)
        if hit is None or again.rejected:
            return outcome
        note = f"{hit.kind} in {hit.path}:{hit.line} (where it was at accept; the cited files no longer lead there)"
        return Outcome(outcome.key, "resolved", note, hit.path, hit.line)

    def _rows(
        self, outcomes: list[Outcome], base: Mapping[str, Any]
    ) -> tuple[tuple[str, str], ...]:
        """Each cited row with the worst status among the references found in its file."""
        status: dict[str, str] = {}
        rank = {"pass": 0, "drift": 1, "error": 2}
        for outcome in outcomes:
            paths = {outcome.path, _where(base.get(outcome.key))} - {""}
            verdict = {"drift": "drift", "error": "error"}.get(outcome.status, "pass")
            for path in paths:
                row = self.rows.get(path)
                if row is not None and rank[verdict] >= rank[status.get(row, "pass")]:
                    status[row] = verdict
        return tuple(status.items())
