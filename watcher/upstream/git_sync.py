"""A cached, blobless partial clone per upstream URL.

Only commits and trees are cloned; blobs are fetched on demand, all of a run's blobs in one
fetch. Git commands run as plain subprocesses (gitcmd: fixed environment, one protocol,
deadlines); GitPython (about 0.1 s to import) is loaded only to read blob contents, which the
daily no-change run never does. Every fetch names the validated URL itself, never the cache's
`origin`, and a cache whose config says anything else is cloned again (cache.problem).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import git

from watcher.lock import exclusive
from watcher.upstream import cache, gitcmd
from watcher.upstream.interface import (
    CommitInfo,
    FileBlob,
    FileRemoval,
    LoggedCommit,
    RefNotFound,
    Upstream,
    UpstreamError,
    UpstreamSpec,
)
from watcher.upstream.removals import find_removal
from watcher.upstream.urls import check_ref, check_url, redact

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
# A commit-ish a user may name: a ref or (abbreviated) id, optionally walked back with ~N / ^N.
_SAFE_REV = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*(?:[~^][0-9]{0,6})*")
_HEADER = re.compile(r"[0-9a-f]{40}(?: [0-9a-f]{40})*")
_FETCH_BATCH = 2000  # object ids per fetch command line; history walks need a few hundred
# Failures that are the remote's, not the cache's: no integrity check of the cache for these.
_REMOTE_TROUBLE = (
    "unable to access",
    "could not read from remote",
    "does not appear to be a git repository",
    "repository not found",
    "couldn't find remote ref",
    "could not resolve host",
)
LOCK_TIMEOUT_SECONDS = 600.0


def default_cache_dir() -> Path:
    if env := os.environ.get("WATCHER_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watcher"


class GitUpstream(Upstream):
    def __init__(self, spec: UpstreamSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self._repo: git.Repo | None = None  # opened on the first blob read
        self._commit: str | None = None
        # Blob ids this handle fetched or read: known local, so a later read does not fetch them.
        self._local: set[str] = set()
        # Directory listings by the directory's tree id: a history walk lists the same package
        # at hundreds of commits, and it changed at few of them.
        self._listings: dict[tuple[str, str], dict[str, str]] = {}
        self._listed_at: set[str] = set()  # commits listed so far: one commit needs no memo

    def _call(self, *args: str) -> subprocess.CompletedProcess[str]:
        return gitcmd.run(args, url=self.spec.url, cwd=self.path, git_dir=self.path)

    def _git(self, *args: str) -> str:
        done = self._call(*args)
        if done.returncode != 0:
            raise UpstreamError(gitcmd.explain(done.stderr, done.returncode, self.spec.url))
        return done.stdout

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def fetch_ref(self) -> str:
        ref = self.spec.ref
        fetch = [
            "-c",
            "fetch.negotiationAlgorithm=skipping",
            "fetch",
            "--no-tags",
            "--filter=blob:none",
        ]
        url = self.spec.url
        if _FULL_SHA.fullmatch(ref):
            self._git(*fetch, "--", url, ref)
            self._commit = ref
            return ref
        for kind in ("heads", "tags"):
            local = f"refs/watcher/{kind}/{ref}"
            done = self._call(*fetch, "--", url, f"+refs/{kind}/{ref}:{local}")
            if done.returncode != 0:
                if "couldn't find remote ref" in done.stderr:
                    continue
                raise UpstreamError(gitcmd.explain(done.stderr, done.returncode, url))
            self._commit = self._git("rev-parse", "--verify", f"{local}^{{commit}}").strip()
            return self._commit
        raise RefNotFound(
            f"{redact(self.spec.url)}: ref {ref!r} not found (give a branch, a tag or a full commit id)"
        )

    def resolve(self) -> str:
        if self._commit is None:
            raise UpstreamError("internal: resolve() before fetch_ref()")
        return self._commit

    def _blob_ids(self, commit: str, paths: Sequence[str]) -> dict[str, str]:
        listing = self._git("ls-tree", "-z", "--full-tree", commit, "--", *paths)
        found: dict[str, str] = {}
        for entry in filter(None, listing.split("\0")):
            meta, path = entry.split("\t", 1)
            _mode, kind, oid = meta.split()
            if kind == "blob":
                found[path] = oid
        return found

    def read(
        self, commit: str, paths: Sequence[str], known: Mapping[str, str | None] | None = None
    ) -> Mapping[str, FileBlob | None]:
        known = known or {}
        unknown = [path for path in paths if path not in known]
        ids = {path: oid for path in paths if (oid := known.get(path)) is not None}
        ids.update(self._blob_ids(commit, unknown) if unknown else {})
        self.prefetch(list(ids.values()))
        result: dict[str, FileBlob | None] = {}
        for path in paths:
            oid = ids.get(path)
            if oid is None:
                result[path] = None
                continue
            result[path] = FileBlob(path, oid, self._blob(oid))
            self._local.add(oid)
        return result

    def _odb(self) -> Any:
        import git

        if self._repo is None:
            self._repo = git.Repo(self.path)
            # Missing blobs are fetched by `git cat-file` itself: the same environment as ours.
            self._repo.git.update_environment(**gitcmd.git_env(self.spec.url, self.path))
        return self._repo.odb

    def _blob(self, oid: str) -> bytes:
        import git
        from gitdb.util import hex_to_bin

        try:
            return bytes(self._odb().stream(hex_to_bin(oid)).read())
        except (ValueError, git.GitCommandError) as exc:
            raise UpstreamError(f"{redact(self.spec.url)}: cannot read blob {oid}: {exc}") from exc

    def sizes(self, commit: str, paths: Sequence[str]) -> Mapping[str, tuple[str, int]]:
        # In a partial clone `ls-tree -l` would fetch each missing blob on its own to learn its
        # size; one batch fetch, then the object headers (`cat-file --batch-check`), cost less.
        import git
        from gitdb.util import hex_to_bin

        ids = self._blob_ids(commit, paths) if paths else {}
        self.prefetch(list(ids.values()))
        try:
            return {
                path: (oid, int(self._odb().info(hex_to_bin(oid)).size))
                for path, oid in ids.items()
            }
        except (ValueError, git.GitCommandError) as exc:
            raise UpstreamError(f"{redact(self.spec.url)}: cannot read blob sizes: {exc}") from exc

    def blob_ids(self, commit: str, paths: Sequence[str]) -> Mapping[str, str]:
        return self._blob_ids(commit, paths) if paths else {}

    def reopened(self) -> GitUpstream:
        # A new handle: a forked process must never share the parent's `git cat-file` pipes.
        upstream = GitUpstream(self.spec, self.path)
        upstream._commit = self._commit
        upstream._local = set(self._local)  # what the parent prefetched is local for the worker too
        return upstream

    def prefetch(self, blob_ids: Sequence[str]) -> None:
        # One fetch for every blob not known local; present ones cost nothing (quickfetch).
        wanted = sorted(set(blob_ids) - self._local)
        for start in range(0, len(wanted), _FETCH_BATCH):
            self._git(
                "-c",
                "fetch.negotiationAlgorithm=noop",
                "fetch",
                "--no-tags",
                "--no-write-fetch-head",
                # The ref fetch of each run already lets git schedule maintenance; running its
                # check again after every blob batch cost more than the fetch itself.
                "--no-auto-maintenance",
                "--recurse-submodules=no",
                "--filter=blob:none",
                "--",
                self.spec.url,
                *wanted[start : start + _FETCH_BATCH],
            )
        self._local.update(wanted)

    def rev_parse(self, rev: str) -> str:
        if not _SAFE_REV.fullmatch(rev) or ".." in rev:
            raise UpstreamError(f"{rev!r} is not a commit id, branch or tag (e.g. 5f6928bd50~1)")
        # A full id outside the fetched branch needs no fetch of ours: in a partial clone git
        # fetches a missing commit from the promisor remote by itself.
        done = self._call(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"
        )
        if done.returncode == 0:
            return done.stdout.strip()
        raise UpstreamError(
            f"{rev!r} is not a commit in {redact(self.spec.url)} (fetched ref {self.spec.ref!r})"
        )

    def first_parent_log(
        self, tip: str, paths: Sequence[str], exclude: str | None = None
    ) -> list[LoggedCommit]:
        fields = "--format=%H %P%x00%cs%x00%s"
        limit = [f"^{exclude}"] if exclude else []
        out = self._git(
            "log", "--first-parent", "--no-abbrev", "--raw", "-z", "--no-renames", fields,
            tip, *limit, "--", *paths,
        )  # fmt: skip
        return _parse_log(out)[::-1]

    def touching(self, tip: str, paths: Sequence[str], exclude: str | None = None) -> list[str]:
        limit = [f"^{exclude}"] if exclude else []
        out = self._git("rev-list", "--first-parent", tip, *limit, "--", *paths)
        return out.split()

    def commit_before(self, tip: str, date: str) -> str | None:
        before = f"--before={date} 00:00:00 +0000"
        out = self._git("rev-list", "-1", "--first-parent", before, tip).strip()
        return out or None

    def removal(self, tip: str, path: str) -> FileRemoval | None:
        return find_removal(self._git, self.prefetch, tip, path)

    def merge_base(self, one: str, other: str) -> str | None:
        done = self._call("merge-base", one, other)
        if done.returncode != 0:
            return None  # unrelated histories
        return done.stdout.strip() or None

    def list_files(self, commit: str, suffix: str, under: str = "") -> Mapping[str, str]:
        directory = under.strip("/")
        self._listed_at.add(commit)
        # Only a walk over several commits pays for the tree lookup (it starts GitPython's
        # `cat-file` process); the daily run lists one commit and keeps its start-up lean.
        walking = len(self._listed_at) > 1
        tree = self._tree_id(commit, directory) if directory and walking else None
        if tree is not None and (tree, suffix) in self._listings:
            return dict(self._listings[(tree, suffix)])
        scope = ["--", directory + "/"] if directory else []
        out = self._git("ls-tree", "-r", "-z", "--full-tree", commit, *scope)
        files: dict[str, str] = {}
        for entry in filter(None, out.split("\0")):
            meta, path = entry.split("\t", 1)
            _mode, kind, oid = meta.split()
            if kind == "blob" and path.endswith(suffix):
                files[path] = oid
        if tree is not None:
            self._listings[(tree, suffix)] = dict(files)
        return files

    def _tree_id(self, commit: str, directory: str) -> str | None:
        """The tree object of `commit:directory`, from the long-lived `git cat-file` process (a
        blobless clone has every tree locally: nothing is fetched). None: no such directory, or a
        name the batch protocol cannot carry (the listing is then made the plain way)."""
        if "\n" in directory or not _FULL_SHA.fullmatch(commit):
            return None
        self._odb()  # the repository handle, with watcher's git environment
        assert self._repo is not None
        try:
            oid, kind, _size = self._repo.git.get_object_header(f"{commit}:{directory}")
        except ValueError:
            return None
        # GitPython hands back the header's words as bytes, whatever its annotations say.
        text = [v.decode() if isinstance(v, bytes) else str(v) for v in (oid, kind)]
        return text[0] if text[1] == "tree" else None

    def commit_info(self, commit: str) -> CommitInfo:
        out = self._git("show", "-s", "--format=%H%x00%cs%x00%s", commit)
        full, date, subject = out.split("\0", 2)
        return CommitInfo(full, date, subject)


def _parse_log(out: str) -> list[LoggedCommit]:
    """`git log -z --raw --format='%H %P%x00%cs%x00%s'`: header fields, then (meta, path) pairs.

    With -z no field is ever quoted or split: a subject cannot hold NUL, paths arrive verbatim.
    """
    tokens = out.split("\0")
    commits: list[LoggedCommit] = []
    index = 0
    while index < len(tokens):
        head = tokens[index].lstrip("\n")
        if not head:
            index += 1
            continue
        # A root commit has no parents: "%H %P" ends in a space there.
        head = head.rstrip(" ")
        if not _HEADER.fullmatch(head) or index + 2 >= len(tokens):
            raise UpstreamError(f"unexpected output from git log near {head[:60]!r}")
        commit, *parents = head.split(" ")
        date, subject = tokens[index + 1], tokens[index + 2]
        index += 3
        changes: dict[str, str | None] = {}
        while index + 1 < len(tokens) and tokens[index].lstrip("\n").startswith(":"):
            meta = tokens[index].lstrip("\n").split(" ")
            new_id, status = meta[3], meta[4]
            changes[tokens[index + 1]] = None if status.startswith("D") else new_id
            index += 2
        commits.append(LoggedCommit(commit, tuple(parents), date, subject, changes))
    return commits


def _usable(target: Path, url: str, say: TextIO) -> bool:
    """Whether the cached clone can be used; a damaged or foreign one is removed (and said)."""
    if not os.path.lexists(target):
        return False
    reason = cache.problem(target, url)
    if reason is None:
        return True
    say.write(f"watcher: the cached clone {target} {reason}; cloning it again\n")
    cache.discard(target)
    return False


def _intact(target: Path, url: str) -> bool:
    """A local integrity check, run only after a failure that may be the cache's."""
    args = ["fsck", "--connectivity-only", "--no-dangling", "--no-progress"]
    return gitcmd.run(args, url=url, cwd=target, git_dir=target).returncode == 0


