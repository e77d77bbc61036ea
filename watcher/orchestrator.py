"""Wire the stages for one card: upstream blobs -> facts -> claim verdicts. Reads only: upstream
blobs and, for probe facts (a cited web page), one GET each; nothing is written here.

Every failure below this point becomes an `Error` verdict on the claims it affects; nothing
raises past `check_card`, so the actions stage always sees one verdict per claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.claims import JSON, ClaimKind, Error, Extracted, FactRequest, Verdict
from watcher.config import CardConfig
from watcher.facts import EXTRACTORS, PROBES, FactsError, ParsedModule, parse
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


class RunTree:
    """The upstream tree at this run's commit: batched reads, each path parsed at most once."""

    def __init__(self, upstream: Upstream, commit: str) -> None:
        self.upstream = upstream
        self.commit = commit
        self.blobs: dict[str, FileBlob | None] = {}
        self._parsed: dict[str, ParsedModule | str] = {}
        self._listing: dict[str, list[str]] = {}

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        wanted = [path for path in dict.fromkeys(paths) if path not in self._parsed]
        if wanted:
            try:
                blobs = self.upstream.read(self.commit, wanted)
            except UpstreamError as exc:
                self._parsed.update({path: str(exc) for path in wanted})
            else:
                self.blobs.update(blobs)
                self._parsed.update(_parse_all(blobs, self.commit))
        return {path: self._parsed[path] for path in paths}

    def paths(self, suffix: str = ".py") -> list[str]:
        if suffix not in self._listing:
            self._listing[suffix] = self.upstream.list_files(self.commit, suffix)
        return self._listing[suffix]


def _extract(request: FactRequest, parsed: ParsedModule | str, tree: RunTree) -> Extracted:
    if isinstance(parsed, str):
        return Extracted(None, parsed)
    try:
        facts = EXTRACTORS[request.extractor](parsed, dict(request.params), tree)
        return Extracted(facts, None, parsed.blob_id)
    except FactsError as exc:
        return Extracted(None, str(exc), parsed.blob_id)
    except RecursionError:
        return Extracted(None, f"{request.path}: too deeply nested to analyse", parsed.blob_id)


def _probe(request: FactRequest) -> Extracted:
    """Facts from outside the upstream tree (a web page): a failure is the reason, as for files."""
    try:
        return Extracted(PROBES[request.extractor](dict(request.params)))
    except FactsError as exc:
        return Extracted(None, str(exc))


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
    tree = RunTree(upstream, commit)
    requests = list(dict.fromkeys(r for claim in claims for r in claim.requests()))
    files = [r for r in requests if r.extractor not in PROBES]
    parsed = tree.modules([r.path for r in files])  # one batch for every file the claims name
    facts = {request: _extract(request, parsed[request.path], tree) for request in files}
    facts.update({request: _probe(request) for request in requests if request.extractor in PROBES})
    results = []
    for claim in claims:
        verdict = claim.evaluate(facts, baseline.get(claim.id), tree)
        results.append(ClaimResult(claim, verdict, claim.record(facts)))
    ids = {path: blob.blob_id for path, blob in tree.blobs.items() if blob is not None}
    return CardResult(card, commit, ids, tuple(results))
