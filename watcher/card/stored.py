"""A card's analysis kept on disk, by its exact text: a run on an unchanged card reads JSON instead
of importing and running the Markdown and YAML parsers (the daily run's case).

Entries live in the run's cache directory (`cards/`), under a version that digests the reader's
own sources and the parser releases: a change to either starts afresh. Only dataclasses of
`watcher.card` holding tuples, strings, numbers, booleans and dicts are stored; anything else
(a front matter date) is simply not stored. A damaged or unreadable entry is a miss, and a cache
that cannot be written only costs time: nothing here can change what a card says.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

_PACKAGE = "watcher.card"
# The files whose code decides what is stored (relative to the watcher package).
_SOURCES = (
    "card/document.py",
    "card/markdown.py",
    "card/references.py",
    "card/stored.py",
    "factcache/codec.py",
)
_state: dict[str, Path | str | None] = {"directory": None, "version": None}


def use(directory: Path | None) -> None:
    """Keep card analyses under `directory` (None: in memory only) for the rest of the process."""
    _state["directory"] = directory


def _version() -> str:
    if _state["version"] is None:
        digest = hashlib.sha256()
        here = Path(__file__).resolve().parent.parent
        for name in _SOURCES:
            digest.update((here / name).read_bytes())
        # The parsers' installed files, by size and time: an upgrade starts afresh. (Asking
        # importlib.metadata for versions costs more than the whole stored read saves.)
        for module in ("markdown_it", "mdit_py_plugins", "yaml"):
            spec = importlib.util.find_spec(module)
            origin = spec.origin if spec is not None else None
            stat = os.stat(origin) if origin else None
            digest.update(
                f"{module}={stat.st_size if stat else 0}:{stat.st_mtime_ns if stat else 0}".encode()
            )
        _state["version"] = digest.hexdigest()[:20]
    return str(_state["version"])


def _path(kind: str, key: str) -> Path | None:
    directory = _state["directory"]
    if not isinstance(directory, Path):
        return None
    name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return directory / _version() / kind / f"{name}.json"


def load(kind: str, key: str) -> Any:
    """The stored value for `key`, or None."""
    path = _path(kind, key)
    if path is None:
        return None
    # The facts cache's codec, imported here: the card package loads before the factcache one.
    from watcher.factcache.codec import decode

    try:
        return decode(json.loads(path.read_text(encoding="utf-8")), _PACKAGE)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def save(kind: str, key: str, value: Any) -> None:
    path = _path(kind, key)
    if path is None:
        return
    import tempfile  # only when something is written: a run on an unchanged card does not

    from watcher.factcache.codec import Uncacheable, encode

    try:
        text = json.dumps(encode(value, _PACKAGE), ensure_ascii=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except (Uncacheable, OSError, ValueError):
        return