def _sync(spec: UpstreamSpec, target: Path, progress: TextIO | None) -> GitUpstream:
    say = progress or sys.stderr
    if not _usable(target, spec.url, say):
        cache.clone(spec.url, target, spec.ref, progress)
    upstream = GitUpstream(spec, target)
    try:
        upstream.fetch_ref()
        return upstream
    except (gitcmd.GitTimeout, RefNotFound):
        raise  # the remote's answer: the cache is not to blame
    except UpstreamError as exc:
        if any(mark in str(exc).lower() for mark in _REMOTE_TROUBLE) or _intact(target, spec.url):
            raise
        say.write(f"watcher: the cached clone {target} is damaged ({exc}); cloning it again\n")
    cache.discard(target)
    cache.clone(spec.url, target, spec.ref, progress)
    upstream = GitUpstream(spec, target)
    upstream.fetch_ref()
    return upstream


@contextmanager
def open_upstream(
    spec: UpstreamSpec, cache_dir: Path, progress: TextIO | None = None
) -> Iterator[GitUpstream]:
    """Sync the cached clone of `spec.url` (clone on first use) and fetch `spec.ref`, under a lock."""
    url = check_url(spec.url)
    check_ref(spec.ref)
    target = cache.repo_dir(cache_dir, url)
    cache.private_dir(cache_dir)
    cache.private_dir(target.parent)
    with exclusive(cache.lock_path(target), LOCK_TIMEOUT_SECONDS):
        cache.clean_leftovers(target)
        upstream = _sync(spec, target, progress)
        try:
            yield upstream
        finally:
            upstream.close()
