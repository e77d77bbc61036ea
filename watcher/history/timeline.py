"""`watcher history`'s engine: a card's claim outcomes at every first-parent commit touching its files.

Cost: one `git log --raw` gives every commit and the blob ids of the watched files at each; the
blobs whose facts are not cached yet are fetched in one batch; each of those is parsed once.
A second walk over the same range parses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from watcher.history.diff import fact_diff
from watcher.history.interface import CommitRef
from watcher.history.walker import MAX_PATH_ROUNDS, CardWalker, ClaimState, Point
from watcher.history.warm import Job, warm
from watcher.orchestrator import CardResult, ClaimResult, RunTree
from watcher.progress import Progress

MAX_DIFF_LINES = 40


@dataclass(frozen=True)
class ClaimStep:
    id: str
    status: str
    message: str
    changed: bool  # outcome or facts differ from the previous row
    diff: tuple[str, ...]  # what changed in the facts since the previous row


@dataclass(frozen=True)
class Entry:
    commit: CommitRef
    parents: tuple[str, ...]
    changed_paths: tuple[str, ...]
    claims: tuple[ClaimStep, ...]

    @property
    def changed(self) -> bool:
        return any(step.changed for step in self.claims)


@dataclass(frozen=True)
class Timeline:
    card: str
    tip: str
    start: Entry | None  # the state before the first listed commit (the --since commit)
    entries: tuple[Entry, ...]
    paths: tuple[str, ...]
    parsed: tuple[tuple[str, str], ...]  # (path, blob id) parsed during this walk
    from_cache: int  # facts served by the cache during this walk
    notes: tuple[str, ...] = ()


def _steps(result: CardResult, previous: CardResult | None) -> tuple[ClaimStep, ...]:
    before = {r.claim.id: r for r in previous.results} if previous else {}
    return tuple(
        _step(item, before.get(item.claim.id), result, previous) for item in result.results
    )


def _step(
    item: ClaimResult, old: ClaimResult | None, result: CardResult, previous: CardResult | None
) -> ClaimStep:
    verdict = item.verdict
    if old is None or previous is None:
        return ClaimStep(item.claim.id, verdict.status, verdict.message, False, ())
    changed = ClaimState.of(item, result.commit) != ClaimState.of(old, previous.commit)
    diff: list[str] = []
    if old.facts is not None and item.facts is not None:
        diff = fact_diff(old.facts, item.facts)
    elif changed:
        diff = [f"{old.verdict.status} -> {verdict.status}: {verdict.message}"]
    if not changed:
        diff = []
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"... {len(diff) - MAX_DIFF_LINES} more"]
    return ClaimStep(item.claim.id, verdict.status, verdict.message, changed, tuple(diff))


def _missing(walker: CardWalker, points: Sequence[Point]) -> list[Job]:
    """One job per file version whose facts the cache does not have yet (at its first commit)."""
    requests = list(dict.fromkeys(r for claim in walker.claims for r in claim.requests()))
    jobs: dict[tuple[str, str], Job] = {}
    for point in points:
        tree: RunTree | None = None
        for path in dict.fromkeys(request.path for request in requests):
            blob = point.ids.get(path)
            if blob is None or (path, blob) in jobs:
                continue
            on_path = tuple(r for r in requests if r.path == path)
            if walker.cache is not None:
                tree = tree or RunTree(walker.upstream, point.commit.commit, point.ids)
                if all(walker.cache.peek(r, blob, tree) for r in on_path):
                    continue
            jobs[(path, blob)] = Job(point.commit.commit, point.ids, on_path)
    return list(jobs.values())


def _fill_cache(walker: CardWalker, points: Sequence[Point], progress: TextIO | None) -> None:
    """Fetch every uncached version in one batch, then extract them all (on every CPU)."""
    jobs = _missing(walker, points)
    if not jobs or walker.cache is None:
        return
    walker.upstream.prefetch(sorted({job.ids[job.requests[0].path] or "" for job in jobs}))
    meter = Progress(progress, f"history {walker.card.id}: parsing file versions", len(jobs))

    def done(parsed: list[tuple[str, str]]) -> None:
        walker.parsed.extend(parsed)
        meter.update()

    warm(walker.upstream, walker.cache, jobs, done)
    meter.finish()


def build_timeline(
    walker: CardWalker, tip: str, start: str | None, progress: TextIO | None = None
) -> Timeline:
    notes: list[str] = []
    paths = walker.claim_paths()
    points: list[Point] = []
    for _round in range(MAX_PATH_ROUNDS):
        points = walker.points(tip, start, paths)
        _fill_cache(walker, points, progress)
        meter = Progress(progress, f"history {walker.card.id}: commits", len(points))
        for point in points:
            walker.at(point.commit.commit, point.ids)
            meter.update()
        meter.finish()
        extra = walker.paths_read([p.commit.commit for p in points]) - set(paths)
        if not extra:
            break
        # Extractors read further files: walk the commits that touched those too.
        paths = [*paths, *sorted(extra)]
    else:
        notes.append("files read by the extractors kept growing; some commits may be missing")
    start_result = walker.at(start) if start is not None else None
    entries = []
    previous = start_result
    for point in points:
        result = walker.at(point.commit.commit)
        logged = point.commit
        entries.append(
            Entry(
                CommitRef(logged.commit, logged.date, logged.subject),
                logged.parents,
                tuple(sorted(logged.changes)),
                _steps(result, previous),
            )
        )
        previous = result
    start_entry = None
    if start is not None and start_result is not None:
        info = walker.upstream.commit_info(start)
        start_entry = Entry(
            CommitRef(info.commit, info.date, info.subject), (), (), _steps(start_result, None)
        )
    hits = walker.cache.hits if walker.cache is not None else 0
    return Timeline(
        walker.card.id,
        tip,
        start_entry,
        tuple(entries),
        tuple(paths),
        tuple(walker.parsed),
        hits,
        tuple(notes),
    )
