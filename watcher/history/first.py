"""Name the commit where each drifted claim first changed, for `watcher verify`'s report.

Best effort: it needs the baseline's commit and a git upstream; any failure leaves the report
as it was (plus one line on stderr), never turns a verdict into an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TextIO

from watcher.claims import JSON, ClaimKind
from watcher.config import CardConfig
from watcher.errors import WatcherError
from watcher.factcache import FactsCache
from watcher.history.bisect import bisect_claim
from watcher.history.walker import CardWalker
from watcher.orchestrator import CardResult
from watcher.upstream import Upstream


def attach_first_commits(
    upstream: Upstream,
    card: CardConfig,
    claims: Sequence[ClaimKind],
    baseline: Mapping[str, JSON],
    baseline_commit: str | None,
    result: CardResult,
    cache: FactsCache | None,
    say: Callable[[str], None],
    progress: TextIO | None = None,
) -> CardResult:
    drifted = [r.claim.id for r in result.results if r.verdict.status == "drift"]
    if not drifted or not baseline_commit or result.commit in (None, baseline_commit):
        return result
    assert result.commit is not None
    found = {}
    try:
        good = upstream.rev_parse(baseline_commit)
        for claim in drifted:
            # One claim per walk: only its own files decide which commits are candidates.
            own = [c for c in claims if c.id == claim]
            walker = CardWalker(upstream, card, own, baseline, cache)
            found[claim] = bisect_claim(walker, claim, good, result.commit, progress).first
    except WatcherError as exc:
        say(f"watcher: {card.id}: could not name the commit where the drift started: {exc}")
    results = tuple(
        replace(r, first_commit=found[r.claim.id]) if found.get(r.claim.id) else r
        for r in result.results
    )
    return replace(result, results=results)
