"""The upstream stage's contract: what flows in (a URL and a ref) and out (blobs at one commit)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.errors import WatcherError


class UpstreamError(WatcherError):
    """The upstream could not be reached, the ref does not exist, or the cache is unusable."""


class RefNotFound(UpstreamError):
    """The upstream answered, and has no such branch, tag or commit."""


@dataclass(frozen=True)
class UpstreamSpec:
    url: str
    ref: str


@dataclass(frozen=True)
class FileBlob:
    """A file's bytes at a commit; `blob_id` is git's object id, stable across commits."""

    path: str
    blob_id: str
    data: bytes


@dataclass(frozen=True)
class CommitInfo:
    commit: str
    date: str
    subject: str


@dataclass(frozen=True)
class FileRemoval:
    """The commit that removed a file, and where git's rename detection says it went ('' when
    that commit deleted it outright), with git's similarity score (percent)."""

    commit: str
    renamed_to: str = ""
    similarity: int = 0


@dataclass(frozen=True)
class LoggedCommit:
    """A first-parent commit that touched watched paths: its new blob id per changed path.

    `changes` maps each watched path the commit changed (against its first parent) to the new
    blob id, or None where the commit deleted it.
    """

    commit: str
    parents: tuple[str, ...]
    date: str
    subject: str
    changes: Mapping[str, str | None]


class Upstream(ABC):
    """A synced upstream. Reads never touch the network except to fetch missing blobs in one batch."""

    spec: UpstreamSpec

    @abstractmethod
    def resolve(self) -> str:
        """The commit id the ref points at, after this run's fetch."""

    @abstractmethod
    def read(
        self, commit: str, paths: Sequence[str], known: Mapping[str, str | None] | None = None
    ) -> Mapping[str, FileBlob | None]:
        """Every requested file at `commit`, in one batch; None where the path is not a file.
        `known` gives blob ids already read from the trees (None: no file), saving the lookup."""

    @abstractmethod
    def list_files(self, commit: str, suffix: str, under: str = "") -> Mapping[str, str]:
        """Path -> blob id of every file at `commit` ending in `suffix` (below directory `under`
        if given), from trees alone."""

    @abstractmethod
    def commit_info(self, commit: str) -> CommitInfo:
        """Date and subject of one commit, for reports."""

    # History (watcher history / bisect). Defaults keep other implementations working: blob ids
    # through a read, and a clear error where an upstream cannot walk history.

    def blob_ids(self, commit: str, paths: Sequence[str]) -> Mapping[str, str]:
        """Blob id of each path that is a file at `commit`; ideally from trees alone."""
        return {path: blob.blob_id for path, blob in self.read(commit, paths).items() if blob}

    def sizes(self, commit: str, paths: Sequence[str]) -> Mapping[str, tuple[str, int]] | None:
        """Blob id and size in bytes of each path that is a file at `commit`, read before any blob
        is (so an oversized file is never loaded); None where this upstream cannot tell."""
        return None

    def prefetch(self, blob_ids: Sequence[str]) -> None:
        """Make these blobs local in one batch, so later reads do not fetch one by one."""
        return None  # without a batch fetch, each read fetches what it needs

    def reopened(self) -> Upstream | None:
        """The same synced upstream through fresh handles, for a forked worker process (blobs
        this handle prefetched are not fetched again); None when it cannot be shared that way."""
        return None

    def rev_parse(self, rev: str) -> str:
        """The full commit id a commit-ish (id, abbreviated id, branch, `id~1`) names."""
        raise UpstreamError(f"{type(self).__name__} cannot resolve {rev!r}: history needs git")

    def first_parent_log(
        self, tip: str, paths: Sequence[str], exclude: str | None = None
    ) -> list[LoggedCommit]:
        """First-parent commits of `tip` (not reachable from `exclude`) that changed `paths`,
        oldest first."""
        raise UpstreamError(f"{type(self).__name__} cannot walk history: history needs git")

    def touching(self, tip: str, paths: Sequence[str], exclude: str | None = None) -> list[str]:
        """First-parent commits of `tip` (not reachable from `exclude`) that changed `paths`,
        newest first: ids only, for counting and windows."""
        raise UpstreamError(f"{type(self).__name__} cannot walk history: history needs git")

    def commit_before(self, tip: str, date: str) -> str | None:
        """The newest first-parent commit of `tip` committed before `date` (YYYY-MM-DD, UTC)."""
        raise UpstreamError(f"{type(self).__name__} cannot walk history: history needs git")

    def merge_base(self, one: str, other: str) -> str | None:
        raise UpstreamError(f"{type(self).__name__} cannot walk history: history needs git")

    def removal(self, tip: str, path: str) -> FileRemoval | None:
        """The newest commit reachable from `tip` that removed `path` (None: none did), with git's
        rename detection run on that commit alone."""
        raise UpstreamError(f"{type(self).__name__} cannot follow a file: history needs git")
