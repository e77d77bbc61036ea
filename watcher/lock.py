"""An exclusive, inter-process lock on a file (fcntl), so two runs never write one cache at once."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from watcher.errors import WatcherError


class LockTimeout(WatcherError):
    """Another watcher run held the lock for longer than we were willing to wait."""


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "another run"
    return f"pid {text}" if text.isdigit() else "another run"


@contextmanager
def exclusive(
    path: Path, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold `path` locked; wait up to `timeout` seconds, then fail naming the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{path}: held by {_holder(path)} for over {timeout:.0f}s; "
                        "wait for it to finish or remove a stale lock file"
                    ) from None
                if on_wait is not None and not told:
                    on_wait(f"waiting for {path} (held by {_holder(path)})")
                    told = True
                time.sleep(0.1)
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        yield
    finally:
        os.close(handle)
