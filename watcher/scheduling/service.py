"""Run a job on a trigger in the foreground with APScheduler 3.x, until SIGTERM or SIGINT.

One job, one worker thread: `coalesce` folds runs missed while the machine slept into one,
`max_instances=1` never starts a run while the previous one is still going, and a run up to
an hour late (a busy or suspended host) still happens rather than being skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]

MISFIRE_GRACE_SECONDS = 3600
JOB_ID = "verify"
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def build(trigger: BaseTrigger, job: Callable[[], None], *, run_now: bool) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=dt.UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    extra: dict[str, Any] = {"next_run_time": dt.datetime.now(dt.UTC)} if run_now else {}
    scheduler.add_job(job, trigger, id=JOB_ID, name="watcher verify", **extra)
    return scheduler


def next_run(scheduler: BlockingScheduler) -> dt.datetime | None:
    job = scheduler.get_job(JOB_ID)
    when: dt.datetime | None = job.next_run_time if job is not None else None
    return when.astimezone(dt.UTC) if when is not None else None


class StopSignals:
    """SIGTERM and SIGINT, noticed on a thread of their own.

    A signal may be delivered to any thread, and CPython runs Python handlers only on the main
    thread, once it runs Python code again; BlockingScheduler's main thread can sleep for hours.
    So the handler is a no-op and the C-level handler's wakeup fd does the work: a thread
    blocked on it sees every signal at once, whichever thread received it. Nothing runs
    inside the interrupted code, so no lock held there (APScheduler's, the executor's) matters.
    """

    def __init__(self, on_first: Callable[[str], None], on_again: Callable[[str], None]) -> None:
        self._on_first, self._on_again = on_first, on_again
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)  # set_wakeup_fd requires it
        self._previous: dict[int, Any] = {}
        self._old_fd = -1
        self._thread = threading.Thread(target=self._watch, name="watcher-signals", daemon=True)

    def _watch(self) -> None:
        seen = 0
        while data := self._reader.recv(64):
            for signum in data:
                if signum in _STOP_SIGNALS:
                    seen += 1
                    name = signal.Signals(signum).name
                    (self._on_first if seen == 1 else self._on_again)(name)

    def __enter__(self) -> StopSignals:
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in _STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, _ignore)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._old_fd)
        self._writer.close()  # the watching thread reads end-of-file and returns
        self._thread.join(timeout=5)
        self._reader.close()


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """Installed so the C-level handler writes to the wakeup fd; StopSignals does the rest."""


def serve(scheduler: BlockingScheduler, say: Callable[[str], None]) -> str:
    """Block running `scheduler` until SIGTERM or SIGINT; let a running job finish; return the
    signal's name. A second signal stops at once (writes are atomic: that loses a run at most)."""
    received: list[str] = []
    shutting_down: list[threading.Thread] = []

    def stop(name: str) -> None:
        received.append(name)
        say(f"watcher schedule: {name}: stopping; a run in progress is allowed to finish")
        # On a thread of its own: this waits for the running job, and the signal thread must
        # stay free to notice a second signal meanwhile.
        shutdown = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True})
        shutting_down.append(shutdown)
        shutdown.start()

    def force(name: str) -> None:
        say(f"watcher schedule: {name} again: stopping now")
        os._exit(128 + signal.Signals[name].value)

    log, log_handler = logging.getLogger("apscheduler"), _stderr_handler()
    log.addHandler(log_handler)
    try:
        with StopSignals(stop, force):
            scheduler.start()  # returns as soon as shutdown() has begun ...
            for shutdown in shutting_down:
                shutdown.join()  # ... which ends once the running job has
        return received[0]
    finally:
        log.removeHandler(log_handler)


def _stderr_handler() -> logging.Handler:
    """APScheduler's own warnings (a run skipped, a run missed) reach the operator, tagged."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("watcher schedule: apscheduler: %(message)s"))
    return handler
