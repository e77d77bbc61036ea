"""The cache version: it changes whenever anything that could change an extraction's result changes.

That is watcher's own code (the extractors, the parse step, the wrapper that turns exceptions into
errors), the libcst release and the Python release (the stdlib `ast` gives the line numbers). The
whole `watcher` package is hashed rather than a hand-kept list of modules, so an extractor that
grows a helper somewhere else can never be served stale facts; the price is one re-parse of the
watched files after an upgrade of watcher.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from functools import cache
from pathlib import Path

FORMAT = 1
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _libcst_release() -> str:
    spec = importlib.util.find_spec("libcst")  # locates the package without importing it
    if spec is None or spec.origin is None:
        return "libcst-missing"
    marker = Path(spec.origin).parent / "_version.py"
    try:
        return marker.read_text(encoding="utf-8")
    except OSError:
        return spec.origin


def source_version(root: Path) -> str:
    """A digest of every Python source under `root`, plus the format, libcst and Python."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\npython {sys.version}\n".encode())
    digest.update(_libcst_release().encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@cache
def cache_version() -> str:
    return source_version(PACKAGE_ROOT)
