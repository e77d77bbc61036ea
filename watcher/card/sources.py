"""Find the card's Sources table and locate every Last Verified cell, down to the character.

The card is the user's text: we read it exactly (newlines included) and remember where each cell
sits, so that a date update rewrites those characters and nothing else.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from watcher.errors import WatcherError

DATE_COLUMN = "last verified"
# Headers that name the column holding the source (a URL or path); else the first other column.
SOURCE_COLUMNS = ("source", "sources", "url", "link", "file", "path")
_DELIMITER_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")


class CardError(WatcherError):
    """The card cannot be read or has no usable Sources table."""


@dataclass(frozen=True)
class SourceRow:
    """One row of the Sources table; `date_span` is the [start, end) of its date text in the card."""

    source: str
    kind: str
    last_verified: str
    line: int
    date_span: tuple[int, int]


@dataclass(frozen=True)
class SourcesTable:
    rows: tuple[SourceRow, ...]

    def find(self, source: str) -> SourceRow | None:
        return next((row for row in self.rows if row.source == source), None)


def read_card(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        raise CardError(f"{path}: card not found") from None
    except UnicodeDecodeError as exc:
        raise CardError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CardError(f"{path}: cannot read card ({exc.strerror})") from None


def pipe_cells(line: str, offset: int) -> list[tuple[str, int, int]]:
    """Split a pipe-table line into (text, start, end) cells, positions absolute in the card."""
    body_start = len(line) - len(line.lstrip())
    body = line.rstrip("\r\n")
    end = len(body.rstrip())
    if body_start >= end or body[body_start] != "|":
        return []
    bounds = [
        i for i in range(body_start, end) if body[i] == "|" and (i == 0 or body[i - 1] != "\\")
    ]
    if body[end - 1] != "|":
        bounds.append(end)
    cells = []
    for left, right in itertools.pairwise(bounds):
        raw = body[left + 1 : right]
        text = raw.strip()
        start = left + 1 + (len(raw) - len(raw.lstrip()))
        cells.append((text, offset + start, offset + start + len(text)))
    return cells


def source_column(names: list[str], date_col: int) -> int:
    """The column named like a source (Source, URL, ...), else the first that is not the date."""
    for wanted in SOURCE_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    return 1 if date_col == 0 and len(names) > 1 else 0


def parse_sources(text: str, where: str) -> SourcesTable:
    """The one table whose header has a 'Last Verified' column; the column headed Source (or the
    first other column) names the source."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    tables: list[SourcesTable] = []
    index = 0
    while index < len(lines):
        header = pipe_cells(lines[index], offsets[index])
        names = [cell[0].lower() for cell in header]
        if DATE_COLUMN not in names or index + 1 >= len(lines):
            index += 1
            continue
        delimiter = pipe_cells(lines[index + 1], offsets[index + 1])
        if not delimiter or not all(_DELIMITER_CELL.match(cell[0] or "") for cell in delimiter):
            index += 1
            continue
        date_col = names.index(DATE_COLUMN)
        kind_col = names.index("type") if "type" in names else None
        source_col = source_column(names, date_col)
        rows = []
        index += 2
        while index < len(lines):
            cells = pipe_cells(lines[index], offsets[index])
            if not cells:
                break
            if len(cells) <= date_col:
                raise CardError(f"{where}:{index + 1}: Sources row has no Last Verified cell")
            text_, start, end = cells[date_col]
            kind = cells[kind_col][0] if kind_col is not None and kind_col < len(cells) else ""
            source = cells[source_col][0] if source_col < len(cells) else ""
            rows.append(SourceRow(source, kind, text_, index + 1, (start, end)))
            index += 1
        tables.append(SourcesTable(tuple(rows)))
    if not tables:
        raise CardError(
            f"{where}: no Sources table with a 'Last Verified' column "
            "(add a pipe table whose header has 'Source | ... | Last Verified')"
        )
    if len(tables) > 1:
        raise CardError(f"{where}: more than one table has a 'Last Verified' column; keep one")
    return tables[0]
