"""The card as a Markdown document: one reader (markdown-it-py) for everything watcher reads in it.

Tables (GFM), fenced code blocks with their info strings, inline code spans with where they sit
(section heading, and table/row/column when inside a table), links, and the YAML front matter.
Line numbers are 1-based lines of the card's text, from the parser's source line maps; the only
text we rewrite ourselves (a Last Verified cell) is located from those line maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
