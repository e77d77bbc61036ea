"""Run one claim kind on facts extracted from in-memory sources, the way the orchestrator does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from watcher.claims import ClaimKind, Extracted, FactRequest, Verdict, build_claim
from watcher.config import ClaimConfig
from watcher.facts import EXTRACTORS, FactsError, ParsedModule, parse_file


class NoTree:
    """A SourceTree with nothing beyond the claim's own file."""

    commit = "0" * 40

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        return {path: f"{path}: not in this test's tree" for path in paths}

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        return []

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return dict.fromkeys(paths)

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return dict.fromkeys(paths)


def claim(kind: str, source: str, **params: object) -> ClaimKind:
    config = ClaimConfig("test-claim", kind, source, "claims[0]", MappingProxyType(params))
    return build_claim(config)


def judge(kind_claim: ClaimKind, text: str) -> Verdict:
    """Extract the claim's facts from `text` (as its file) and evaluate them."""
    facts: dict[FactRequest, Extracted] = {}
    for request in kind_claim.requests():
        try:
            parsed = parse_file(request.path, "blob", text.encode())
            found = EXTRACTORS[request.extractor](parsed, dict(request.params), NoTree())
            facts[request] = Extracted(found, None, "blob")
        except FactsError as exc:
            facts[request] = Extracted(None, str(exc))
    return kind_claim.evaluate(facts, None, NoTree())
