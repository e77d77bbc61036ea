"""Rewrite Last Verified cells: only the date characters change, everything else stays byte-equal."""

from __future__ import annotations

from collections.abc import Iterable

from watcher.card.sources import SourceRow


def set_last_verified(text: str, rows: Iterable[SourceRow], date: str) -> str:
    """The card text with each given row's date cell replaced by `date`."""
    spans = sorted((row.date_span for row in rows), reverse=True)
    for start, end in spans:
        text = text[:start] + date + text[end:]
    return text
