"""Last Verified cells: never backwards, free text left alone, duplicates warned, column by header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import Project

from watcher.actions.card_dates import plan_dates
from watcher.card import parse_sources

A = "https://example.com/a.py"
B = "https://example.com/b.py"


def _card(tmp_path: Path, rows: str, header: str = "| Source | Type | Last Verified |") -> Path:
    path = tmp_path / "card.md"
    path.write_text(f"# Card\n\n## Sources\n\n{header}\n|---|---|---|\n{rows}", encoding="utf-8")
    return path


def test_an_earlier_today_never_moves_a_date_backwards(tmp_path: Path) -> None:
    path = _card(tmp_path, f"| {A} | Primary | 2026-12-01 |\n| {B} | Primary | 2026-01-01 |\n")
    plan = plan_dates(path, {A, B}, "2026-06-01")
    assert [(c.source, c.new) for c in plan.changes] == [(B, "2026-06-01")]
    assert "| 2026-12-01 |" in plan.text
    assert any("never moves backwards" in note for note in plan.notes)


def test_free_text_in_a_date_cell_is_left_alone_with_a_note(tmp_path: Path) -> None:
    path = _card(tmp_path, f"| {A} | Primary | manual check 2026-01 |\n")
    plan = plan_dates(path, {A}, "2026-06-01")
    assert plan.changes == []
    assert plan.text == path.read_text(encoding="utf-8")
    assert any("'manual check 2026-01', not a date" in note for note in plan.notes)


def test_duplicate_sources_rows_are_warned_about(tmp_path: Path) -> None:
    path = _card(tmp_path, f"| {A} | Primary | 2026-01-01 |\n| {A} | Copy | 2026-01-01 |\n")
    plan = plan_dates(path, {A}, "2026-06-01")
    assert any(f"lists {A} 2 times" in note for note in plan.notes)


def test_the_source_column_is_found_by_its_header(tmp_path: Path) -> None:
    path = _card(
        tmp_path, f"| 2026-01-01 | {A} | Primary |\n", header="| Last Verified | Source | Type |"
    )
    rows = parse_sources(path.read_text(encoding="utf-8"), "card").rows
    assert [(r.source, r.last_verified) for r in rows] == [(A, "2026-01-01")]
    plan = plan_dates(path, {A}, "2026-06-01")
    assert f"| 2026-06-01 | {A} | Primary |" in plan.text


@pytest.mark.core_claims
def test_verify_with_an_earlier_today_keeps_the_later_dates(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27", "--no-issues").code == 0
    after_first = project.card_text()
    result = project.run("verify", "--today", "2026-11-01", "--no-issues")
    assert result.code == 0
    assert project.card_text() == after_first
    assert "never moves backwards" in result.out
    assert not re.search(r"2026-11-27 -> 2026-11-01", result.out)
