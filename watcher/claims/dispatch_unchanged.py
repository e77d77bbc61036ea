"""Claim kind `dispatch-unchanged`: the custom-auth dispatch is as the card states and as accepted.

When the entry function is no longer in its file, the rest of the tree is searched: found
elsewhere is drift (with the dispatch facts there), found nowhere is an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from watcher.claims.common import FILE_PARAM, file_is_gone, file_of, json_diff
from watcher.claims.expectation import dispatch_flow
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
from watcher.errors import WatcherError
from watcher.facts import DispatchChain, FactsError, SourceTree, to_json
from watcher.facts.locate import find_function


def summary(chain: DispatchChain) -> str:
    steps = [
        f"{b.call or b.guard}({', '.join(k + '=' for k in b.keywords)})" for b in chain.branches
    ]
    steps.append("LiteLLM checks" if chain.fallback == "litellm-checks" else "end")
    return " -> ".join(steps)


class DispatchUnchanged(ClaimKind):
    """The custom-auth dispatch reached from the entry function matches the card and the baseline."""

    kind: ClassVar[str] = "dispatch-unchanged"
    params: ClassVar[Mapping[str, Param]] = {
        "file": FILE_PARAM,
        "entry": Param(str, "the auth entry function", "user_api_key_auth"),
        "marker": Param(str, "a name the dispatch's guard tests", "user_custom_auth"),
        "flow": Param(str, "the card's heading over its dispatch sketch", "Dispatch Flow"),
        "order": Param(list, "the branch calls in order (when the card has no readable sketch)"),
        "call": Param(str, "the custom auth call the card describes", "user_custom_auth"),
        "keywords": Param(
            list, "keyword arguments the card says that call receives", ("request", "api_key")
        ),
    }

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        super().__init__(config, values)
        flow = dispatch_flow(config, values["flow"])
        stated = [key for key in ("order", "call", "keywords") if key in config.params]
        if flow is not None and stated:
            raise ClaimConfigError(
                f"{config.where}.{stated[0]}: {flow.origin} already states the dispatch "
                f"({' -> '.join(flow.order)}; await {flow.call}({', '.join(flow.keywords)})); "
                f"remove `{stated[0]}` (edit the block to change it)"
            )
        if flow is None and not values["order"]:
            raise ClaimConfigError(
                f"{config.where}.order: missing (the card has no block under "
                f"{values['flow']!r} that reads as an if/elif chain with one awaited call)"
            )
        self.flow_section = values["flow"] if flow else ""
        self.order = flow.order if flow else tuple(values["order"])
        self.call = flow.call if flow else str(values["call"])
        self.keywords = flow.keywords if flow else tuple(values["keywords"])

    def sections_read(self) -> tuple[str, ...]:
        return (self.flow_section,) if self.flow_section else ()

    def request(self) -> FactRequest:
        params = (("entry", self.values["entry"]), ("marker", self.values["marker"]))
        return FactRequest("dispatch", file_of(self.config.source, self.values), params)

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        chain = facts[self.request()].facts
        return to_json(chain) if chain is not None else None

    def _against_card(self, chain: DispatchChain) -> list[str]:
        problems: list[str] = []
        order = [b.call for b in chain.branches if b.guard != "else"]
        if order != list(self.order):
            problems.append(
                f"branch order is {' -> '.join(order)}, the card says {' -> '.join(self.order)}"
            )
        target = next((b for b in chain.branches if b.call == self.call), None)
        wanted = set(self.keywords)
        if target is not None and (not target.awaited or not wanted <= set(target.keywords)):
            got = ", ".join(k + "=" for k in target.keywords) or "no keywords"
            problems.append(
                f"{target.call} is {'awaited' if target.awaited else 'not awaited'} with {got}"
            )
        if chain.fallback != "litellm-checks":
            problems.append(
                "nothing follows the dispatch: LiteLLM's own checks are no longer after it"
            )
        return problems

    def _evidence(self, file: str, chain: DispatchChain) -> tuple[Evidence, ...]:
        where = " -> ".join(chain.via) or chain.entry
        return (
            Evidence(file, chain.line, f"dispatch in {where}"),
            *(
                Evidence(file, line, f"before the dispatch: {text}")
                for text, line in zip(chain.checks_before, chain.check_lines, strict=False)
            ),
            *(
                Evidence(
                    file,
                    b.line,
                    f"{b.guard}: {'await ' if b.awaited else ''}{b.call} ({b.outcome})",
                )
                for b in chain.branches
            ),
        )

    def _moved(self, reason: str, baseline: JSON | None, tree: SourceTree) -> Verdict:
        """The entry function is not in its file: drift if it is defined elsewhere, else error."""
        file, entry = self.request().path, self.values["entry"]
        hit, searched = find_function(tree, file, entry)
        if hit is None:
            return Error(f"{reason}; {entry}() not found elsewhere ({searched.note()})")
        try:
            from watcher.facts.dispatch import extract_dispatch  # libcst: only when it moved

            chain = extract_dispatch(hit.module, entry, self.values["marker"])
        except (FactsError, RecursionError) as exc:
            return Error(f"{reason}; {entry}() moved to {hit.file}, but there: {exc}")
        diff = tuple(json_diff(baseline, to_json(chain))) if isinstance(baseline, dict) else ()
        notes = self._against_card(chain)
        if isinstance(baseline, dict):
            notes.append(f"{len(diff)} change(s) against the baseline" if diff else "as accepted")
        return Drift(
            f"{reason}; {entry}() moved to {hit.file}: {summary(chain)} ({'; '.join(notes) or 'matches the card'})",
            self._evidence(hit.file, chain),
            diff,
        )

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        chain = extracted.facts
        if not isinstance(chain, DispatchChain):
            reason = extracted.error or f"{request.path}: no facts"
            if self._entry_gone(request.path, tree):
                return self._moved(reason, baseline, tree)
            return Error(reason)
        evidence = self._evidence(request.path, chain)
        diff = tuple(json_diff(baseline, to_json(chain))) if isinstance(baseline, dict) else ()
        problems = self._against_card(chain)
        if diff:
            problems.append(f"{len(diff)} change(s) against the accepted baseline")
        if problems:
            return Drift("; ".join(problems), evidence, diff)
        base = (
            "matches the accepted baseline"
            if baseline is not None
            else "no baseline yet; matches the card"
        )
        return Pass(f"{summary(chain)}; {base}", evidence)

    def _entry_gone(self, path: str, tree: SourceTree) -> bool:
        """The file is gone, or parses but no longer defines the entry function."""
        try:
            module = tree.modules([path])[path]
        except WatcherError:
            return False
        if not isinstance(module, str):
            return self.values["entry"] not in module.functions
        return file_is_gone(tree, path)
