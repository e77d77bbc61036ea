"""Where did a removed file go? git's own rename detection, run on the one commit that removed it.

The clone is blobless, and rename detection compares contents: a plain `git log --follow` or a
diff between two distant commits would fetch blobs one at a time, or thousands of them. So the
commit that removed the file is found from trees alone (`log --diff-filter=D`), then the files
that commit added with the same suffix are fetched in one batch, and `diff-tree -M` is asked
about exactly those paths.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence

from watcher.upstream.interface import FileRemoval

# A commit that adds more files than this (a vendored tree, a mass reformat) is searched by the
# first ones only: enough for a module move, bounded for a blob fetch.
MAX_ADDED = 200

Git = Callable[..., str]


def find_removal(
    git: Git, prefetch: Callable[[Sequence[str]], None], tip: str, path: str
) -> FileRemoval | None:
    """The newest commit reachable from `tip` that removed `path`, and its rename, if any."""
    commit = git(
        "log", "-n1", "--no-abbrev", "--format=%H", "--diff-filter=D", tip, "--", _literal(path)
    )
    commit = commit.strip()
    if not commit:
        return None
    parents = git("rev-list", "--parents", "-n1", commit).split()[1:]
    if not parents:
        return FileRemoval(commit)
    removed, added = _changes(
        git("diff-tree", "-r", "-z", "--no-renames", parents[0], commit), path
    )
    if removed is None or not added:
        return FileRemoval(commit)
    prefetch([removed, *added.values()])
    renames = git(
        "diff-tree", "-r", "-z", "-M", "--name-status", "--diff-filter=R",
        parents[0], commit, "--", *map(_literal, [path, *added]),
    )  # fmt: skip
    fields = [field for field in renames.split("\0") if field]
    for status, old, new in zip(fields[::3], fields[1::3], fields[2::3], strict=False):
        if old == path and status.startswith("R"):
            return FileRemoval(commit, new, int(status[1:] or 0))
    return FileRemoval(commit)


def _literal(path: str) -> str:
    """An upstream path as a pathspec that means exactly that path (`*`, `[` are no globs)."""
    return f":(literal){path}"


def _changes(raw: str, path: str) -> tuple[str | None, dict[str, str]]:
    """From `diff-tree --raw -z`: the removed file's old blob id, and the added files that could
    be it (same suffix), by path with their new blob ids."""
    suffix = posixpath.splitext(path)[1]
    fields = raw.split("\0")
    removed: str | None = None
    added: dict[str, str] = {}
    for meta, name in zip(fields[::2], fields[1::2], strict=False):
        parts = meta.lstrip(":").split()
        if len(parts) != 5:
            continue
        _old_mode, _new_mode, old_id, new_id, status = parts
        if status == "D" and name == path:
            removed = old_id
        elif status == "A" and name.endswith(suffix) and len(added) < MAX_ADDED:
            added[name] = new_id
    return removed, added
