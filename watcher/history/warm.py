"""Fill the facts cache for many file versions at once, on every CPU: the cold history walk.

Parsing is the whole cost of a first history walk (libcst, about 0.1-0.2 s per version of a
50-70 kB module) and every version is independent, so versions are extracted in forked worker
processes. Workers only *fill the cache*; the walk itself then evaluates every commit in order
in this process, from the cache, exactly as it would without them. A worker that fails costs
nothing but time: its versions are simply parsed again by the walk.

Fork (not spawn) because workers must not re-run the command line (`python -m watcher` has no
main guard to hide behind) and should not pay for imports again. A worker opens its own git
handles (`Upstream.reopened`): the parent's `git cat-file` pipes are never shared.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from watcher.claims import FactRequest
from watcher.factcache import FactsCache
from watcher.orchestrator import RunTree, extract_facts
from watcher.upstream import Upstream

MIN_PARALLEL_JOBS = 4  # below this, forking costs more than it saves


@dataclass(frozen=True)
class Job:
    """Extract `requests` (all on one file) at `commit`, whose watched blob ids are `ids`."""

    commit: str
    ids: Mapping[str, str | None]
    requests: tuple[FactRequest, ...]


@dataclass
class _Worker:
    upstream: Upstream | None = None
    cache: FactsCache | None = None


_worker = _Worker()


def _start(upstream: Upstream, cache: FactsCache) -> None:
    gc.freeze()  # what the parent imported stays out of every collection in the worker
    # The parent's handle is inherited, never used: this worker opens (and owns) its own.
    _worker.upstream = upstream.reopened()
    _worker.cache = cache


def run_job(job: Job, upstream: Upstream, cache: FactsCache) -> list[tuple[str, str]]:
    """Extract one job into the cache; the (path, blob id) pairs it parsed."""
    tree = RunTree(upstream, job.commit, job.ids)
    # libcst builds ~100k objects per module and frees them by reference counting; the cycle
    # collector only rescans them (about a fifth of the parse time), so it waits until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        extract_facts(job.requests, tree, cache)
    finally:
        if enabled:
            gc.enable()
    return [(path, tree.ids.get(path) or "") for path in tree.parsed]


def _run_in_worker(job: Job) -> list[tuple[str, str]]:
    assert _worker.upstream is not None and _worker.cache is not None
    return run_job(job, _worker.upstream, _worker.cache)


def workers_for(jobs: int) -> int:
    if jobs < MIN_PARALLEL_JOBS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    # One more than the CPUs: each job also waits on git (the blob) and on the disk (the cache
    # entry), and on a shared machine a spare worker keeps both CPUs busy. Measured on the
    # 2-CPU benchmark box under load: 2 workers 18.2 s, 3 workers 15.3 s for 176 versions.
    return max(1, min((os.cpu_count() or 1) + 1, jobs))


def warm(
    upstream: Upstream,
    cache: FactsCache,
    jobs: Sequence[Job],
    done: Callable[[list[tuple[str, str]]], None],
) -> None:
    """Run every job, in forked workers when it pays; `done` gets each job's parsed versions."""
    workers = workers_for(len(jobs))
    if workers == 1 or upstream.reopened() is None:
        for job in jobs:
            done(run_job(job, upstream, cache))
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, context, _start, (upstream, cache)) as pool:
        futures = [pool.submit(_run_in_worker, job) for job in jobs]
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception:
                done([])  # the walk parses this version itself
