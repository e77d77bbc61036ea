"""The card read by one Markdown parser: tables, code blocks, code spans and front matter."""

from __future__ import annotations

import pytest

from watcher.card import CardError, parse_sources, set_last_verified
from watcher.card.document import CodeBlock, CodeSpan, read_document
from watcher.card.tables import parse_tables

A = "https://example.com/a.py"


def test_a_one_hyphen_delimiter_row_makes_a_table_for_both_readers() -> None:
    # GFM needs one hyphen per delimiter cell; the old Sources scanner wanted three.
    text = f"# Card\n\n## Sources\n\n| Source | Last Verified |\n|-|:-:|\n| {A} | 2026-01-01 |\n"
    tables = parse_tables(text)
    assert [(t.name, t.is_sources) for t in tables] == [("Sources", True)]
    rows = parse_sources(text, "card.md").rows
    assert [(r.source, r.last_verified, r.line) for r in rows] == [(A, "2026-01-01", 7)]
    assert text[rows[0].date_span[0] : rows[0].date_span[1]] == "2026-01-01"


def test_a_table_inside_a_code_fence_is_not_a_table() -> None:
    sources = f"| Source | Last Verified |\n|---|---|\n| {A} | 2026-01-01 |\n"
    text = f"# Card\n\n```markdown\n{sources}```\n\n~~~\n| a | b |\n|-|-|\n~~~\n\n## Sources\n\n{sources}"
    assert [t.name for t in parse_tables(text)] == ["Sources"]
    assert [r.line for r in parse_sources(text, "card.md").rows] == [18]
    with pytest.raises(CardError, match="no Sources table"):
        parse_sources(f"```\n{sources}```\n", "card.md")


FRONT_MATTER = """---
name: t
divider: ---
notes: |
  | Source | Last Verified |
  |---|---|
  | x | 2026-01-01 |
---
# Card

| Hook | /a |
|---|---|
| one | YES |
"""


def test_front_matter_is_read_as_yaml_and_never_as_tables() -> None:
    document = read_document(FRONT_MATTER)
    assert document.front_matter == {
        "name": "t",
        "divider": "---",
        "notes": "| Source | Last Verified |\n|---|---|\n| x | 2026-01-01 |",
    }
    assert document.front_matter_error == ""
    assert [(t.name, t.line) for t in document.tables] == [("Card", 11)]
    with pytest.raises(CardError, match="no Sources table"):
        parse_sources(FRONT_MATTER, "card.md")


@pytest.mark.parametrize(
    ("front", "says"),
    [
        ("name: [unclosed\n", "front matter is not valid YAML: while parsing"),
        ("a: 1\na: : 2\n", "front matter is not valid YAML"),
        ("date: 2026-13-01\n", "front matter is not valid YAML: month must be in 1..12"),
        ("- a\n- b\n", "front matter is a YAML list, not a mapping"),
        ("tag: !!python/name:os.system\n", "front matter is not valid YAML"),
    ],
)
def test_bad_front_matter_is_a_reason_not_a_crash(front: str, says: str) -> None:
    text = f"---\n{front}---\n# Card\n\n| Source | Last Verified |\n|-|-|\n| {A} | 2026-01-01 |\n"
    document = read_document(text)
    assert document.front_matter == {}
    assert document.front_matter_error.startswith(says)
    assert "\n" not in document.front_matter_error
    assert [r.source for r in parse_sources(text, "card.md").rows] == [A]


def test_empty_front_matter_is_an_empty_mapping() -> None:
    document = read_document("---\n---\n# Card\n")
    assert (document.front_matter, document.front_matter_error) == ({}, "")


CODE = """# Card

## Setup

```Python title="x.py"
def f():
    pass
```

```yaml
a: 1
```

```
plain
```

    indented
"""


def test_code_blocks_with_their_language_and_first_content_line() -> None:
    assert read_document(CODE).blocks == (
        CodeBlock("python", "def f():\n    pass\n", 6, "Setup"),
        CodeBlock("yaml", "a: 1\n", 11, "Setup"),
        CodeBlock("", "plain\n", 15, "Setup"),
        CodeBlock("", "indented\n", 18, "Setup"),
    )


SPANS = """# Card `v1`

Prose with `custom_auth` and,
on the next line, `pre_call_hook`.

## Hook Coverage

| Hook | `/v1/messages` |
|---|---|
| `async_pre_call_hook` (CustomLogger) | NO, see `pass_through_request` |
"""


