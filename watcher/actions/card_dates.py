"""Move Last Verified dates: only rows whose every claim passed, only when the whole card verified."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from watcher.actions.atomic import WriteError, write_atomic
from watcher.card import CardError, SourceRow, parse_sources, read_card, set_last_verified


@dataclass(frozen=True)
class DateChange:
    source: str
    old: str
    new: str
    line: int


def plan_dates(
    path: Path, vouched: Iterable[str], today: str
) -> tuple[str, list[DateChange], list[SourceRow]]:
    """The new card text and the changes, for rows named in `vouched` (all their claims passed)."""
    text = read_card(path)
    table = parse_sources(text, str(path))
    wanted = set(vouched)
    rows = [row for row in table.rows if row.source in wanted and row.last_verified != today]
    changes = [DateChange(row.source, row.last_verified, today, row.line) for row in rows]
    return set_last_verified(text, rows, today), changes, list(table.rows)


def write_card(path: Path, text: str, before: list[SourceRow], changes: list[DateChange]) -> None:
    """Write atomically, after checking the new text has the same table with only those dates moved."""
    moved = {change.source: change.new for change in changes}

    def validate(written: str) -> None:
        rows = parse_sources(written, str(path)).rows
        expected = [(row.source, moved.get(row.source, row.last_verified)) for row in before]
        if [(row.source, row.last_verified) for row in rows] != expected:
            raise CardError(f"{path}: date update would change the Sources table; nothing written")

    try:
        write_atomic(path, text, validate)
    except CardError as exc:
        raise WriteError(str(exc)) from None
