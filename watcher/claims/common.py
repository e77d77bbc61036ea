"""Helpers shared by claim kinds: the upstream file a claim reads, whether it is still there,
and JSON fact diffs."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any

from watcher.claims.interface import FactRequest, Param
from watcher.errors import WatcherError
from watcher.facts import SourceTree

_BLOB_URL = re.compile(r"^https://github\.com/[^/]+/[^/]+/blob/[^/]+/(.+)$")

FILE_PARAM = Param(
    str, "upstream path of the file to analyse (default: the path in the source URL)"
)


def file_of(source: str, values: Mapping[str, Any]) -> str:
    """The upstream path a claim reads: its `file` parameter, else the path in its source URL."""
    if values.get("file"):
        return str(values["file"])
    match = _BLOB_URL.match(source)
    return match.group(1) if match else ""


def default_scope(cited: str) -> tuple[str, ...]:
    """A scope claim's default: the package of the cited file, subpackages included."""
    return (f"{posixpath.dirname(cited)}/**/*.py",)


def scope_request(
    cited: str, auth: Sequence[str], scope: Sequence[str], exclude: Sequence[str] = ()
) -> FactRequest:
    """The routes registered in a scope. One spelling for every claim that asks, so claims on
    the same package share one extraction (and one facts-cache entry)."""
    params = (
        ("auth", ",".join(auth)),
        ("scope", "\n".join(scope)),
        ("exclude", "\n".join(exclude)),
    )
    return FactRequest("routes-scope", cited, params)


def _short(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def json_diff(old: Any, new: Any, where: str = "") -> list[str]:
    """Printable differences between two JSON values: `where: old -> new`, `+ where: x`, `- where: x`."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for key in sorted(old.keys() | new.keys()):
            path = f"{where}.{key}" if where else key
            if key not in new:
                lines.append(f"- {path}: {_short(old[key])}")
            elif key not in old:
                lines.append(f"+ {path}: {_short(new[key])}")
            else:
                lines.extend(json_diff(old[key], new[key], path))
        return lines
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        lines = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            lines.extend(json_diff(a, b, f"{where}[{index}]"))
        return lines
    if isinstance(old, list) and isinstance(new, list):
        lines = [f"- {where}[{i}]: {_short(x)}" for i, x in enumerate(old) if x not in new]
        lines += [f"+ {where}[{i}]: {_short(x)}" for i, x in enumerate(new) if x not in old]
        if lines:
            return lines
    if old == new:
        return []
    return [f"{where}: {_short(old)} -> {_short(new)}"]


def file_is_gone(tree: SourceTree, path: str) -> bool:
    """The claim's file is not in the tree at this commit (as opposed to present but unreadable)."""
    try:
        suffix = posixpath.splitext(path)[1] or ".py"
        return path not in set(tree.paths(suffix, posixpath.dirname(path)))
    except WatcherError:
        return False  # cannot tell: report the extraction error as it is
