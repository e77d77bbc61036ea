"""The knowledge card: its Sources table, read and rewritten cell by cell."""

from watcher.card.dates import set_last_verified
from watcher.card.sources import CardError, SourceRow, SourcesTable, parse_sources, read_card

__all__ = [
    "CardError",
    "SourceRow",
    "SourcesTable",
    "parse_sources",
    "read_card",
    "set_last_verified",
]
