"""Wire the stages for one card: upstream blobs -> facts -> claim verdicts. No side effects here.

Every failure below this point becomes an `Error` verdict on the claims it affects; nothing
raises past `check_card`, so the actions stage always sees one verdict per claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.claims import JSON, ClaimKind, Error, Extracted, FactRequest, Verdict
from watcher.config import CardConfig
from watcher.facts import EXTRACTORS, FactsError, ParsedModule, parse
from watcher.upstream import FileBlob, Upstream, UpstreamError


@dataclass(frozen=True)
class ClaimResult:
    claim: ClaimKind
    verdict: Verdict
    facts: JSON | None


@dataclass(frozen=True)
class CardResult:
    card: CardConfig
    commit: str | None
    blobs: Mapping[str, str]
    results: tuple[ClaimResult, ...]

    @property
    def status(self) -> str:
        statuses = {result.verdict.status for result in self.results}
        if "error" in statuses:
            return "error"
        return "drift" if "drift" in statuses else "verified"


def failed_card(
    card: CardConfig, claims: Sequence[ClaimKind], reason: str, commit: str | None = None
) -> CardResult:
    """Every claim of the card errors with the same reason (the upstream could not be read)."""
    return CardResult(card, commit, {}, tuple(ClaimResult(c, Error(reason), None) for c in claims))


def _extract(request: FactRequest, parsed: ParsedModule | str) -> Extracted:
    if isinstance(parsed, str):
        return Extracted(None, parsed)
    try:
        return Extracted(
            EXTRACTORS[request.extractor](parsed, dict(request.params)), None, parsed.blob_id
        )
    except FactsError as exc:
        return Extracted(None, str(exc), parsed.blob_id)
    except RecursionError:
        return Extracted(None, f"{request.path}: too deeply nested to analyse", parsed.blob_id)


def _parse_all(blobs: Mapping[str, FileBlob | None], commit: str) -> dict[str, ParsedModule | str]:
    parsed: dict[str, ParsedModule | str] = {}
    for path, blob in blobs.items():
        if blob is None:
            parsed[path] = f"{path}: no such file at {commit[:12]}"
            continue
        try:
            parsed[path] = parse(path, blob.blob_id, blob.data)
        except FactsError as exc:
            parsed[path] = str(exc)
        except RecursionError:
            parsed[path] = f"{path}: too deeply nested to parse"
    return parsed


def check_card(
    card: CardConfig,
    claims: Sequence[ClaimKind],
    upstream: Upstream,
    baseline: Mapping[str, JSON],
) -> CardResult:
    """Verdicts for every claim of a card at the commit the upstream's ref resolves to."""
    commit = upstream.resolve()
    requests = list(dict.fromkeys(r for claim in claims for r in claim.requests()))
    paths = list(dict.fromkeys(r.path for r in requests))
    try:
        blobs = upstream.read(commit, paths)
    except UpstreamError as exc:
        return failed_card(card, claims, str(exc), commit)
    parsed = _parse_all(blobs, commit)
    facts = {request: _extract(request, parsed[request.path]) for request in requests}
    results = []
    for claim in claims:
        verdict = claim.evaluate(facts, baseline.get(claim.id))
        results.append(ClaimResult(claim, verdict, claim.record(facts)))
    ids = {path: blob.blob_id for path, blob in blobs.items() if blob is not None}
    return CardResult(card, commit, ids, tuple(results))
