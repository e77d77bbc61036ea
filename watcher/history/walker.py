"""A card evaluated at any upstream commit, facts from the cache: the engine of history and bisect.

Evaluation is the orchestrator's own (`evaluate_card`), so a commit's outcome in a history walk
is exactly what `watcher verify` would have said at that commit against the same baseline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.claims import JSON, ClaimKind
from watcher.config import CardConfig
from watcher.factcache import FactsCache
from watcher.orchestrator import CardResult, ClaimResult, RunTree, evaluate_card
from watcher.upstream import Upstream
from watcher.upstream.interface import LoggedCommit

# Passes over the log when extractors turn out to read files beyond the claims' own.
MAX_PATH_ROUNDS = 3


@dataclass(frozen=True)
class ClaimState:
    """What bisect compares: a claim's outcome and its facts (an error's reason stands in for facts)."""

    status: str
    facts: str

    @classmethod
    def of(cls, result: ClaimResult, commit: str | None) -> ClaimState:
        if result.verdict.status == "error":
            message = result.verdict.message
            # "no such file at <commit>" names each commit: the same error is the same state.
            return cls("error", message.replace(commit[:12], "<commit>") if commit else message)
        return cls(result.verdict.status, json.dumps(result.facts, sort_keys=True))


@dataclass(frozen=True)
class Point:
    """A first-parent commit in a walk, with the blob id of every watched path at it."""

    commit: LoggedCommit
    ids: Mapping[str, str | None]


class CardWalker:
    def __init__(
        self,
        upstream: Upstream,
        card: CardConfig,
        claims: Sequence[ClaimKind],
        baseline: Mapping[str, JSON],
        cache: FactsCache | None,
    ) -> None:
        self.upstream = upstream
        self.card = card
        self.claims = tuple(claims)
        self.baseline = baseline
        self.cache = cache
        self._results: dict[str, CardResult] = {}
        self.parsed: list[tuple[str, str]] = []  # (path, blob id) parsed by this walker

    @property
    def evaluated(self) -> int:
        """Commits evaluated so far (each from the cache or parsed once)."""
        return len(self._results)

    def claim_paths(self) -> list[str]:
        return list(dict.fromkeys(path for claim in self.claims for path in claim.watched_paths()))

    def at(self, commit: str, known_ids: Mapping[str, str | None] | None = None) -> CardResult:
        """The card's verdicts at `commit` (memoized per walker)."""
        if commit not in self._results:
            tree = RunTree(self.upstream, commit, known_ids, relocation_searches=False)
            result = evaluate_card(self.card, self.claims, tree, self.baseline, self.cache)
            self.parsed.extend((path, tree.ids[path] or "") for path in tree.parsed)
            self._results[commit] = result
        return self._results[commit]

    def claim_result(self, commit: str, claim_id: str) -> ClaimResult:
        return next(r for r in self.at(commit).results if r.claim.id == claim_id)

    def state(self, commit: str, claim_id: str) -> ClaimState:
        return ClaimState.of(self.claim_result(commit, claim_id), commit)

    def points(
        self, tip: str, start: str | None, paths: Sequence[str], exclude: str | None = None
    ) -> list[Point]:
        """First-parent commits after `start` up to `tip` touching `paths`, oldest first, with the
        blob id of every path at each (replayed from one `git log --raw`, no tree read per commit)."""
        logged = self.upstream.first_parent_log(tip, paths, exclude or start)
        if not logged:
            return []
        # The oldest commit's ids come from its tree; after it, path limiting guarantees that the
        # first parent of each listed commit has the ids of the previous one, so replay is exact.
        ids: dict[str, str | None] = {path: None for path in paths}
        ids.update(self.upstream.blob_ids(logged[0].commit, paths))
        points = [Point(logged[0], dict(ids))]
        for commit in logged[1:]:
            ids.update({path: blob for path, blob in commit.changes.items() if path in ids})
            points.append(Point(commit, dict(ids)))
        return points

    def paths_read(self, commits: Sequence[str]) -> set[str]:
        """Every path the evaluations at these commits read (claims' files and their imports)."""
        return {path for commit in commits for path in self.at(commit).blobs}
