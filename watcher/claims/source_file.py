"""Claim kind `source-file`: a file the card links to (a GitHub blob URL) exists at the ref.

A link is dead when its file is gone, even if the code lives on elsewhere, so a move is drift
too, and the message names the new location for the person who fixes the link. Where it went
comes from git's rename detection on the commit that removed it, else from a file of the same
name elsewhere in the tree (nearest directory first). Nothing found: drift, deleted. A tree or
history that cannot be read: error.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from watcher.claims.common import FILE_PARAM, file_of
from watcher.claims.interface import (
    JSON,
    ClaimConfigError,
    ClaimKind,
    Drift,
    Error,
    Evidence,
    Extracted,
    FactRequest,
    Param,
    Pass,
    Verdict,
)
from watcher.config import ClaimConfig
from watcher.errors import WatcherError
from watcher.facts import SourceTree
from watcher.facts.locate import is_test
from watcher.upstream.interface import FileRemoval

# A file renamed again after its first move is followed this many renames at most.
MAX_RENAMES = 5


@runtime_checkable
class TracksRemovals(Protocol):
    """A tree that can ask git which commit removed a path (the run's tree; not a test stub)."""

    # False in history walks: at commits older than the baseline, a file not born yet is no move.
    relocation_searches: bool

    def removal(self, path: str) -> FileRemoval | None: ...

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]: ...


class SourceFile(ClaimKind):
    """A cited upstream file (the path in the source's GitHub blob URL) still exists at the ref."""

    kind: ClassVar[str] = "source-file"
    params: ClassVar[Mapping[str, Param]] = {"file": FILE_PARAM}

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        super().__init__(config, values)
        if not self.file:
            raise ClaimConfigError(
                f"{config.where}.source: {config.source!r} is not a GitHub blob URL "
                "(https://github.com/OWNER/REPO/blob/REF/PATH); set `file` to the upstream path"
            )

    @property
    def file(self) -> str:
        return file_of(self.config.source, self.values)

    def requests(self) -> tuple[FactRequest, ...]:
        return ()  # the tree's listing answers; no file is read or parsed

    def watched_paths(self) -> tuple[str, ...]:
        return (self.file,)  # history walks visit the commits that touched the file

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        return {"file": self.file}

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        try:
            if _present(tree, self.file):
                return Pass(
                    f"{self.file} exists at {tree.commit[:12]}",
                    (Evidence(self.file, 0, "the cited file"),),
                )
        except WatcherError as exc:
            return Error(f"{self.file}: the upstream tree could not be listed: {exc}")
        gone = f"{self.file} is not in the tree at {tree.commit[:12]}"
        if isinstance(tree, TracksRemovals) and not tree.relocation_searches:
            return Drift(f"{gone}; the link is dead", (), (f"- file: {self.file}",))
        try:
            return _where_it_went(tree, self.file, gone)
        except WatcherError as exc:
            return Error(f"{gone}; could not search for where it went: {exc}")


def _present(tree: SourceTree | TracksRemovals, path: str) -> bool:
    return path in tree.paths(posixpath.splitext(path)[1], posixpath.dirname(path))


def _where_it_went(tree: SourceTree, path: str, gone: str) -> Verdict:
    removal, renamed = None, None
    if isinstance(tree, TracksRemovals):
        removal = tree.removal(path)
        renamed = _follow_renames(tree, removal)
    if renamed is not None:
        new, by = renamed
        return _moved(gone, path, new, f"renamed in {by.commit[:12]}, {by.similarity}% similar")
    named = same_name(tree.paths(posixpath.splitext(path)[1]), path)
    if named:
        others = f"; also named so: {', '.join(named[1:4])}" if named[1:] else ""
        return _moved(gone, path, named[0], f"a file of the same name{others}")
    when = f" in {removal.commit[:12]}" if removal else ""
    name = posixpath.basename(path)
    return Drift(
        f"{gone}: deleted{when} (git finds no rename, and no file named {name} is left in the "
        "tree); the link is dead",
        (),
        (f"- file: {path}",),
    )


def _follow_renames(
    tree: TracksRemovals, removal: FileRemoval | None
) -> tuple[str, FileRemoval] | None:
    """The rename's target as it is now (renamed again, followed), and the first rename."""
    first = removal
    for _ in range(MAX_RENAMES):
        if removal is None or not removal.renamed_to:
            return None
        if first is not None and _present(tree, removal.renamed_to):
            return removal.renamed_to, first
        removal = tree.removal(removal.renamed_to)
    return None


def _moved(gone: str, old: str, new: str, how: str) -> Verdict:
    return Drift(
        f"{gone}: moved to {new} ({how}); the link is dead",
        (Evidence(new, 0, f"where {old} went ({how})"),),
        (f"file: {old} -> {new}",),
    )


def same_name(paths: list[str], origin: str) -> list[str]:
    """Other non-test files named like `origin`, the nearest directories first."""
    name, here = posixpath.basename(origin), posixpath.dirname(origin).split("/")

    def distance(path: str) -> tuple[int, int, str]:
        there = posixpath.dirname(path).split("/")
        shared = len(posixpath.commonprefix([here, there]))  # works on lists too
        return (-shared, abs(len(there) - len(here)), path)

    found = [p for p in paths if posixpath.basename(p) == name and p != origin and not is_test(p)]
    return sorted(found, key=distance)
