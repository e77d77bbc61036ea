"""Card and snapshot writes: together or not at all, modes kept, failures reported, not crashed."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support import Project, Result

from watcher.actions import atomic
from watcher.actions.atomic import Planned, WriteError, write_together

TODAY = "2026-11-27"
LATER = "2026-11-28"
pytestmark = pytest.mark.core_claims


def _leftovers(*dirs: Path) -> list[str]:
    return [p.name for d in dirs for p in d.iterdir() if p.name.endswith(".tmp")]


def test_second_rename_fails_first_file_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card, snap = tmp_path / "card.md", tmp_path / "snaps" / "card.json"
    snap.parent.mkdir()
    card.write_text("old card\n")
    snap.write_text("old snapshot\n")
    real = os.replace

    def replace(src: str, dst: object) -> None:
        if str(dst) == str(snap):
            raise OSError(28, "No space left on device")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(WriteError) as caught:
        write_together([Planned(card, "new card\n"), Planned(snap, "new snapshot\n")])
    assert card.read_text() == "old card\n"
    assert snap.read_text() == "old snapshot\n"
    message = str(caught.value)
    assert str(snap) in message and "No space left" in message
    assert f"{card} put back as it was" in message and "nothing was written" in message
    assert _leftovers(tmp_path, snap.parent) == []


def test_a_new_file_in_a_group_is_removed_when_a_later_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    real = os.replace

    def replace(src: str, dst: object) -> None:
        if str(dst) == str(second):
            raise OSError(13, "Permission denied")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(WriteError):
        write_together([Planned(first, "a\n"), Planned(second, "b\n")])
    assert not first.exists() and not second.exists()
    assert _leftovers(tmp_path) == []


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        atomic.write_atomic(fresh, "{}\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.json"
        kept.write_text("x")
        kept.chmod(0o640)
        atomic.write_atomic(kept, "y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_read_only_card_is_refused_not_replaced(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    before = project.card.read_bytes()
    project.card.chmod(0o444)
    result = project.run("verify", "--today", LATER, "--no-issues")
    assert result.code == 2
    assert "read-only; not replaced" in result.out
    assert project.card.read_bytes() == before
    assert stat.S_IMODE(project.card.stat().st_mode) == 0o444
    assert json.loads(project.snapshot.read_text())["verified_on"] == TODAY  # not half-saved


def _run_with_read_only(project: Project, directory: Path, *args: str) -> Result:
    """`watcher ARGS` in a subprocess that cannot write `directory`: a read-only bind mount in a
    private mount namespace when running as root (root ignores modes), else chmod 0555."""
    command = [sys.executable, "-m", "watcher", *args]
    env = {**os.environ, "WATCHER_CACHE_DIR": str(project.cache)}
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            done = subprocess.run(
                command, cwd=project.root, capture_output=True, text=True, env=env
            )
        finally:
            directory.chmod(0o755)
        return Result(done.returncode, done.stdout, done.stderr)
    where = shlex.quote(str(directory))
    script = (
        f"mount --bind {where} {where} && mount -o remount,bind,ro {where} && exec "
        + shlex.join(command)
    )
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=env,
    )
    if "mount" in done.stderr and done.returncode != 0 and "watcher" not in done.stderr:
        pytest.skip(f"cannot make a read-only directory here: {done.stderr.strip()}")
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("folder", ["snapshots", "knowledge"])
def test_unwritable_folder_is_exit_2_with_verdicts_and_report(
    project: Project, folder: str
) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    card_before = project.card.read_bytes()
    snapshot_before = project.snapshot.read_bytes()
    report = project.root / "report.json"
    result = _run_with_read_only(
        project,
        project.root / folder,
        "verify",
        "--today",
        LATER,
        "--no-issues",
        "--json",
        str(report),
    )
    assert result.code == 2, result.err
    assert "internal error" not in result.err
    assert "PASS" in result.out and "custom-auth-dispatch-order" in result.out
    assert "not written:" in result.out
    assert "Read-only file system" in result.out or "Permission denied" in result.out
    assert "nothing was written" in result.out  # says the card was not written either
    assert project.card.read_bytes() == card_before  # together or not at all
    assert project.snapshot.read_bytes() == snapshot_before
    document = json.loads(report.read_text())
    assert document["status"] == "error"
    assert {c["status"] for c in document["claims"]} == {"pass"}
    assert document["cards"][0]["write_error"]
    assert "coverage" in document
    assert _leftovers(project.root / "knowledge", project.root / "snapshots") == []


def test_config_error_still_writes_the_json_report_file(project: Project) -> None:
    report = project.root / "report.json"
    result = project.run("verify", "--today", "2026-13-40", "--json", str(report))
    assert result.code == 2
    document = json.loads(report.read_text())
    assert document["status"] == "error"
    assert "--today" in document["error"]
    for key in ("cards", "coverage", "claims", "upstream"):
        assert key in document


def test_config_error_json_on_stdout_has_the_documented_shape(project: Project) -> None:
    result = project.run("verify", "--today", "2026-13-40", "--json", "-")
    assert result.code == 2
    document = json.loads(result.out)
    assert document["status"] == "error" and document["cards"] == [] and document["coverage"] == []
