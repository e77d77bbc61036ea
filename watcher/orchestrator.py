"""Wire the stages for one card: upstream blobs -> facts -> claim verdicts. Reads only: upstream
blobs and, for probe facts (a cited web page), one GET each; nothing is written here.

Every failure below this point becomes an `Error` verdict on the claims it affects; nothing
raises past `check_card`, so the actions stage always sees one verdict per claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watcher.claims import JSON, ClaimKind, Error, Extracted, FactRequest, Verdict
from watcher.config import CardConfig
from watcher.factcache import FactsCache, extract_requests
from watcher.factcache.recording import listing_key
from watcher.facts import EXTRACTORS, PROBES, FactsError, SourceTree, parse_file
from watcher.facts.limits import ParseLimitError, too_large
from watcher.facts.limits import current as current_limits
from watcher.history.interface import FirstChange
from watcher.upstream import FileBlob, Upstream, UpstreamError
from watcher.upstream.interface import FileRemoval

if TYPE_CHECKING:
    from watcher.facts import ParsedModule


@dataclass(frozen=True)
class ClaimResult:
    claim: ClaimKind
    verdict: Verdict
    facts: JSON | None
    # The upstream commit where this claim's outcome or facts first changed since the baseline.
    first_commit: FirstChange | None = None


@dataclass(frozen=True)
class CardResult:
    card: CardConfig
    commit: str | None
    blobs: Mapping[str, str]
    results: tuple[ClaimResult, ...]
    # Paths parsed in this run; empty when every fact came from the facts cache.
    parsed: tuple[str, ...] = ()

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

    def __init__(
        self,
        upstream: Upstream,
        commit: str,
        known_ids: Mapping[str, str | None] | None = None,
        relocation_searches: bool = True,
    ) -> None:
        self.upstream = upstream
        self.commit = commit
        # Whether a claim may search the tree for a route that left its scope since the baseline.
        # A history walk says no: at commits older than the baseline most such routes are not born
        # yet, and a search per commit (dozens of candidate files each) dominated the walk.
        self.relocation_searches = relocation_searches
        self.blobs: dict[str, FileBlob | None] = {}
        # Blob id per path (None: no such file), from trees alone; `known_ids` saves the lookup.
        self.ids: dict[str, str | None] = dict(known_ids or {})
        self.parsed: list[str] = []
        self._parsed: dict[str, ParsedModule | str] = {}
        self._listing: dict[str, list[str]] = {}
        self._texts: dict[str, str | None] = {}
        # Blobs `texts` fetched: a module parsed later in the run is not fetched twice.
        self._raw: dict[str, FileBlob] = {}
        self._listed: dict[str, str] = {}

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        wanted = [path for path in dict.fromkeys(paths) if path not in self._parsed]
        # Known from the trees to be no file here: nothing to read (history walks know many).
        absent = {path: None for path in wanted if path in self.ids and self.ids[path] is None}
        if absent:
            self.blobs.update(absent)
            self._parsed.update(_parse_all(absent, self.commit)[0])
            wanted = [path for path in wanted if path not in absent]
        if wanted:
            try:
                have = {path: self._raw[path] for path in wanted if path in self._raw}
                fetch = [path for path in wanted if path not in have]
                read, oversized = self._read_within_size(fetch) if fetch else ({}, {})
                blobs = {**have, **read}
            except UpstreamError as exc:
                self._parsed.update({path: str(exc) for path in wanted})
            else:
                self._parsed.update(oversized)
                self.blobs.update(blobs)
                self.ids.update({p: b.blob_id if b else None for p, b in blobs.items()})
                parsed, refused = _parse_all(blobs, self.commit)
                self._parsed.update(parsed)
                self.parsed.extend(
                    p for p, b in blobs.items() if b is not None and p not in refused
                )
                # A refused file's blob is left out: no result that depends on it is cached, so
                # raising a limit takes effect on the next run.
                for path in refused:
                    del self.blobs[path]
        return {path: self._parsed[path] for path in paths}

    def _read_within_size(
        self, paths: Sequence[str]
    ) -> tuple[Mapping[str, FileBlob | None], dict[str, str]]:
        """The blobs of `paths`, except the ones over `limits.max_bytes`: those are refused by
        their size, before they are read (where the upstream can tell sizes first)."""
        sizes = self.upstream.sizes(self.commit, paths)
        if sizes is None:
            return self.upstream.read(self.commit, paths), {}
        limits = current_limits()
        oversized: dict[str, str] = {}
        for path, (blob_id, size) in sizes.items():
            if size > limits.max_bytes:
                self.ids[path] = blob_id
                oversized[path] = too_large(path, size, limits)
        rest = [path for path in paths if path not in oversized]
        known = {path: sizes[path][0] if path in sizes else None for path in rest}
        return self.upstream.read(self.commit, rest, known) if rest else {}, oversized

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        """Blob ids at this commit without fetching any blob (the facts cache's key)."""
        wanted = [path for path in dict.fromkeys(paths) if path not in self.ids]
        read = {path: self._raw[path].blob_id for path in wanted if path in self._raw}
        self.ids.update(read)
        wanted = [path for path in wanted if path not in read]
        if wanted:
            found = self.upstream.blob_ids(self.commit, wanted)
            self.ids.update({path: found.get(path) for path in wanted})
        return {path: self.ids[path] for path in paths}

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        wanted = [path for path in dict.fromkeys(paths) if path not in self._texts]
        if wanted:
            # Ids a listing already gave (searches list first) spare the per-read tree lookup.
            known = {**self._listed, **self.ids}
            have = {path: self.blobs[path] for path in wanted if path in self.blobs}
            fetch = [path for path in wanted if path not in have]
            # UpstreamError: the caller's
            blobs = {**have, **(self.upstream.read(self.commit, fetch, known) if fetch else {})}
            for path in wanted:
                blob = blobs.get(path)
                if blob is not None:
                    self._raw[path] = blob
                elif path in blobs:  # no such file: later reads (and parses) know without asking
                    self.blobs[path] = None
                    self.ids[path] = None
                try:
                    self._texts[path] = blob.data.decode("utf-8-sig") if blob else None
                except UnicodeDecodeError:
                    self._texts[path] = None
        return {path: self._texts[path] for path in paths}

    def removal(self, path: str) -> FileRemoval | None:
        """The commit that removed `path` before this one, and where git says it went."""
        return self.upstream.removal(self.commit, path)

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        key = listing_key(suffix, under)
        if key not in self._listing:
            listed = self.upstream.list_files(self.commit, suffix, under)
            # Kept apart from `ids`: those are the files the run's facts depend on.
            self._listed.update(listed)
            self._listing[key] = list(listed)
        return self._listing[key]


def _extract(request: FactRequest, parsed: ParsedModule | str, tree: SourceTree) -> Extracted:
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


def _parse_all(
    blobs: Mapping[str, FileBlob | None], commit: str
) -> tuple[dict[str, ParsedModule | str], set[str]]:
    """Each file parsed, or the reason it is not; and the files refused by a parse limit."""
    parsed: dict[str, ParsedModule | str] = {}
    refused: set[str] = set()
    for path, blob in blobs.items():
        if blob is None:
            parsed[path] = f"{path}: no such file at {commit[:12]}"
            continue
        try:
            parsed[path] = parse_file(path, blob.blob_id, blob.data)
        except FactsError as exc:
            parsed[path] = str(exc)
            if isinstance(exc, ParseLimitError):
                refused.add(path)
        except RecursionError:
            parsed[path] = f"{path}: too deeply nested to parse"
    return parsed, refused


def check_card(
    card: CardConfig,
    claims: Sequence[ClaimKind],
    upstream: Upstream,
    baseline: Mapping[str, JSON],
    cache: FactsCache | None = None,
) -> CardResult:
    """Verdicts for every claim of a card at the commit the upstream's ref resolves to."""
    return evaluate_card(card, claims, RunTree(upstream, upstream.resolve()), baseline, cache)


def extract_facts(
    requests: Sequence[FactRequest], tree: RunTree, cache: FactsCache | None
) -> Mapping[FactRequest, Extracted]:
    """Cached facts where the blob was seen before; the rest read in one batch and parsed once."""
    return extract_requests(requests, tree, cache, _extract)


def evaluate_card(
    card: CardConfig,
    claims: Sequence[ClaimKind],
    tree: RunTree,
    baseline: Mapping[str, JSON],
    cache: FactsCache | None = None,
) -> CardResult:
    """Verdicts for every claim of a card at `tree`'s commit (any commit: history walks use it)."""
    requests = list(dict.fromkeys(r for claim in claims for r in claim.requests()))
    files = [r for r in requests if r.extractor not in PROBES]
    facts = dict(extract_facts(files, tree, cache))  # one batch for every file the claims name
    facts.update({request: _probe(request) for request in requests if request.extractor in PROBES})
    results = []
    for claim in claims:
        verdict = claim.evaluate(facts, baseline.get(claim.id), tree)
        results.append(ClaimResult(claim, verdict, claim.record(facts)))
    ids = {path: blob for path, blob in tree.ids.items() if blob is not None}
    return CardResult(card, tree.commit, ids, tuple(results), tuple(tree.parsed))
