"""Extraction through the cache: look every request up by blob id, parse only what missed.

A run that finds every request in the cache reads blob ids from trees (no blob fetched) and
never parses; the misses are read in one batch and parsed once each, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from watcher.claims.interface import Extracted, FactRequest
from watcher.errors import WatcherError
from watcher.factcache.recording import RecordingTree, TreeReads
from watcher.factcache.store import FactsCache

if TYPE_CHECKING:
    from watcher.facts import ParsedModule, SourceTree

Extract = Callable[[FactRequest, "ParsedModule | str", "SourceTree"], Extracted]


def _cached(
    requests: Sequence[FactRequest], tree: TreeReads, cache: FactsCache
) -> dict[FactRequest, Extracted]:
    try:
        ids = tree.blob_ids([request.path for request in requests])
    except WatcherError:
        return {}  # the reads below fail the same way and say why
    wanted = {
        path
        for request in requests
        if (blob := ids.get(request.path)) is not None
        for path in cache.dependencies(request, blob)
    }
    try:
        tree.blob_ids(sorted(wanted))  # one batch; the lookups below find them known
    except WatcherError:
        return {}
    found: dict[FactRequest, Extracted] = {}
    for request in requests:
        blob = ids.get(request.path)
        if blob is not None and (hit := cache.lookup(request, blob, tree)) is not None:
            found[request] = hit
    return found


def extract_requests(
    requests: Sequence[FactRequest],
    tree: TreeReads,
    cache: FactsCache | None,
    extract: Extract,
) -> Mapping[FactRequest, Extracted]:
    """Facts for every request: from the cache where the blob was seen before, else extracted."""
    results = _cached(requests, tree, cache) if cache is not None else {}
    missing = [request for request in requests if request not in results]
    parsed = tree.modules([request.path for request in missing])  # one batch for all misses
    for request in missing:
        reads = RecordingTree(tree)
        extracted = extract(request, parsed[request.path], reads)
        results[request] = extracted
        blob = tree.blobs.get(request.path)
        if cache is not None and blob is not None:
            cache.store(request, blob.blob_id, extracted, reads)
    return results
