"""An exclusive, inter-process lock on a file (fcntl), so two runs never write one cache at once.

Lock files may sit in a shared cache: one is never followed through a symlink, must be a regular
file of ours with no other name (hard link), and is never truncated (the pid is written over the
start of it, padded), so a planted link cannot make us overwrite anything.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from watcher.errors import WatcherError

_PID_WIDTH = 20


class LockTimeout(WatcherError):
    """Another watcher run held the lock for longer than we were willing to wait."""


class UnsafeLock(WatcherError):
    """A lock file that is a symlink, not a regular file, someone else's, or hard-linked."""


def _open(path: Path) -> int:
    refuse = f"{path}: refusing to use this lock file"
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeLock(f"{refuse}: it is a symbolic link; remove it") from None
        raise WatcherError(f"{path}: cannot open the lock file ({exc.strerror})") from None
    info = os.fstat(handle)
    why = None
    if not stat.S_ISREG(info.st_mode):
        why = "it is not a regular file"
    elif info.st_uid != os.getuid():
        why = f"it belongs to another user (uid {info.st_uid})"
    elif info.st_nlink != 1:
        why = "it has other names (hard links)"
    if why is not None:
        os.close(handle)
        raise UnsafeLock(f"{refuse}: {why}; remove it")
    return handle


def _flock_holder(path: Path) -> str | None:
    """The pid holding an flock on `path`, from /proc/locks (Linux); None if unknown."""
    try:
        info = path.stat()
        locks = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    inode = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in locks.splitlines():
        fields = line.split()
        if "->" not in fields and fields[1:2] == ["FLOCK"] and fields[5:6] == [inode]:
            return fields[4] if fields[4].isdigit() and fields[4] != "0" else None
    return None


def holder(path: Path) -> str:
    """Who holds the lock on `path`: `pid N` when known, else `another run`."""
    pid = None
    if path.is_file() and not path.is_symlink():
        try:
            pid = path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            pid = None
    if not pid or not pid.isdigit():
        pid = _flock_holder(path)
    return f"pid {pid}" if pid else "another run"


def _acquire(
    handle: int, path: Path, timeout: float, on_wait: Callable[[str], None] | None
) -> None:
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"{path}: held by {holder(path)} for over {timeout:.0f}s; "
                    "wait for it to finish or remove a stale lock file"
                ) from None
            if on_wait is not None and not told:
                on_wait(f"waiting for {path} (held by {holder(path)})")
                told = True
            time.sleep(0.1)


@contextmanager
def exclusive(
    path: Path, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold `path` locked; wait up to `timeout` seconds, then fail naming the holder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = _open(path)
    try:
        _acquire(handle, path, timeout, on_wait)
        os.pwrite(handle, str(os.getpid()).ljust(_PID_WIDTH).encode(), 0)
        yield
    finally:
        os.close(handle)


@contextmanager
def exclusive_dir(
    path: Path, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold a lock on the directory itself: no file is created (nothing for git to see)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise WatcherError(f"{path}: cannot lock this directory ({exc.strerror})") from None
    try:
        _acquire(handle, path, timeout, on_wait)
        yield
    finally:
        os.close(handle)
