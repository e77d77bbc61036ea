"""After a run killed between its writes and its commit, the next run finishes the job."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CARD, CARD_ID, Project
from test_commit_push import HERMETIC, Remote, changed_files

from watcher.actions.recovery import clean_leftovers, date_only_change
from watcher.config import load_config

pytestmark = pytest.mark.core_claims
SNAPSHOT = f"snapshots/{CARD_ID}.json"
DAY1, DAY2 = "2026-11-27", "2026-11-28"


@pytest.fixture
def remote(tmp_path: Path, project: Project) -> Remote:
    return Remote(tmp_path, project)


def verify(project: Project, day: str, *args: str):  # type: ignore[no-untyped-def]
    return project.run("verify", "--today", day, "--no-issues", *args, env=HERMETIC)


def killed_before_commit(project: Project) -> Path:
    """The state `kill -9` leaves between the writes and the commit: card and snapshot written,
    not committed, and a temporary file left next to the card."""
    assert verify(project, DAY2).code == 0  # writes, commits nothing
    leftover = project.card.with_name(f".{project.card.name}.k1ll3d.tmp")
    leftover.write_text("half a card", encoding="utf-8")
    return leftover


def test_the_next_run_commits_both_files_and_cleans_up(project: Project, remote: Remote) -> None:
    assert verify(project, DAY1, "--commit", "--push").code == 0
    leftover = killed_before_commit(project)
    result = verify(project, DAY2, "--commit", "--push")
    assert result.code == 0, result.out + result.err
    assert "interrupted" in result.err
    assert not leftover.exists()
    assert changed_files(remote.path, "main") == [CARD, SNAPSHOT]  # the dates are committed too
    assert f"| {DAY2} |" in remote.show("main", CARD)


def test_the_next_run_works_when_the_remote_moved_meanwhile(
    project: Project, remote: Remote
) -> None:
    assert verify(project, DAY1, "--commit", "--push").code == 0
    killed_before_commit(project)
    remote.push_from_other("README.md")
    result = verify(project, DAY2, "--commit", "--push")
    assert result.code == 0, result.out + result.err
    assert "commit or stash" not in result.out + result.err
    assert changed_files(remote.path, "main") == [CARD, SNAPSHOT]


def test_a_persons_edit_of_the_card_is_never_put_back(project: Project, remote: Remote) -> None:
    assert verify(project, DAY1, "--commit", "--push").code == 0
    text = project.card_text()
    project.card.write_text(text.replace("\n", "\nA note of mine.\n", 1), encoding="utf-8")
    verify(project, DAY2, "--commit")
    assert "A note of mine." in project.card_text()


def test_date_only_change_is_recognised() -> None:
    before = "# C\n\n| Source | Last Verified |\n|---|---|\n| a | 2026-01-01 |\n"
    assert date_only_change(before, before.replace("2026-01-01", "2026-02-02"))
    assert not date_only_change(before, before.replace("# C", "# D").replace("01-01", "02-02"))


def test_a_card_replaced_without_its_snapshot_is_put_back(project: Project) -> None:
    assert verify(project, DAY1).code == 0
    old_card = project.card.read_bytes()
    copy = project.card.with_name(f".{project.card.name}.old.tmp")
    copy.write_bytes(old_card)  # the copy kept while the pair lands
    project.card.write_text(project.card_text().replace(DAY1, DAY2), encoding="utf-8")
    staged = project.snapshot.with_name(f".{project.snapshot.name}.x7.tmp")
    staged.write_text("{}", encoding="utf-8")  # the snapshot never landed
    said: list[str] = []
    clean_leftovers(load_config(project.root / "watcher.toml"), said.append)
    assert project.card.read_bytes() == old_card
    assert not copy.exists() and not staged.exists()
    assert any("put back" in line for line in said)
