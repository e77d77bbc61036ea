"""Write a file whole or not at all: temp file in the same directory, validate, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from watcher.errors import WatcherError


class WriteError(WatcherError):
    """A card or snapshot could not be written; the old file is untouched."""


def write_atomic(path: Path, text: str, validate: Callable[[str], None] | None = None) -> None:
    """Replace `path` with `text`. `validate` re-reads the written text and raises if it is wrong."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        written = Path(temp).read_text(encoding="utf-8", errors="strict") if validate else text
        if validate is not None:
            validate(written)
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except OSError as exc:
        raise WriteError(
            f"{path}: cannot write ({exc.strerror}); the file was left as it was"
        ) from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
