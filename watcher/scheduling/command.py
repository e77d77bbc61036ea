"""The body of `watcher schedule`: APScheduler, signals and runs (imported only by that command)."""

from __future__ import annotations

import argparse
import datetime as dt
import traceback
from collections.abc import Callable
from itertools import islice
from typing import Any, TextIO

from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

from watcher import __version__
from watcher.actions.git_commit import ProjectRepo
from watcher.commands import verify
from watcher.commands.common import prepare, stderr_line
from watcher.config import ConfigError
from watcher.errors import WatcherError
from watcher.scheduling import service
from watcher.scheduling.cron import CronError, CronSchedule, parse_cron

MAX_NEXT = 1000
_MEANING = {0: "verified", 1: "drift", 2: "could not verify or could not save"}


def _start(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CronError(f"--from {value!r}: expected a date-time like 2026-11-30T09:00") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _print_next(schedule: CronSchedule, count: int, start: str | None, stdout: TextIO) -> int:
    if not 1 <= count <= MAX_NEXT:
        raise CronError(f"--next {count}: give a count from 1 to {MAX_NEXT}")
    for when in islice(schedule.fire_times(_start(start)), count):
        stdout.write(when.isoformat() + "\n")
    return 0


def _stamp(when: dt.datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else "never"


def _one_run(
    options: dict[str, Any],
    scheduler: Callable[[], BlockingScheduler],
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    """One scheduled verify; whatever happens, report it and keep the schedule going."""
    stdout.write(f"watcher schedule: run started at {_stamp(dt.datetime.now(dt.UTC))}\n")
    stdout.flush()
    try:
        code = verify.run(**options, today=None, stdout=stdout, stderr=stderr)
    except WatcherError as exc:
        stderr.write(f"watcher: error: {exc}\n")
        code = 2
    except Exception as exc:  # a bug: say so, and let the next run try again
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        stderr.write(
            f"watcher: internal error (this is a bug, please report it): {type(exc).__name__}: {exc}\n"
            f"  at {frame.filename}:{frame.lineno} in {frame.name}; watcher {__version__}\n"
        )
        code = 2
    following = _stamp(service.next_run(scheduler()))
    stdout.write(
        f"watcher schedule: run finished: exit {code} ({_MEANING.get(code, '?')}); "
        f"next run at {following}\n"
    )
    stdout.flush()
    stderr.flush()


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    schedule = parse_cron(args.cron)
    if args.next is not None:
        return _print_next(schedule, args.next, args.start, stdout)
    if args.json_out == "-":
        raise ConfigError("--json -: a schedule runs many times; give a file path for the report")
    if args.push and not args.commit:
        raise ConfigError("--push needs --commit (it pushes the commit that --commit makes)")
    # Fail now rather than at the first run: where commits would go, config, cards, snapshots.
    if args.commit and not args.dry_run:
        ProjectRepo(args.config.resolve().parent).check_ready(args.push, stderr_line(stderr))
    config, _ = prepare(args.config, args.card, args.upstream_url, args.ref)
    options = verify.run_options(args)
    options["config_path"] = args.config.resolve()
    scheduler = service.build(
        schedule.trigger,
        lambda: _one_run(options, lambda: scheduler, stdout, stderr),
        run_now=args.run_now,
    )
    first = (
        dt.datetime.now(dt.UTC) if args.run_now else schedule.next_after(dt.datetime.now(dt.UTC))
    )
    stdout.write(
        f"watcher schedule: {args.cron!r} (UTC) for {config.root}; first run at {_stamp(first)}; "
        "SIGTERM or Ctrl-C stops\n"
    )
    stdout.flush()
    received = service.serve(scheduler, lambda line: print(line, file=stdout, flush=True))
    stdout.write(f"watcher schedule: stopped ({received})\n")
    stdout.flush()
    stderr.flush()
    return 0
