"""One writing run per project at a time: a manual `verify` and a scheduled one never overlap.

The clone cache has its own lock, held only while syncing and reading. This one covers a whole
verify run (read the snapshot, check, write the card and snapshot, commit, push), keyed by the
project directory, so two projects sharing a cache never wait for each other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from watcher.errors import WatcherError
from watcher.lock import LockTimeout, exclusive

DEFAULT_WAIT_SECONDS = 600.0


class RunLockBusy(WatcherError):
    """Another watcher run on the same project held the run lock for longer than we would wait."""


def run_lock_path(cache_dir: Path, config_path: Path) -> Path:
    project = config_path.resolve().parent
    digest = hashlib.sha256(str(project).encode()).hexdigest()[:16]
    tail = re.sub(r"[^A-Za-z0-9_.-]+", "-", project.name)[:40] or "project"
    return cache_dir / "locks" / f"run-{tail}-{digest}.lock"


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


@contextmanager
def run_lock(
    cache_dir: Path, config_path: Path, wait: float, say: Callable[[str], None]
) -> Iterator[None]:
    """Hold the project's run lock; wait up to `wait` seconds for another run to finish."""
    path = run_lock_path(cache_dir, config_path)
    project = config_path.resolve().parent

    def waiting(_line: str) -> None:
        say(
            f"watcher: another run ({_holder(path)}) is working on {project}; "
            f"waiting up to {wait:.0f}s for it to finish"
        )

    with ExitStack() as stack:
        try:
            stack.enter_context(exclusive(path, wait, waiting))
        except LockTimeout:
            raise RunLockBusy(
                f"another watcher run ({_holder(path)}) is still working on {project}; "
                f"gave up waiting after {wait:.0f}s: try again when it has finished, "
                "or wait longer with --lock-wait SECONDS"
            ) from None
        yield
