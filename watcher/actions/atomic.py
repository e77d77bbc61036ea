"""Write files whole or not at all: temp files in the same directory, validate, fsync, rename.

`write_together` lands a group of files (a card and its snapshot) as one: every temporary file
is written and checked before the first rename, and when a later rename fails the earlier ones
are put back, so a card never carries new dates next to an old snapshot.

Modes: a replaced file keeps its mode; a new file gets the mode `open()` would give it (0666
less the umask), not mkstemp's 0600. A file its owner made read-only is a refusal, never replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watcher.errors import WatcherError

TEMP_SUFFIX = ".tmp"


class WriteError(WatcherError):
    """A card, snapshot or report could not be written; the old file is untouched."""


@dataclass(frozen=True)
class Planned:
    """One file of a group: its path, its whole new text, and a check of the text read back."""

    path: Path
    text: str
    validate: Callable[[str], None] | None = None


def temp_prefix(path: Path) -> str:
    """Temporary files of `path` are `.NAME.<random>.tmp` next to it (see `leftovers`)."""
    return f".{path.name}."


def leftovers(path: Path) -> list[Path]:
    """Temporary files a killed run left next to `path`."""
    try:
        return sorted(
            entry
            for entry in path.parent.iterdir()
            if entry.name.startswith(temp_prefix(path)) and entry.name.endswith(TEMP_SUFFIX)
        )
    except OSError:
        return []


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _refuse_read_only(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteError(
            f"{path}: cannot write ({exc.strerror}); the file was left as it was"
        ) from None
    if not mode & stat.S_IWUSR:
        raise WriteError(
            f"{path}: the file is read-only; not replaced (make it writable to let watcher update it)"
        )


def _stage(item: Planned) -> str:
    """Write and check the temporary file of one item; returns its path."""
    path = item.path
    _refuse_read_only(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise WriteError(
            f"{path}: cannot write ({exc.strerror}); the file was left as it was"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(item.text)
            handle.flush()
            os.fsync(handle.fileno())
        if item.validate is not None:
            item.validate(Path(temp).read_text(encoding="utf-8", errors="strict"))
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = _new_file_mode()
        os.chmod(temp, mode)
    except OSError as exc:
        _remove(temp)
        raise WriteError(
            f"{path}: cannot write ({exc.strerror}); the file was left as it was"
        ) from None
    except BaseException:
        _remove(temp)
        raise
    return temp


def _remove(temp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)


def write_atomic(path: Path, text: str, validate: Callable[[str], None] | None = None) -> None:
    """Replace `path` with `text`. `validate` re-reads the written text and raises if it is wrong."""
    write_together([Planned(path, text, validate)])


def write_together(items: Sequence[Planned]) -> None:
    """Replace every file in `items`, or none of them. The error says what was and was not written."""
    temps: list[str] = []
    try:
        for item in items:
            temps.append(_stage(item))
    except WatcherError as exc:
        for temp in temps:
            _remove(temp)
        if len(items) == 1:
            raise
        names = ", ".join(str(item.path) for item in items)
        raise WriteError(f"{exc}; nothing was written ({names} left as they were)") from None
    except BaseException:
        for temp in temps:
            _remove(temp)
        raise
    backups: list[tuple[Path, str | None]] = []  # (path, hard link to its old content, or None)
    try:
        for item, temp in zip(items, temps, strict=True):
            backups.append((item.path, _backup(item.path) if len(items) > 1 else None))
            try:
                os.replace(temp, item.path)
            except OSError as exc:
                _path, untouched = backups.pop()
                if untouched is not None:
                    _remove(untouched)
                raise WriteError(_failed(items, item, backups, exc)) from None
    except BaseException:
        for temp in temps:
            _remove(temp)
        _restore(backups)
        raise
    for _path, backup in backups:
        if backup is not None:
            _remove(backup)


def _backup(path: Path) -> str | None:
    """A hard link to the file as it is, to put it back if a later rename of the group fails."""
    if not path.exists():
        return None
    backup = str(path.with_name(f"{temp_prefix(path)}old{TEMP_SUFFIX}"))
    _remove(backup)
    try:
        os.link(path, backup)
    except OSError as exc:
        raise WriteError(
            f"{path}: cannot keep a copy to restore ({exc.strerror}); nothing was written"
        ) from None
    return backup


def _restore(backups: list[tuple[Path, str | None]]) -> None:
    for path, backup in reversed(backups):
        try:
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(backup, path)
        except OSError:
            pass


def _failed(
    items: Sequence[Planned], failed: Planned, done: list[tuple[Path, str | None]], exc: OSError
) -> str:
    reason = f"{failed.path}: cannot write ({exc.strerror})"
    if not done:
        return f"{reason}; " + (
            "the file was left as it was" if len(items) == 1 else "nothing was written"
        )
    put_back = ", ".join(str(path) for path, _ in done)
    return f"{reason}; {put_back} put back as it was; nothing was written"
