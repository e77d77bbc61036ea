"""Claim kind `dispatch-unchanged`: the custom-auth dispatch is as the card states and as accepted."""

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
from watcher.facts import DispatchChain, SourceTree, to_json


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
        "order": Param(list, "the branch calls in the order the card states", required=True),
        "call": Param(str, "the custom auth call the card describes", "user_custom_auth"),
        "keywords": Param(
            list, "keyword arguments the card says that call receives", ("request", "api_key")
        ),
    }

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
        if order != list(self.values["order"]):
            problems.append(
                f"branch order is {' -> '.join(order)}, the card says {' -> '.join(self.values['order'])}"
            )
        target = next((b for b in chain.branches if b.call == self.values["call"]), None)
        wanted = set(self.values["keywords"])
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

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        request = self.request()
        extracted = facts[request]
        chain = extracted.facts
        if not isinstance(chain, DispatchChain):
            return Error(extracted.error or f"{request.path}: no facts")
        where = " -> ".join(chain.via) or chain.entry
        evidence = (
            Evidence(request.path, chain.line, f"dispatch in {where}"),
            *(
                Evidence(
                    request.path,
                    b.line,
                    f"{b.guard}: {'await ' if b.awaited else ''}{b.call} ({b.outcome})",
                )
                for b in chain.branches
            ),
        )
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
