"""Limits on the upstream files watcher parses (watcher.toml `[limits]`), and the run's current set.

Upstream files are untrusted input. A file over a limit is not parsed: the claims that need it
error with a message that names the limit. The commands set the configured limits once per run
(`configure`); forked history workers inherit them.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.facts.interface import FactsError


class ParseLimitError(FactsError):
    """A file was not parsed: it is over a limit, or libcst failed on it in the child process."""


@dataclass(frozen=True)
class ParseLimits:
    max_bytes: int = 2 * 1024 * 1024  # a blob larger than this is not read
    max_depth: int = 100  # bracket nesting (CPython itself refuses more than 200)
    max_line: int = 20_000  # characters in one line
    # For files outside the envelope measured safe in-process: the child process that parses
    # them first gets this much address space, CPU time and wall time.
    parse_memory_mb: int = 2048
    parse_seconds: int = 30


_current = ParseLimits()


def configure(limits: ParseLimits) -> None:
    global _current
    _current = limits


def current() -> ParseLimits:
    return _current


def too_large(path: str, size: int, limits: ParseLimits) -> str:
    return f"{path}: {size} bytes exceeds the limit {limits.max_bytes} (limits.max_bytes)"
