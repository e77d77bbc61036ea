"""A cached, blobless partial clone per upstream URL, driven through GitPython.

Only commits and trees are cloned; blobs are fetched on demand, all of a run's blobs in one
fetch. GitPython's unsafe options and protocols stay disabled; the URL is checked first.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import git
from git.exc import GitCommandError
from gitdb.util import hex_to_bin

from watcher.lock import exclusive
from watcher.upstream.interface import CommitInfo, FileBlob, Upstream, UpstreamError, UpstreamSpec
from watcher.upstream.urls import check_url, redact

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
LOCK_TIMEOUT_SECONDS = 600.0


def default_cache_dir() -> Path:
    if env := os.environ.get("WATCHER_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watcher"


def _repo_dir(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "-", url.rstrip("/").rsplit("/", 1)[-1])[:40]
    return cache_dir / "repos" / f"{tail}-{digest}"


def _explain(exc: GitCommandError, url: str) -> str:
    lines = [line.strip() for line in str(exc.stderr or "").splitlines() if line.strip()]
    detail = next((line for line in reversed(lines) if "fatal" in line or "error" in line), "")
    detail = (detail or (lines[-1] if lines else f"git exited with {exc.status}")).strip("'\" ")
    return redact(f"{url}: {detail}")


class GitUpstream(Upstream):
    def __init__(self, spec: UpstreamSpec, repo: git.Repo) -> None:
        self.spec = spec
        self._repo = repo
        self._commit: str | None = None

    def _git(self, *args: str) -> str:
        try:
            return str(self._repo.git.execute(["git", *args], env=_GIT_ENV))
        except GitCommandError as exc:
            raise UpstreamError(_explain(exc, self.spec.url)) from exc

    def fetch_ref(self) -> str:
        ref = self.spec.ref
        fetch = [
            "-c",
            "fetch.negotiationAlgorithm=skipping",
            "fetch",
            "--no-tags",
            "--filter=blob:none",
        ]
        if _FULL_SHA.match(ref):
            self._git(*fetch, "origin", ref)
            self._commit = ref
            return ref
        for kind in ("heads", "tags"):
            local = f"refs/watcher/{kind}/{ref}"
            try:
                self._repo.git.execute(
                    ["git", *fetch, "origin", f"+refs/{kind}/{ref}:{local}"], env=_GIT_ENV
                )
            except GitCommandError as exc:
                if "couldn't find remote ref" in str(exc.stderr):
                    continue
                raise UpstreamError(_explain(exc, self.spec.url)) from exc
            self._commit = self._git("rev-parse", "--verify", f"{local}^{{commit}}").strip()
            return self._commit
        raise UpstreamError(
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

    def read(self, commit: str, paths: Sequence[str]) -> Mapping[str, FileBlob | None]:
        ids = self._blob_ids(commit, paths)
        if ids:
            # One fetch for every missing blob; blobs already present cost nothing (quickfetch).
            self._git(
                "-c",
                "fetch.negotiationAlgorithm=noop",
                "fetch",
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
                "--filter=blob:none",
                "origin",
                *sorted(set(ids.values())),
            )
        result: dict[str, FileBlob | None] = {}
        for path in paths:
            oid = ids.get(path)
            if oid is None:
                result[path] = None
                continue
            data = bytes(self._repo.odb.stream(hex_to_bin(oid)).read())  # type: ignore[no-untyped-call]
            result[path] = FileBlob(path, oid, data)
        return result

    def list_files(self, commit: str, suffix: str) -> list[str]:
        out = self._git("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit)
        return [path for path in out.split("\0") if path.endswith(suffix)]

    def changed_files(self, old: str, new: str, suffix: str) -> list[str]:
        out = self._git("diff", "--name-only", "-z", "--diff-filter=AMR", old, new)
        return sorted(path for path in out.split("\0") if path.endswith(suffix))

    def commit_info(self, commit: str) -> CommitInfo:
        out = self._git("show", "-s", "--format=%H%x00%cs%x00%s", commit)
        full, date, subject = out.split("\0", 2)
        return CommitInfo(full, date, subject)


def _clone(url: str, target: Path, ref: str) -> git.Repo:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    options = ["--bare", "--filter=blob:none", "--no-checkout", "--single-branch", "--no-tags"]
    if _SAFE_REF.match(ref) and not _FULL_SHA.match(ref):
        options += ["--branch", ref]
    try:
        try:
            git.Repo.clone_from(url, staging / "repo", multi_options=options, env=_GIT_ENV)
        except GitCommandError as exc:
            if "--branch" in options and "not found in upstream" in str(exc.stderr):
                # A commit id or an odd ref: clone the default branch, fetch_ref() gets the rest.
                shutil.rmtree(staging / "repo", ignore_errors=True)
                options = options[:-2]
                git.Repo.clone_from(url, staging / "repo", multi_options=options, env=_GIT_ENV)
            else:
                raise
        (staging / "repo").rename(target)
    except GitCommandError as exc:
        raise UpstreamError(_explain(exc, url)) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return git.Repo(target)


@contextmanager
def open_upstream(spec: UpstreamSpec, cache_dir: Path) -> Iterator[GitUpstream]:
    """Sync the cached clone of `spec.url` (clone on first use) and fetch `spec.ref`, under a lock."""
    url = check_url(spec.url)
    if not _SAFE_REF.match(spec.ref) or ".." in spec.ref:
        raise UpstreamError(f"ref {spec.ref!r} is not a valid branch, tag or commit id")
    target = _repo_dir(cache_dir, url)
    with exclusive(target.with_suffix(".lock"), LOCK_TIMEOUT_SECONDS):
        if target.exists():
            try:
                repo = git.Repo(target)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
                raise UpstreamError(
                    f"{target}: cached clone is damaged; delete it and run again"
                ) from exc
        else:
            repo = _clone(url, target, spec.ref)
        upstream = GitUpstream(spec, repo)
        try:
            upstream.fetch_ref()
            yield upstream
        finally:
            repo.close()
