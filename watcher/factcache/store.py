"""The facts cache: what an extractor returned for one blob, on disk, keyed so it is never stale.

Key: extractor name + parameters + path + the blob id of the file it analysed, under a directory
named by the cache version (watcher's code, libcst and Python: see `version.py`). Extractors may
read more files through the SourceTree; the tree handed to them records every read, and an entry
remembers the blob id of each file read (and a digest of each file listing asked for). A lookup
is a hit only when all of those are the same at the commit being checked, so an entry can only be
served where a fresh extraction would see exactly the same inputs. Results that depended on
anything else (a failed read, the commit id itself) are not stored.

One JSON file per key holds a few variants (one per set of dependency blobs). Files are written
atomically; a damaged or foreign file reads as a miss. Nothing here ever raises past the cache:
a cache that cannot be read or written only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from watcher.claims.interface import Extracted, FactRequest
from watcher.factcache.codec import Uncacheable, decode, round_trips
from watcher.factcache.recording import (
    RecordingTree,
    TreeReads,
    listing_digest,
    split_listing_key,
)
from watcher.factcache.version import cache_version

# Variants per key: a scope's facts (a package of files) are keyed by the cited file's blob, which
# stays the same across many commits that change another file of the scope; a history walk needs
# one variant per such state to parse nothing the second time.
MAX_VARIANTS = 48


def _key(request: FactRequest, blob_id: str) -> dict[str, Any]:
    return {
        "extractor": request.extractor,
        "params": [list(pair) for pair in request.params],
        "path": request.path,
        "blob": blob_id,
    }


class FactsCache:
    """Extraction results by blob id, under `<cache dir>/facts/<version>/`."""

    def __init__(self, cache_dir: Path, version: str | None = None) -> None:
        if version is None:
            try:
                version = cache_version()
            except OSError:  # watcher's sources unreadable: a version nothing else will share
                version = f"unversioned-{os.getpid()}-{os.urandom(4).hex()}"
        self.root = cache_dir / "facts" / version
        self.hits = 0

    def _file(self, key: Mapping[str, Any]) -> Path:
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
        return self.root / name[:2] / f"{name[2:]}.json"

    def _entry(self, path: Path, key: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return []
        if not isinstance(raw, dict) or raw.get("key") != key:
            return []
        variants = raw.get("variants")
        return [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []

    def lookup(self, request: FactRequest, blob_id: str, tree: TreeReads) -> Extracted | None:
        """The stored result for this blob, if every file it read is unchanged at `tree`'s commit."""
        found = self._find(request, blob_id, tree)
        self.hits += found is not None
        return found

    def dependencies(self, request: FactRequest, blob_id: str) -> set[str]:
        """Every file the stored results for this blob read: their blob ids are asked for in one
        batch before the lookups (a `git` call per lookup is most of a warm run's time)."""
        key = _key(request, blob_id)
        deps = (v.get("deps") for v in self._entry(self._file(key), key))
        return {path for found in deps if isinstance(found, dict) for path in found}

    def peek(self, request: FactRequest, blob_id: str, tree: TreeReads) -> bool:
        """Whether `lookup` would hit (history walks use it to know which blobs to fetch)."""
        return self._find(request, blob_id, tree) is not None

    def _find(self, request: FactRequest, blob_id: str, tree: TreeReads) -> Extracted | None:
        key = _key(request, blob_id)
        for variant in self._entry(self._file(key), key):
            try:
                if not _still_valid(variant, tree):
                    continue
                facts = decode(variant["facts"])
                error = variant["error"]
            except Exception:
                continue  # any surprise in a cache file is a miss, never a failure
            if error is not None and not isinstance(error, str):
                continue
            return Extracted(facts, error, blob_id)
        return None

    def store(
        self, request: FactRequest, blob_id: str, extracted: Extracted, reads: RecordingTree
    ) -> bool:
        """Remember an extraction; False (and nothing written) when it may not be reused."""
        if reads.uncacheable is not None:
            return False
        try:
            facts = round_trips(extracted.facts)
        except Uncacheable:
            return False
        variant = {
            "deps": dict(sorted(reads.deps.items())),
            "listings": dict(sorted(reads.listings.items())),
            "facts": facts,
            "error": extracted.error,
        }
        key = _key(request, blob_id)
        path = self._file(key)
        same_inputs = ("deps", "listings")
        others = [
            v
            for v in self._entry(path, key)
            if any(v.get(name) != variant[name] for name in same_inputs)
        ]
        document = {"key": key, "variants": [variant, *others][:MAX_VARIANTS]}
        try:
            _write(path, json.dumps(document, sort_keys=True, ensure_ascii=False))
        except OSError:
            return False
        return True


def _still_valid(variant: Mapping[str, Any], tree: TreeReads) -> bool:
    deps = variant["deps"]
    listings = variant["listings"]
    if not isinstance(deps, dict) or not isinstance(listings, dict):
        return False
    if deps:
        now = tree.blob_ids(sorted(deps))
        if any(now.get(path) != blob for path, blob in deps.items()):
            return False
    return all(
        listing_digest(tree.paths(*split_listing_key(key))) == digest
        for key, digest in listings.items()
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
