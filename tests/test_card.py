"""The card's Sources table: found by its Last Verified column, rewritten cell by cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.actions.card_dates import plan_dates, write_card
from watcher.card import CardError, parse_sources, set_last_verified

CARD = """# Title

| Resource | Link |
|---|---|
| docs | https://example.com |

## Sources

| Source | Type | Last Verified |
|:---|---|---:|
| https://example.com/a.py | Primary source | 2026-04-19 |
| https://example.com/b\\|c.py | Primary source |   2026-04-19   |
| https://example.com/d.py | Official |  |

Trailing text | with a pipe
"""


def test_parse_sources_finds_rows_and_spans() -> None:
    table = parse_sources(CARD, "card.md")
    assert [row.source for row in table.rows] == [
        "https://example.com/a.py",
        "https://example.com/b\\|c.py",
        "https://example.com/d.py",
    ]
    first = table.rows[0]
    assert CARD[first.date_span[0] : first.date_span[1]] == "2026-04-19"
    assert table.rows[2].last_verified == ""
    assert table.find("https://example.com/a.py") is first


def test_set_last_verified_changes_only_those_characters() -> None:
    table = parse_sources(CARD, "card.md")
    updated = set_last_verified(CARD, table.rows[:2], "2026-11-27")
    assert updated == CARD.replace("| 2026-04-19 |", "| 2026-11-27 |").replace(
        "|   2026-04-19   |", "|   2026-11-27   |"
    )


def test_crlf_cards_keep_their_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "card.md"
    path.write_bytes(CARD.replace("\n", "\r\n").encode())
    plan = plan_dates(path, {"https://example.com/a.py"}, "2026-11-27")
    changes = plan.changes
    write_card(path, plan.text, plan.before, changes)
    assert (
        path.read_bytes()
        == CARD.replace(
            "| https://example.com/a.py | Primary source | 2026-04-19 |",
            "| https://example.com/a.py | Primary source | 2026-11-27 |",
        )
        .replace("\n", "\r\n")
        .encode()
    )
    assert [(c.source, c.old, c.new) for c in changes] == [
        ("https://example.com/a.py", "2026-04-19", "2026-11-27")
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("# nothing here\n", "no Sources table with a 'Last Verified' column"),
        (
            "| Source | Last Verified |\n|---|---|\n| a | 1 |\n\n| Source | Last Verified |\n|---|---|\n",
            "more than one table",
        ),
        (
            "| Source | Type | Last Verified |\n|---|---|---|\n| a | b |\n",
            "Sources row has no Last Verified cell",
        ),
    ],
)
def test_unusable_cards(text: str, says: str) -> None:
    with pytest.raises(CardError, match=says):
        parse_sources(text, "card.md")
