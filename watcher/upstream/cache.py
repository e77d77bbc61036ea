"""The clone cache on disk: private directories, a trust check of each clone, the first clone.

A cached clone is only used when it is ours (owned by this user, not a symlink), whole (HEAD,
objects, config) and says nothing we did not write: its config may hold only the settings a
blobless clone and our fetches create, with `origin` pointing at the configured URL. Anything else
(a tampered `remote.origin.url = ext::...`, hooks settings, a deleted config) means: clone again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import TextIO

from watcher.progress import Progress
from watcher.upstream import gitcmd
from watcher.upstream.interface import UpstreamError
from watcher.upstream.urls import SAFE_REF, redact

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_STAGE_PREFIX = ".clone-"
_STALE_LEGACY_SECONDS = 24 * 3600
_PROGRESS = re.compile(r"(Counting|Compressing|Receiving|Resolving)[^:]*:\s+\d+% \((\d+)/(\d+)\)")
_STAGES = {
    "Counting": "counting objects",
    "Compressing": "compressing objects",
    "Receiving": "receiving objects",
    "Resolving": "resolving deltas",
}
_SAFE_SETTINGS = {
    "core.repositoryformatversion": None,
    "core.filemode": None,
    "core.bare": "true",
    "core.ignorecase": None,
    "core.precomposeunicode": None,
    "core.logallrefupdates": None,
    "core.symlinks": None,
    "extensions.partialclone": "origin",
    "remote.origin.tagopt": "--no-tags",
    "remote.origin.promisor": "true",
    "remote.origin.partialclonefilter": "blob:none",
    "remote.origin.fetch": None,
}


def repo_dir(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "-", url.rstrip("/").rsplit("/", 1)[-1])[:40]
    return cache_dir / "repos" / f"{tail}-{digest}"


def lock_path(target: Path) -> Path:
    """The clone's own lock: its full name (URL hash included) plus `.lock`."""
    return target.parent / f"{target.name}.lock"


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) 0700; refuse one that another user owns."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):
            created.mkdir(mode=0o700)
    info = path.stat()
    if info.st_uid != os.getuid():
        raise UpstreamError(
            f"{path} belongs to another user (uid {info.st_uid}); watcher will not use a cache "
            "it does not own: remove it or choose another --cache-dir"
        )
    return path


def _settings(target: Path, url: str) -> list[tuple[str, str]]:
    done = gitcmd.run(
        ["config", "--file", str(target / "config"), "--null", "--list"],
        url=url,
        cwd=target.parent,  # not inside the clone: nothing of it is read but this one file
    )
    if done.returncode != 0:
        raise UpstreamError(gitcmd.explain(done.stderr, done.returncode, url))
    pairs = []
    for item in filter(None, done.stdout.split("\0")):
        key, _, value = item.partition("\n")
        pairs.append((key, value))
    return pairs


def problem(target: Path, url: str) -> str | None:
    """Why the cached clone at `target` must not be used (None: use it)."""
    info = target.lstat()
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.getuid():
        return f"belongs to another user (uid {info.st_uid})"
    for name, is_kind in (
        ("HEAD", Path.is_file),
        ("objects", Path.is_dir),
        ("config", Path.is_file),
    ):
        if not is_kind(target / name):
            return f"has no {name}"
    if os.path.lexists(target / "commondir"):  # git would read another directory's config
        return "borrows another repository's config (commondir)"
    settings = _settings(target, url)
    if [value for key, value in settings if key == "remote.origin.url"] != [url]:
        return "points at another remote than the configured URL"
    allowed = {**_SAFE_SETTINGS, "remote.origin.url": url, f"remote.{url}.promisor": "true"}
    allowed[f"remote.{url}.partialclonefilter"] = "blob:none"
    for key, value in settings:
        if key not in allowed:
            return f"has a setting watcher never writes ({key[:80]!r})"
        if allowed[key] is not None and value.lower() != str(allowed[key]).lower():
            return f"has {key} = {value[:80]!r}"
    return _damaged_pack(target)


def _damaged_pack(target: Path) -> str | None:
    """A pack cut short (disk full, a killed copy): its last bytes are not the checksum that
    its index records. Reads 40 bytes per pack."""
    for index in (target / "objects" / "pack").glob("*.idx"):
        pack = index.with_suffix(".pack")
        try:
            with index.open("rb") as idx:
                idx.seek(-40, os.SEEK_END)
                expected = idx.read(20)
            with pack.open("rb") as data:
                data.seek(-20, os.SEEK_END)
                found = data.read(20)
        except OSError:
            return f"has a damaged pack ({pack.name})"
        if found != expected:
            return f"has a damaged pack ({pack.name})"
    return None


def discard(target: Path) -> None:
    """Move a clone out of the way first (a rename is atomic), then delete it."""
    doomed = Path(tempfile.mkdtemp(prefix=".discard-", dir=target.parent))
    target.rename(doomed / "repo")
    shutil.rmtree(doomed, ignore_errors=True)


def clean_leftovers(target: Path) -> None:
    """Remove staging folders of clones that were killed: those of `target` (whose lock the
    caller holds) and those whose clone lock is free."""
    repos = target.parent
    for entry in repos.glob(_STAGE_PREFIX + "*"):
        name = entry.name.removeprefix(_STAGE_PREFIX)
        owner = repos / name.rsplit(".", 1)[0]
        if "." in name and owner.name:
            if owner == target or _lock_is_free(lock_path(owner)):
                shutil.rmtree(entry, ignore_errors=True)
        elif time.time() - entry.lstat().st_mtime > _STALE_LEGACY_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)  # an older watcher's unnamed staging folder
    for entry in repos.glob(".discard-*"):
        shutil.rmtree(entry, ignore_errors=True)


def _lock_is_free(path: Path) -> bool:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(handle)


def clone(url: str, target: Path, ref: str, stream: TextIO | None = None) -> None:
    """A blobless bare clone of `url` into `target`, built in a staging folder and renamed."""
    progress = Progress(stream, f"cloning {redact(url)} (first run: commits and trees only)")
    # Named after the clone, so the next run can tell a killed clone's leftovers (its lock free).
    staging = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}{target.name}.", dir=target.parent))
    options = ["--bare", "--filter=blob:none", "--no-checkout", "--single-branch", "--no-tags"]
    if SAFE_REF.fullmatch(ref) and not _FULL_SHA.fullmatch(ref):
        options += ["--branch", ref]

    def attempt(extra: list[str]) -> tuple[int, str]:
        shutil.rmtree(staging / "repo", ignore_errors=True)
        args = ["clone", "--progress", *extra, "--", url, str(staging / "repo")]
        return gitcmd.stream(args, url=url, cwd=staging, on_line=on_line)

    def on_line(line: str) -> None:
        if stream is not None and (match := _PROGRESS.search(line)):
            progress.update(int(match[2]), _STAGES[match[1]], total=int(match[3]))

    try:
        status, said = attempt(options)
        if status != 0 and "--branch" in options and "not found in upstream" in said:
            # A commit id or an odd ref: clone the default branch, fetch_ref() gets the rest.
            status, said = attempt(options[:-2])
        if status != 0:
            raise UpstreamError(gitcmd.explain(said, status, url))
        (staging / "repo").rename(target)
        progress.finish("done")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
