"""The upstream stage's contract: what flows in (a URL and a ref) and out (blobs at one commit)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.errors import WatcherError


class UpstreamError(WatcherError):
    """The upstream could not be reached, the ref does not exist, or the cache is unusable."""


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


class Upstream(ABC):
    """A synced upstream. Reads never touch the network except to fetch missing blobs in one batch."""

    spec: UpstreamSpec

    @abstractmethod
    def resolve(self) -> str:
        """The commit id the ref points at, after this run's fetch."""

    @abstractmethod
    def read(self, commit: str, paths: Sequence[str]) -> Mapping[str, FileBlob | None]:
        """Every requested file at `commit`, in one batch; None where the path is not a file."""

    @abstractmethod
    def list_files(self, commit: str, suffix: str) -> list[str]:
        """Every file path at `commit` ending in `suffix`, from trees alone (no blob fetched)."""

    @abstractmethod
    def changed_files(self, old: str, new: str, suffix: str) -> list[str]:
        """Paths ending in `suffix` that differ between two commits (added or modified)."""

    @abstractmethod
    def commit_info(self, commit: str) -> CommitInfo:
        """Date and subject of one commit, for reports."""
