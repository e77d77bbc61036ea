"""Cards and snapshots live inside the project: a path or symlink out of it is refused first."""

from __future__ import annotations

import shutil

import pytest
from support import CARD, Project

pytestmark = pytest.mark.core_claims
TODAY = "2026-11-27"


def _config(project: Project, old: str, new: str) -> None:
    path = project.root / "watcher.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_card_path_outside_the_project_is_refused(project: Project) -> None:
    outside = project.root.parent / "outside" / "card.md"
    outside.parent.mkdir()
    shutil.copy(project.card, outside)
    before = outside.read_bytes()
    _config(project, f'path = "{CARD}"', 'path = "../outside/card.md"')
    result = project.run("verify", "--today", TODAY, "--no-issues")
    assert result.code == 2
    (line,) = result.err.strip().splitlines()
    assert "cards[0].path: '../outside/card.md' is outside the project" in line
    assert outside.read_bytes() == before
    assert not (project.root / "snapshots").exists()


def test_a_card_that_is_a_symlink_out_of_the_project_is_refused(project: Project) -> None:
    outside = project.root.parent / "elsewhere.md"
    shutil.move(project.card, outside)
    project.card.symlink_to(outside)
    before = outside.read_bytes()
    result = project.run("verify", "--today", TODAY, "--no-issues")
    assert result.code == 2
    assert "cards[0].path:" in result.err and "symlink out of it" in result.err
    assert outside.read_bytes() == before


def test_a_snapshots_folder_outside_the_project_is_refused(project: Project) -> None:
    text = (project.root / "watcher.toml").read_text(encoding="utf-8")
    (project.root / "watcher.toml").write_text('snapshots = "../snaps"\n' + text, encoding="utf-8")
    result = project.run("verify", "--today", TODAY, "--no-issues")
    assert result.code == 2
    assert "snapshots: '../snaps' is outside the project" in result.err
    assert not (project.root.parent / "snaps").exists()