def test_code_spans_in_prose_and_in_table_cells() -> None:
    table = "Hook Coverage"
    row = "`async_pre_call_hook` (CustomLogger)"
    assert read_document(SPANS).spans == (
        CodeSpan("v1", 1, "Card `v1`"),
        CodeSpan("custom_auth", 3, "Card `v1`"),
        CodeSpan("pre_call_hook", 4, "Card `v1`"),
        CodeSpan("/v1/messages", 8, "Hook Coverage", table, "", "`/v1/messages`"),
        CodeSpan("async_pre_call_hook", 10, "Hook Coverage", table, row, "Hook"),
        CodeSpan("pass_through_request", 10, "Hook Coverage", table, row, "`/v1/messages`"),
    )
    # Cells keep their source text, backticks included: watcher.toml names rows that way.
    assert parse_tables(SPANS)[0].row(row) is not None


def test_a_crlf_card_with_tabs_and_trailing_spaces_changes_only_the_date() -> None:
    text = (
        "# Card\r\n\r\n## Sources\r\n\r\n"
        "| Source\t| Type | Last Verified |  \r\n"
        "|---|---|---|\r\n"
        f"| {A}\t|\tPrimary |\t2026-01-01\t|   \r\n"
        "| https://example.com/b.py | Primary | 2026-01-01 |\r\n"
        "\r\ntrailing text\r\n"
    )
    rows = parse_sources(text, "card.md").rows
    assert [(r.source, r.kind, r.line) for r in rows] == [
        (A, "Primary", 7),
        ("https://example.com/b.py", "Primary", 8),
    ]
    updated = set_last_verified(text, rows[:1], "2026-11-27")
    assert updated == text.replace("|\t2026-01-01\t|", "|\t2026-11-27\t|")


def test_a_line_separator_inside_a_cell_does_not_shift_the_rows() -> None:
    # str.splitlines() would end a line at U+2028; the parser does not.
    text = f"| Source | Last Verified |\n|-|-|\n| a\u2028b | 2026-01-01 |\n| {A} | 2026-01-01 |\n"
    rows = parse_sources(text, "card.md").rows
    assert [r.source for r in rows] == ["a\u2028b", A]
    updated = set_last_verified(text, rows[1:], "2026-11-27")
    assert updated == text.replace(f"{A} | 2026-01-01", f"{A} | 2026-11-27")


@pytest.mark.parametrize("source", ["https://example.com/b\\|c.py", "a `x \\| y` b", "a\\\\|b"])
def test_an_escaped_pipe_stays_in_its_sources_cell(source: str) -> None:
    text = (
        f"| Source | Type | Last Verified |\n|---|---|---|\n| {source} | Primary | 2026-01-01 |\n"
    )
    (row,) = parse_sources(text, "card.md").rows
    assert (row.source, row.kind) == (source, "Primary")
    assert set_last_verified(text, [row], "2026-11-27") == text.replace("2026-01-01", "2026-11-27")


def test_a_sources_table_without_outer_pipes_is_located_too() -> None:
    text = f"Source | Last Verified\n--- | ---\n{A} | 2026-01-01\n"
    (row,) = parse_sources(text, "card.md").rows
    assert (row.source, text[row.date_span[0] : row.date_span[1]]) == (A, "2026-01-01")


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        # GFM pads a short row with empty cells; its line still has no Last Verified cell.
        (f"| {A} |\n", "card.md:3: Sources row has no Last Verified cell"),
        # A line right after a table is one more row of it, in GFM.
        (f"| {A} | 2026-01-01 |\nnot a row\n", "card.md:4: Sources row has no Last Verified cell"),
    ],
)
def test_rows_whose_line_has_no_date_cell_are_refused(rows: str, says: str) -> None:
    with pytest.raises(CardError, match=says):
        parse_sources(f"| Source | Last Verified |\n|-|-|\n{rows}", "card.md")


def test_a_row_its_line_cannot_place_fails_closed() -> None:
    text = f"> | Source | Last Verified |\n> |-|-|\n> | {A} | 2026-01-01 |\n"
    with pytest.raises(CardError, match=r"card.md:3: cannot tell where this Sources row's cells"):
        parse_sources(text, "card.md")


def test_the_parse_is_shared_between_readers_of_the_same_text() -> None:
    assert read_document(SPANS) is read_document(SPANS)
