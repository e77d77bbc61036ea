"""The card as a Markdown document: one reader (markdown-it-py) for everything watcher reads in it.

Tables (GFM), fenced code blocks with their info strings, inline code spans with where they sit
(section heading, and table/row/column when inside a table), and the YAML front matter. Line
numbers are 1-based lines of the card's text, from the parser's source line maps; the only text
we rewrite ourselves (a Last Verified cell) is located from those line maps.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from watcher.card import stored

DATE_COLUMN = "last verified"
VERDICT_WORDS = {
    *("yes", "no", "true", "false", "partial", "partly", "n/a", "-", "?"),
    *("✓", "✔", "✗", "✘", "x"),
}


@dataclass(frozen=True)
class TableRow:
    """A body row: `key` is its first cell (made unique within the table), `cells` its raw text."""

    key: str
    cells: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class CardTable:
    """A GFM table, named by the heading above it (made unique within the card)."""

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
class CodeBlock:
    """A fenced (or indented: `language` "") code block. `language` is the info string's first
    word, lower-cased; `line` is the first line of its content."""

    language: str
    text: str
    line: int
    section: str


@dataclass(frozen=True)
class CodeSpan:
    """An inline code span. Inside a table, `table`/`row`/`column` say which cell (row "" for the
    header); else they are empty and `section` (the heading above) places it."""

    text: str
    line: int
    section: str
    table: str = ""
    row: str = ""
    column: str = ""


@dataclass(frozen=True)
class CardDocument:
    front_matter: dict[str, object] = field(default_factory=dict)
    front_matter_error: str = ""
    tables: tuple[CardTable, ...] = ()
    blocks: tuple[CodeBlock, ...] = ()
    spans: tuple[CodeSpan, ...] = ()


@functools.lru_cache(maxsize=16)
def read_document(text: str) -> CardDocument:
    """Everything watcher reads in a card, in document order. Cached per text in the process
    (config loading, coverage and the date update read the same card several times in one run)
    and, when a run has a cache directory, on disk: a run on an unchanged card neither imports
    nor runs the Markdown parser. Callers must not mutate the result (its front matter is a dict)."""
    found = stored.load("document", text)
    if isinstance(found, CardDocument):
        return found
    from watcher.card.markdown import parse_document  # markdown-it and PyYAML: only on a miss

    document = parse_document(text)
    stored.save("document", text, document)
    return document
