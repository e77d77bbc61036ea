"""The run lock: one writing run per project; the second waits (bounded) or says who holds it."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import CORE_CLAIMS, Project, litellm_upstream

from watcher.commands import verify
from watcher.commands.run_lock import run_lock_path

TODAY = "2026-11-27"
PATIENCE = 120
HOLDER = """
import sys
from pathlib import Path
from watcher.commands.run_lock import run_lock
with run_lock(Path(sys.argv[1]), 0, print):
    print("held", flush=True)
    sys.stdin.read()
"""


pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


@pytest.fixture(autouse=True)
def _not_inside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the same inside a GitHub runner (where CI sets these) as anywhere."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def held(project: Project) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the project's run lock until the block ends (or stdin closes)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(project.root / "watcher.toml")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        if holder.stdin and not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=PATIENCE)


class Watch(io.StringIO):
    """stderr that calls `then` the first time `text` is written to it."""

    def __init__(self, text: str, then: Callable[[], None]) -> None:
        super().__init__()
        self.text, self.then, self.fired = text, then, False

    def write(self, data: str) -> int:
        written = super().write(data)
        if not self.fired and self.text in self.getvalue():
            self.fired = True
            self.then()
        return written


def verify_now(project: Project, stderr: io.StringIO, *, wait: float, dry_run: bool = False) -> int:
    return verify.run(
        config_path=project.root / "watcher.toml",
        card=None,
        upstream_url=None,
        ref=None,
        cache_dir=str(project.cache),
        today=TODAY,
        dry_run=dry_run,
        no_issues=True,
        json_out=None,
        stdout=io.StringIO(),
        stderr=stderr,
        lock_wait=wait,
    )


def test_a_held_lock_fails_fast_and_names_the_holder(project: Project) -> None:
    card = project.card.read_bytes()
    with held(project) as holder:
        result = project.run("verify", "--today", TODAY, "--lock-wait", "0")
    assert result.code == 2
    line = result.err.strip()
    assert line.count("\n") == 0
    assert line.startswith(
        f"watcher: error: another watcher run (pid {holder.pid}) is still working on {project.root}"
    )
    assert "gave up waiting after 0s" in line and "--lock-wait SECONDS" in line
    assert project.card.read_bytes() == card and not project.snapshot.exists()


def test_the_second_run_waits_for_the_first_then_runs(project: Project) -> None:
    with held(project) as holder:
        assert holder.stdin is not None
        err = Watch("waiting up to 60s", holder.stdin.close)  # release only once it waits
        code = verify_now(project, err, wait=60)
    assert code == 0, err.getvalue()
    assert f"another run (pid {holder.pid}) is working on {project.root}" in err.getvalue()
    assert json.loads(project.snapshot.read_text())["verified_on"] == TODAY


def test_different_projects_sharing_a_cache_do_not_block_each_other(
    tmp_path: Path, project: Project
) -> None:
    other_root = tmp_path / "second"
    other_root.mkdir()
    other = Project(other_root, litellm_upstream(other_root)).keep_claims(*CORE_CLAIMS)
    other.cache = project.cache  # one cache, two projects
    assert run_lock_path(project.root / "watcher.toml") != run_lock_path(
        other.root / "watcher.toml"
    )
    with held(project):
        result = other.run("verify", "--today", TODAY, "--lock-wait", "0")
    assert result.code == 0, result.err
    assert json.loads(other.snapshot.read_text())["verified_on"] == TODAY


def test_a_dry_run_does_not_wait(project: Project) -> None:
    with held(project):
        err = io.StringIO()
        assert verify_now(project, err, wait=0, dry_run=True) == 0
    assert "another" not in err.getvalue()


def test_two_concurrent_runs_both_finish_and_leave_one_consistent_result(project: Project) -> None:
    env = {**os.environ, "WATCHER_CACHE_DIR": str(project.cache)}
    command = [sys.executable, "-m", "watcher", "verify", "--today", TODAY, "--json", "-"]
    runs = [
        subprocess.Popen(
            command,
            cwd=project.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=PATIENCE) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert all(json.loads(out)["status"] == "verified" for out, _ in results)
    snapshot = json.loads(project.snapshot.read_text())
    assert snapshot["verified_on"] == TODAY
    assert project.card_text().count(f"| Primary source | {TODAY} |") == 2


def test_a_scheduled_run_reports_a_held_lock_and_the_schedule_goes_on(project: Project) -> None:
    with held(project) as holder:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "watcher",
                "schedule",
                "--cron",
                "17 6 * * *",
                "--run-now",
                "--lock-wait",
                "0",
            ],
            cwd=project.root,
            env={**os.environ, "WATCHER_CACHE_DIR": str(project.cache), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                if "run finished" in line:
                    break
            assert "exit 2 (could not verify or could not save)" in line
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=PATIENCE)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    assert "stopped (SIGTERM)" in out
    assert f"another watcher run (pid {holder.pid}) is still working on {project.root}" in err
    assert not project.snapshot.exists()


def test_a_second_signal_stops_a_waiting_run_at_once(project: Project) -> None:
    with held(project):
        process = subprocess.Popen(
            [sys.executable, "-m", "watcher", "schedule", "--cron", "17 6 * * *", "--run-now"],
            cwd=project.root,
            env={**os.environ, "WATCHER_CACHE_DIR": str(project.cache), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stderr is not None
        try:
            # The scheduled run is in progress: waiting (up to 600s) for the held run lock.
            for line in process.stderr:
                if "waiting up to 600s" in line:
                    break
            process.send_signal(signal.SIGTERM)
            for line in process.stdout:
                if "stopping; a run in progress is allowed to finish" in line:
                    break
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=PATIENCE)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert "SIGTERM again: stopping now" in out
    assert not project.snapshot.exists()


def test_two_runs_on_one_project_with_different_caches_are_serialised(
    tmp_path: Path, project: Project
) -> None:
    """The run lock is the project's, wherever each run keeps its cache (issue 12)."""
    with held(project) as holder:
        result = project.run(
            "verify", "--today", TODAY, "--lock-wait", "0", "--cache-dir", str(tmp_path / "other")
        )
    assert result.code == 2
    assert (
        f"another watcher run (pid {holder.pid}) is still working on {project.root}" in result.err
    )
    assert not project.snapshot.exists()
    assert run_lock_path(project.root / "watcher.toml") == project.root  # no lock file in it
