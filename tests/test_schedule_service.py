"""`watcher schedule` runs the real verify on its trigger and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading

import pytest
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from support import CARD_ID, Project

from watcher.commands import verify
from watcher.scheduling import service

ROW_LLM = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
PATIENCE = 120  # seconds; only a hung process ever waits this long


@pytest.fixture(autouse=True)
def _not_inside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the same inside a GitHub runner (where CI sets these) as anywhere."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


class Lines:
    """A subprocess's stdout, line by line, readable with a timeout."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: io.TextIOBase) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def until(self, text: str) -> str:
        while True:
            line = self._queue.get(timeout=PATIENCE)
            if line is None:
                raise AssertionError(f"output ended before {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return line

    def rest(self) -> str:
        while (line := self._queue.get(timeout=PATIENCE)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def start_schedule(project: Project, *args: str) -> tuple[subprocess.Popen[str], Lines]:
    process = subprocess.Popen(
        [sys.executable, "-m", "watcher", "schedule", *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "WATCHER_CACHE_DIR": str(project.cache), "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    return process, Lines(process.stdout)


def row_date(project: Project, row: str) -> str:
    line = next(line for line in project.card_text().splitlines() if line.startswith(f"| {row} |"))
    return line.rstrip(" |").rsplit("| ", 1)[-1]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_run_now_verifies_for_real_then_the_signal_stops_it_cleanly(
    project: Project, stop: signal.Signals
) -> None:
    process, lines = start_schedule(project, "--cron", "17 6 * * *", "--run-now")
    try:
        banner = lines.until("watcher schedule:")
        assert "'17 6 * * *' (UTC)" in banner and "SIGTERM or Ctrl-C stops" in banner
        finished = lines.until("run finished")
        assert "exit 0 (verified)" in finished
        assert "next run at " in finished and "T06:17:00+00:00" in finished
        process.send_signal(stop)
        out = lines.rest()
        err = process.stderr.read() if process.stderr else ""
        code = process.wait(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0, out + err
    assert f"stopped ({stop.name})" in out
    assert "Traceback" not in err
    assert "PASS   passthrough-routes-authenticated" in out  # the verify report itself
    snapshot = json.loads(project.snapshot.read_text())
    assert snapshot["card"] == CARD_ID
    assert row_date(project, ROW_LLM) == snapshot["verified_on"] != "2026-04-19"


def test_a_fast_trigger_runs_verify_repeatedly_and_sigterm_stops_it(project: Project) -> None:
    days = iter(["2026-11-27", "2026-11-28"])
    codes: list[int] = []
    options: list[tuple[object, ...]] = []
    out = io.StringIO()

    def job() -> None:
        running = scheduler.get_job(service.JOB_ID)
        options.append((running.coalesce, running.max_instances, running.misfire_grace_time))
        codes.append(
            verify.run(
                config_path=project.root / "watcher.toml",
                card=None,
                upstream_url=None,
                ref=None,
                cache_dir=str(project.cache),
                today=next(days),
                dry_run=False,
                no_issues=True,
                json_out=None,
                stdout=out,
                stderr=out,
            )
        )
        if len(codes) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill` from outside would

    scheduler = service.build(IntervalTrigger(seconds=0.2), job, run_now=False)
    said: list[str] = []
    received = service.serve(scheduler, said.append)
    assert received == "SIGTERM"
    assert codes == [0, 0]  # two real verify runs, both finished before serve returned
    assert options[0] == (True, 1, service.MISFIRE_GRACE_SECONDS) == (True, 1, 3600)
    assert str(scheduler.timezone) == "UTC"
    assert "stopping; a run in progress is allowed to finish" in said[0]
    assert row_date(project, ROW_LLM) == "2026-11-28"
    assert json.loads(project.snapshot.read_text())["verified_on"] == "2026-11-28"
    # Our handlers are gone again: SIGTERM is back to what it was before.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_during_a_run_lets_that_run_finish() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        release.wait(PATIENCE)
        finished.set()

    def stop_then_release() -> None:
        started.wait(PATIENCE)
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Timer(0.3, release.set).start()

    threading.Thread(target=stop_then_release, daemon=True).start()
    scheduler = service.build(IntervalTrigger(hours=1), job, run_now=True)
    assert service.serve(scheduler, lambda line: None) == "SIGTERM"
    assert finished.is_set()  # serve returned only after the running job was done


def run_schedule(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watcher", "schedule", *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        env={**os.environ, "WATCHER_CACHE_DIR": str(project.cache)},
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--json", "-"], "--json -: a schedule runs many times; give a file path"),
        (["--push"], "--push needs --commit"),
        (["--card", "nope"], "--card nope: no such card"),
        (["--commit"], "is not inside a git checkout"),
    ],
)
def test_problems_stop_it_before_it_starts_waiting(
    project: Project, args: list[str], says: str
) -> None:
    done = run_schedule(project, "--cron", "17 6 * * *", *args)
    assert done.returncode == 2
    assert says in done.stderr
    assert done.stderr.count("\n") == 1
    assert "first run at" not in done.stdout
    assert not project.snapshot.exists()


def test_a_broken_config_is_reported_at_start(project: Project) -> None:
    config = project.root / "watcher.toml"
    config.write_text(config.read_text() + "\nbogus = 1\n")
    card = project.card.read_bytes()
    done = run_schedule(project, "--cron", "17 6 * * *")
    assert done.returncode == 2
    assert "bogus" in done.stderr and "Traceback" not in done.stderr
    assert "first run at" not in done.stdout
    assert project.card.read_bytes() == card
