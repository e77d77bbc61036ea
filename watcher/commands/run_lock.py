"""One writing run per project at a time: a manual `verify` and a scheduled one never overlap.

The clone cache has its own lock, held only while syncing and reading. This one covers a whole
verify run (read the snapshot, check, write the card and snapshot, commit, push). It is an flock
on the project directory itself (the directory of the config): two runs on one project meet
there whatever cache each uses, two projects sharing a cache never wait for each other, and no
lock file appears in the project's checkout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from watcher.errors import WatcherError
from watcher.lock import LockTimeout, exclusive_dir, holder

DEFAULT_WAIT_SECONDS = 600.0


class RunLockBusy(WatcherError):
    """Another watcher run on the same project held the run lock for longer than we would wait."""


def run_lock_path(config_path: Path) -> Path:
    """What the run lock locks: the project directory."""
    return config_path.resolve().parent


def _holder(path: Path) -> str:
    found = holder(path)
    return found if found.startswith("pid ") else "another process"


@contextmanager
def run_lock(config_path: Path, wait: float, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the project's run lock; wait up to `wait` seconds for another run to finish."""
    project = path = run_lock_path(config_path)

    def waiting(_line: str) -> None:
        say(
            f"watcher: another run ({_holder(path)}) is working on {project}; "
            f"waiting up to {wait:.0f}s for it to finish"
        )

    with ExitStack() as stack:
        try:
            stack.enter_context(exclusive_dir(path, wait, waiting))
        except LockTimeout:
            raise RunLockBusy(
                f"another watcher run ({_holder(path)}) is still working on {project}; "
                f"gave up waiting after {wait:.0f}s: try again when it has finished, "
                "or wait longer with --lock-wait SECONDS"
            ) from None
        yield
