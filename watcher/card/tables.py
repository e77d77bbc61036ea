"""Every pipe table of a card, and the statements its rows make, for the coverage report.

A table is named by the heading above it. A *matrix* (every body cell after the first column is
a verdict word such as YES or NO, like the Hook Coverage table) states one thing per cell; any
other table states one thing per row. The Sources table is not a statement: it is what the
claims are bound to, and it is reported on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.card.sources import DATE_COLUMN, pipe_cells

VERDICT_WORDS = {
    *("yes", "no", "true", "false", "partial", "partly", "n/a", "-", "?"),
    *("✓", "✔", "✗", "✘", "x"),
}
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_DELIMITER = re.compile(r"^\s*:?-+:?\s*$")  # GFM: one hyphen is enough
# A cell a claim can read as its expected answer: YES or NO, however it is spelled.
_AFFIRMATIVE = {"yes", "y", "true", "✓", "✔"}
_NEGATIVE = {"no", "n", "false", "✗", "✘"}


def cell_answer(text: str) -> bool | None:
    """YES -> True, NO -> False (also yes/no, true/false, ✓/✗, in bold or code); else None."""
    word = text.strip("`*_ ").lower()
    return True if word in _AFFIRMATIVE else False if word in _NEGATIVE else None


@dataclass(frozen=True)
class StatementRef:
    """What a claim says it checks: a row of a table, or one cell of it (`column`)."""

    table: str
    row: str
    column: str = ""

    def __str__(self) -> str:
        return " / ".join(part for part in (self.table, self.row, self.column) if part)


@dataclass(frozen=True)
class TableRow:
    key: str
    cells: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class CardTable:
    name: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    line: int

    @property
    def is_sources(self) -> bool:
        return DATE_COLUMN in (cell.lower() for cell in self.header)

    @property
    def is_matrix(self) -> bool:
        body = [cell for row in self.rows for cell in row.cells[1:]]
        return bool(body) and all(cell.strip("`*_ ").lower() in VERDICT_WORDS for cell in body)

    def row(self, key: str) -> TableRow | None:
        return next((row for row in self.rows if row.key == key), None)


@dataclass(frozen=True)
class Statement:
    ref: StatementRef
    text: str
    line: int


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... when a card repeats it."""
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name} ({count})"
    taken.add(candidate)
    return candidate


def _front_matter_end(lines: list[str]) -> int:
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            return index + 1
    return 0


def parse_tables(text: str) -> list[CardTable]:
    """Every pipe table outside code fences and front matter, named by the heading above it."""
    lines = text.splitlines(keepends=True)
    tables: list[CardTable] = []
    names: set[str] = set()
    heading, fence = "", ""
    index = _front_matter_end(lines)
    while index < len(lines):
        line = lines[index]
        opener = _FENCE.match(line)
        if fence or opener:  # inside a code block nothing is a heading or a table
            if not fence and opener:
                fence = opener.group(1)
            elif opener and opener.group(1) == fence:
                fence = ""
            index += 1
            continue
        if match := _HEADING.match(line):
            heading = match.group(1)
        header = [cell[0] for cell in pipe_cells(line, 0)]
        delimiter = pipe_cells(lines[index + 1], 0) if index + 1 < len(lines) else []
        if not header or not delimiter or not all(_DELIMITER.match(c[0]) for c in delimiter):
            index += 1
            continue
        start = index + 1
        index += 2
        rows: list[TableRow] = []
        keys: set[str] = set()
        while index < len(lines) and (cells := [c[0] for c in pipe_cells(lines[index], 0)]):
            rows.append(TableRow(_unique(cells[0], keys), tuple(cells), index + 1))
            index += 1
        tables.append(CardTable(_unique(heading, names), tuple(header), tuple(rows), start))
    return tables


def card_statements(tables: list[CardTable]) -> list[Statement]:
    """One statement per cell of a matrix, one per row of any other table; Sources excluded."""
    out: list[Statement] = []
    for table in tables:
        if table.is_sources:
            continue
        for row in table.rows:
            if table.is_matrix:
                for column, cell in zip(table.header[1:], row.cells[1:], strict=False):
                    out.append(Statement(StatementRef(table.name, row.key, column), cell, row.line))
            else:
                text = " | ".join(row.cells[1:])
                out.append(Statement(StatementRef(table.name, row.key), text, row.line))
    return out


def covers(claim: StatementRef, statement: StatementRef) -> bool:
    """A claim that names a row covers every cell of it; one that names a cell covers that cell."""
    return (
        claim.table == statement.table
        and claim.row == statement.row
        and claim.column in ("", statement.column)
    )


def cell_text(tables: list[CardTable], ref: StatementRef) -> str | None:
    """The text of the one cell `ref` names in a matrix table (None: a row, or not a matrix)."""
    table = next((t for t in tables if t.name == ref.table and not t.is_sources), None)
    row = table.row(ref.row) if table is not None else None
    if table is None or row is None or not ref.column or not table.is_matrix:
        return None
    index = table.header.index(ref.column) if ref.column in table.header else -1
    return row.cells[index] if 0 < index < len(row.cells) else None


def ref_problem(tables: list[CardTable], ref: StatementRef) -> tuple[str, str] | None:
    """(key, what is wrong) when `ref` names no table, row or column of the card; else None."""
    table = next((t for t in tables if t.name == ref.table and not t.is_sources), None)
    if table is None:
        known = ", ".join(repr(t.name) for t in tables if not t.is_sources)
        return "table", f"no table under a heading {ref.table!r} (tables: {known})"
    if table.row(ref.row) is None:
        known = ", ".join(repr(row.key) for row in table.rows)
        return "row", f"no row {ref.row!r} in table {ref.table!r} (rows: {known})"
    if ref.column and ref.column not in table.header[1:]:
        known = ", ".join(repr(column) for column in table.header[1:])
        return "column", f"no column {ref.column!r} in table {ref.table!r} (columns: {known})"
    return None
