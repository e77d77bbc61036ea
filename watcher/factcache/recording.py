"""The SourceTree an extractor sees when its result may be cached: it writes down every read.

An extractor's inputs are its own parsed module (the cache key has its blob id), its parameters
(in the key) and whatever it reads through the tree. This wrapper is the only tree extractors get,
so the record is complete by construction: every file read is noted with its blob id, every file
listing with a digest. A read that failed (network) or a look at the commit id makes the result
depend on something no key can capture, and the result is not stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from watcher.facts import ParsedModule
    from watcher.upstream import FileBlob


class TreeReads(Protocol):
    """What the cache needs from the run's tree (the orchestrator's RunTree provides it)."""

    commit: str
    blobs: dict[str, FileBlob | None]

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]: ...

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]: ...

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]: ...

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]: ...


def listing_key(suffix: str, under: str) -> str:
    """How a listing is named in cache entries (entries from before `under` use the bare suffix)."""
    return f"{suffix}\0{under}" if under else suffix


def split_listing_key(key: str) -> tuple[str, str]:
    suffix, _, under = key.partition("\0")
    return suffix, under


def listing_digest(listing: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(listing).encode()).hexdigest()


class RecordingTree:
    """A SourceTree that delegates to the run's tree and records what the extractor depended on."""

    def __init__(self, tree: TreeReads) -> None:
        self._tree = tree
        self.deps: dict[str, str | None] = {}
        self.listings: dict[str, str] = {}
        self.uncacheable: str | None = None

    @property
    def commit(self) -> str:
        self.uncacheable = "the extractor read the commit id"
        return self._tree.commit

    @commit.setter
    def commit(self, value: str) -> None:
        raise AttributeError("an extractor cannot move the tree to another commit")

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        found = self._tree.modules(paths)
        for path in paths:
            if path in self._tree.blobs:  # read (or found missing) for sure: content is known
                blob = self._tree.blobs[path]
                self.deps[path] = blob.blob_id if blob is not None else None
            else:
                self.uncacheable = f"{path} could not be read"
        return found

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        found = self._tree.texts(paths)
        self.deps.update(self._tree.blob_ids(paths))  # the result depends on these versions too
        return found

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        found = self._tree.blob_ids(paths)
        self.deps.update(found)  # the result depends on which version (or none) is there
        return found

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        listing = self._tree.paths(suffix, under)
        self.listings[listing_key(suffix, under)] = listing_digest(listing)
        return listing
