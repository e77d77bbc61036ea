"""`watcher schedule`: run `verify` on a cron schedule (UTC) in the foreground, for self-hosting.

Every run is exactly `watcher verify` with the same options (the run lock included), so a
scheduled run and a manual one never work on the same project at once.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from watcher.commands import verify
from watcher.commands.common import add_common

HELP = "run verify on a cron schedule (UTC) until SIGTERM or Ctrl-C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cron",
        required=True,
        metavar="EXPR",
        help="standard cron expression in UTC, e.g. '17 6 * * *' (day-of-week 0 and 7 = Sunday)",
    )
    parser.add_argument("--run-now", action="store_true", help="also run once right away")
    parser.add_argument(
        "--next", type=int, metavar="N", help="print the next N run times (UTC, ISO 8601) and exit"
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="DATETIME",
        help="with --next: count from this instant (ISO 8601, UTC if no offset) instead of now",
    )
    add_common(parser)
    verify.add_run_options(parser)


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    # APScheduler loads only for this command: every command module is imported on every run.
    from watcher.scheduling.command import run

    return run(args, stdout, stderr)
