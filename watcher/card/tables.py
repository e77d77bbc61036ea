"""Every table of a card, and the statements its rows make, for the coverage report.

A table is named by the heading above it. A *matrix* (every body cell after the first column is
a verdict word such as YES or NO, like the Hook Coverage table) states one thing per cell; any
other table states one thing per row. The Sources table is not a statement: it is what the
claims are bound to, and it is reported on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.card.document import VERDICT_WORDS, CardTable, TableRow, read_document

__all__ = [
    "VERDICT_WORDS",
    "CardTable",
    "Statement",
    "StatementRef",
    "TableRow",
    "card_statements",
    "cell_answer",
    "cell_text",
    "covers",
    "parse_tables",
    "ref_problem",
]

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
class Statement:
    ref: StatementRef
    text: str
    line: int


def parse_tables(text: str) -> list[CardTable]:
    """Every GFM table outside code blocks and front matter, named by the heading above it."""
    return list(read_document(text).tables)


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
