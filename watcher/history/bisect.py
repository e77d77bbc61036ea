"""`watcher bisect`'s engine: the first commit after a good one where a claim's outcome or facts change.

Like `git bisect`, the search assumes one change between good and bad: it halves the first-parent
commits that touched the watched files, about log2(n) evaluations, each from the facts cache when
the blob was seen before. When the commit found is a merge, the same search runs along the merged
branch (its first-parent commits not already on the mainline) against the merge base, to name the
commit that introduced the change there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from watcher.history.diff import fact_diff
from watcher.history.interface import CommitRef, FirstChange, HistoryError
from watcher.history.walker import CardWalker
from watcher.progress import Progress
from watcher.upstream.interface import LoggedCommit


@dataclass(frozen=True)
class BisectResult:
    claim: str
    good: CommitRef
    bad: CommitRef
    first: FirstChange | None
    candidates: int  # first-parent commits between good and bad that touched the watched files
    steps: int  # commits evaluated (each one cached or parsed once)
    message: str = ""  # the claim's verdict at the first changed commit
    diff: tuple[str, ...] = ()  # its facts there against the good commit's


def _search(
    commits: Sequence[LoggedCommit], differs: Callable[[str], bool], progress: Progress
) -> int:
    """Index of the first commit that differs, given commits[-1] differs (binary search)."""
    low, high = -1, len(commits) - 1
    while high - low > 1:
        middle = (low + high) // 2
        if differs(commits[middle].commit):
            high = middle
        else:
            low = middle
        progress.update(note=f"steps, {high - low - 1} candidates left")
    return high


def _ref(commit: LoggedCommit) -> CommitRef:
    return CommitRef(commit.commit, commit.date, commit.subject)


def _merged_from(
    walker: CardWalker, merge: LoggedCommit, claim: str, paths: Sequence[str], progress: Progress
) -> LoggedCommit | None:
    """The commit on the merged branch where the claim first differs from the merge base."""
    mainline, side = merge.parents[0], merge.parents[1]
    base = walker.upstream.merge_base(mainline, side)
    if base is None:
        return None
    side_commits = walker.upstream.first_parent_log(side, paths, exclude=mainline)
    if not side_commits:
        return None
    at_base = walker.state(base, claim)
    if walker.state(side_commits[-1].commit, claim) == at_base:
        return None  # the merged branch alone does not make the change: the merge itself does
    index = _search(side_commits, lambda c: walker.state(c, claim) != at_base, progress)
    return side_commits[index]


def bisect_claim(
    walker: CardWalker, claim: str, good: str, bad: str, progress: TextIO | None = None
) -> BisectResult:
    """Find where `claim` first changes between `good` (exclusive) and `bad` (inclusive)."""
    if claim not in {c.id for c in walker.claims}:
        raise HistoryError(f"--claim {claim}: not a claim of card {walker.card.id}")
    upstream = walker.upstream
    if upstream.merge_base(good, bad) != good:
        raise HistoryError(
            f"good {good[:12]} is not an ancestor of bad {bad[:12]}; give --good an older commit"
        )
    paths = walker.claim_paths()
    paths += sorted(walker.paths_read([good, bad]) - set(paths))
    commits = upstream.first_parent_log(bad, paths, exclude=good)
    refs = [upstream.commit_info(c) for c in (good, bad)]
    good_ref, bad_ref = (CommitRef(i.commit, i.date, i.subject) for i in refs)
    meter = Progress(progress, f"bisect {claim}")
    before = walker.state(good, claim)
    if not commits or walker.state(bad, claim) == before:
        meter.finish("no change")
        return BisectResult(claim, good_ref, bad_ref, None, len(commits), walker.evaluated)
    index = _search(commits, lambda c: walker.state(c, claim) != before, meter)
    found = commits[index]
    after = walker.state(found.commit, claim)
    merged = None
    if len(found.parents) > 1:
        side = _merged_from(walker, found, claim, paths, meter)
        merged = _ref(side) if side is not None else None
    meter.finish("found")
    first = FirstChange(
        claim, _ref(found), before.status, after.status, merged, len(found.parents) > 1
    )
    old, new = walker.claim_result(good, claim), walker.claim_result(found.commit, claim)
    diff = fact_diff(old.facts, new.facts) if old.facts is not None and new.facts else []
    return BisectResult(
        claim,
        good_ref,
        bad_ref,
        first,
        len(commits),
        walker.evaluated,
        new.verdict.message,
        tuple(diff),
    )
