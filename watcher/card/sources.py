"""Find the card's Sources table and locate every Last Verified cell, down to the character.

The card is the user's text: we read it exactly (newlines included) and remember where each cell
sits, so that a date update rewrites those characters and nothing else. The Markdown parser
(`document.read_document`) decides which tables and rows exist; the characters of a row's cells
are found by splitting that row's own line, and must agree with what the parser read.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from watcher.card.document import DATE_COLUMN, CardTable, read_document
from watcher.errors import WatcherError

# Headers that name the column holding the source (a URL or path); else the first other column.
SOURCE_COLUMNS = ("source", "sources", "url", "link", "file", "path")
# Lines as the Markdown parser counts them: \r\n, \r and \n end a line, nothing else does
# (str.splitlines would also split at \f, \x1c, \u2028, ...).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


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
    """Split one table row's line into (text, start, end) cells, positions absolute in the card.

    Used only to locate the characters of a row the Markdown parser has already read; the outer
    pipes are optional, as in GFM."""
    body = line.rstrip("\r\n")
    body_start = len(body) - len(body.lstrip())
    end = len(body.rstrip())
    if body_start >= end:
        return []
    bounds = [
        i for i in range(body_start, end) if body[i] == "|" and (i == 0 or body[i - 1] != "\\")
    ]
    if not bounds or bounds[0] != body_start:
        bounds.insert(0, body_start - 1)
    if bounds[-1] != end - 1:
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
    tables = [table for table in read_document(text).tables if table.is_sources]
    if not tables:
        raise CardError(
            f"{where}: no Sources table with a 'Last Verified' column "
            "(add a pipe table whose header has 'Source | ... | Last Verified')"
        )
    if len(tables) > 1:
        raise CardError(f"{where}: more than one table has a 'Last Verified' column; keep one")
    return _sources_table(text, where, tables[0])


def _sources_table(text: str, where: str, table: CardTable) -> SourcesTable:
    lines = [match.group() for match in _LINE.finditer(text)]
    offsets = list(itertools.accumulate((len(line) for line in lines), initial=0))
    names = [cell.lower() for cell in table.header]
    date_col = names.index(DATE_COLUMN)
    kind_col = names.index("type") if "type" in names else None
    source_col = source_column(names, date_col)
    rows = []
    for row in table.rows:
        cells = pipe_cells(lines[row.line - 1], offsets[row.line - 1])
        if len(cells) <= date_col:
            raise CardError(f"{where}:{row.line}: Sources row has no Last Verified cell")
        written = tuple(cell[0] for cell in cells)
        if any(a != b for a, b in zip(written, row.cells, strict=False)):
            raise CardError(
                f"{where}:{row.line}: cannot tell where this Sources row's cells are on its line "
                f"(read {list(row.cells)!r}, the line splits into {list(written)!r}); "
                "write the row on one line, between pipes"
            )
        date, start, end = cells[date_col]
        kind = row.cells[kind_col] if kind_col is not None and kind_col < len(row.cells) else ""
        source = row.cells[source_col] if source_col < len(row.cells) else ""
        rows.append(SourceRow(source, kind, date, row.line, (start, end)))
    return SourcesTable(tuple(rows))
