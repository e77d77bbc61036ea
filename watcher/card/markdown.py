"""The Markdown parse of a card (markdown-it-py with GFM tables, mdit-py-plugins for the front
matter, PyYAML for it): imported only when a card's analysis is not stored already."""

from __future__ import annotations

from collections.abc import Sequence

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from watcher.card.document import CardDocument, CardTable, CodeBlock, CodeSpan, TableRow

_MARKDOWN = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


def parse_document(text: str) -> CardDocument:
    """Parse a card: tables, code blocks, code spans and front matter, in document order."""
    tokens = _MARKDOWN.parse(text)
    front_matter: dict[str, object] = {}
    front_matter_error = ""
    tables: list[CardTable] = []
    blocks: list[CodeBlock] = []
    spans: list[CodeSpan] = []
    names: set[str] = set()
    section = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "front_matter":
            front_matter, front_matter_error = _front_matter(token.content)
        elif token.type == "heading_open":
            section = tokens[index + 1].content  # the inline token holding the heading's text
        elif token.type == "table_open":
            index, table, cell_spans = _read_table(tokens, index, _unique(section, names), section)
            tables.append(table)
            spans.extend(cell_spans)
        elif token.type in ("fence", "code_block"):
            language = token.info.split()[0].lower() if token.info.split() else ""
            first = _line(token) + (1 if token.type == "fence" else 0)
            blocks.append(CodeBlock(language, token.content, first, section))
        elif token.type == "inline":
            spans.extend(_code_spans(token, section))
        index += 1
    return CardDocument(
        front_matter, front_matter_error, tuple(tables), tuple(blocks), tuple(spans)
    )


def table_cell(token: Token) -> str:
    """The raw text of a table cell. The parser drops the backslash of each escaped pipe (`\\|`)
    when it splits a row into cells; every pipe left in a cell was written escaped."""
    return token.content.replace("|", "\\|")


def _read_table(
    tokens: Sequence[Token], start: int, name: str, section: str
) -> tuple[int, CardTable, list[CodeSpan]]:
    """The table opened at `tokens[start]`, the index of its `table_close`, and its code spans."""
    header: list[str] = []
    rows: list[TableRow] = []
    keys: set[str] = set()
    cells: list[Token] = []
    cell_inlines: list[tuple[str, list[Token]]] = []  # (row key, its cells' inline tokens)
    line = 0
    index = start
    while tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "tr_open":
            cells, line = [], _line(token)
        elif token.type == "inline":
            cells.append(token)
        elif token.type == "tr_close" and not header:
            header = [table_cell(cell) for cell in cells]
            cell_inlines.append(("", cells))
        elif token.type == "tr_close":
            texts = tuple(table_cell(cell) for cell in cells)
            key = _unique(texts[0] if texts else "", keys)
            rows.append(TableRow(key, texts, line))
            cell_inlines.append((key, cells))
        index += 1
    spans = [
        span
        for key, inlines in cell_inlines
        for column, inline in zip(header, inlines, strict=False)
        for span in _code_spans(inline, section, name, key, column)
    ]
    table = CardTable(name, tuple(header), tuple(rows), _line(tokens[start]))
    return index, table, spans


def _code_spans(
    inline: Token, section: str, table: str = "", row: str = "", column: str = ""
) -> list[CodeSpan]:
    """The code spans of one inline token; the line counts the line breaks before each span."""
    spans = []
    line = _line(inline)
    for child in inline.children or []:
        if child.type == "code_inline":
            spans.append(CodeSpan(child.content, line, section, table, row, column))
        elif child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "html_inline":
            line += child.content.count("\n")
    return spans


def _front_matter(source: str) -> tuple[dict[str, object], str]:
    """The front matter as a mapping, or ({}, why not): it is the card's metadata, never checked,
    so a bad one is reported and never stops a run."""
    try:
        loaded = yaml.safe_load(source)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        # ValueError: a date-like scalar that is no date (`2026-13-01`).
        return {}, "front matter is not valid YAML: " + " ".join(str(exc).split())
    if loaded is None:
        return {}, ""
    if not isinstance(loaded, dict):
        return {}, f"front matter is a YAML {type(loaded).__name__}, not a mapping"
    return {str(key): value for key, value in loaded.items()}, ""


def _line(token: Token) -> int:
    """The 1-based line a block token starts on."""
    return token.map[0] + 1 if token.map else 0


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... when a card repeats it."""
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name} ({count})"
    taken.add(candidate)
    return candidate
