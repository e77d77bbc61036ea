"""Move Last Verified dates: a Sources row is dated when every claim bound to it passed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from watcher.actions.atomic import Planned, WriteError, write_atomic
from watcher.card import CardError, SourceRow, parse_sources, read_card, set_last_verified

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DateChange:
    source: str
    old: str
    new: str
    line: int


@dataclass(frozen=True)
class HeldRow:
    """A Sources row whose date stays: the claims bound to it that did not pass."""

    source: str
    claims: tuple[tuple[str, str], ...]  # (claim id, status: drift | error)

    WHY: ClassVar[dict[str, str]] = {"drift": "drifted", "error": "could not be checked"}

    @property
    def reason(self) -> str:
        return "; ".join(f"{claim} {self.WHY.get(status, status)}" for claim, status in self.claims)


def rows_to_date(verdicts: Iterable[tuple[str, str, str]]) -> tuple[set[str], list[HeldRow]]:
    """From (claim id, Sources row, status) of every claim: the rows whose claims all passed, and
    the rows held back with the claims that hold them (in the order the claims came)."""
    bound: dict[str, list[tuple[str, str]]] = {}
    for claim, source, status in verdicts:
        bound.setdefault(source, []).append((claim, status))
    passed = {source for source, claims in bound.items() if all(s == "pass" for _, s in claims)}
    held = [
        HeldRow(source, tuple((c, s) for c, s in claims if s != "pass"))
        for source, claims in bound.items()
        if source not in passed
    ]
    return passed, held


@dataclass(frozen=True)
class DatePlan:
    text: str  # the card with the dates moved
    changes: list[DateChange]
    before: list[SourceRow]  # the Sources rows as they were
    notes: list[str]  # cells left alone, and why


def plan_dates(path: Path, vouched: Iterable[str], today: str) -> DatePlan:
    """The new card text and the changes, for rows named in `vouched` (all their claims passed).

    A date never moves backwards (a `--today` earlier than the cell leaves it), a cell that is
    not a date (a person's "manual check 2026-01") is left alone with a note, and a source
    listed twice is dated in both rows with a warning.
    """
    text = read_card(path)
    table = parse_sources(text, str(path))
    wanted = set(vouched)
    rows: list[SourceRow] = []
    notes: list[str] = []
    counts = Counter(row.source for row in table.rows)
    for source, count in counts.items():
        if count > 1:
            notes.append(f"{path}: Sources lists {source} {count} times; keep one row")
    for row in table.rows:
        if row.source not in wanted or row.last_verified == today:
            continue
        if not _DATE.fullmatch(row.last_verified):
            notes.append(
                f"{path}:{row.line}: Last Verified of {row.source} is {row.last_verified!r}, "
                "not a date (YYYY-MM-DD); left as written"
            )
            continue
        if row.last_verified > today:
            notes.append(
                f"{path}:{row.line}: Last Verified of {row.source} is {row.last_verified}, "
                f"later than {today}; a date never moves backwards"
            )
            continue
        rows.append(row)
    changes = [DateChange(row.source, row.last_verified, today, row.line) for row in rows]
    return DatePlan(set_last_verified(text, rows, today), changes, list(table.rows), notes)


def planned_card(
    path: Path, text: str, before: list[SourceRow], changes: list[DateChange]
) -> Planned:
    """The card's new text, checked on write: the same table with only those dates moved."""
    moved = {change.source: change.new for change in changes}

    def validate(written: str) -> None:
        rows = parse_sources(written, str(path)).rows
        expected = [(row.source, moved.get(row.source, row.last_verified)) for row in before]
        if [(row.source, row.last_verified) for row in rows] != expected:
            raise WriteError(f"{path}: date update would change the Sources table; nothing written")

    return Planned(path, text, validate)


def write_card(path: Path, text: str, before: list[SourceRow], changes: list[DateChange]) -> None:
    """Write atomically, after checking the new text has the same table with only those dates moved."""
    planned = planned_card(path, text, before, changes)
    try:
        write_atomic(path, text, planned.validate)
    except CardError as exc:
        raise WriteError(str(exc)) from None
