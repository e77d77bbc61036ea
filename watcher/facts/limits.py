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
    # Wall time all of one run's child processes may take together; past it, files that need a
    # child are refused (many hostile files must not hold the run for hours).
    parse_budget_seconds: int = 300


_current = ParseLimits()
_spent = 0.0  # seconds the run's child processes took so far


def configure(limits: ParseLimits) -> None:
    """Set the limits for a new run (and start its budget afresh)."""
    global _current, _spent
    _current = limits
    _spent = 0.0


def current() -> ParseLimits:
    return _current


def charge(seconds: float) -> None:
    global _spent
    _spent += seconds


def spent() -> float:
    return _spent


def too_large(path: str, size: int, limits: ParseLimits) -> str:
    return f"{path}: {size} bytes exceeds the limit {limits.max_bytes} (limits.max_bytes)"
