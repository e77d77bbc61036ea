"""Command line: parse arguments, dispatch to a command module, turn expected errors into one line.

Each command is a module in `watcher.commands` with `HELP`, `add_arguments(parser)` and
`main(args, stdout, stderr) -> int`; adding a command is one new module and one name below.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from watcher import __version__
from watcher.errors import WatcherError

COMMANDS = ("verify", "accept", "coverage", "history", "bisect", "schedule")


def _command(name: str) -> ModuleType:
    return importlib.import_module(f"watcher.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watcher", description="Keep knowledge cards honest.")
    parser.add_argument("--version", action="version", version=f"watcher {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module = _command(name)
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = _command(args.command).main(args, sys.stdout, sys.stderr)
        return code
    except WatcherError as exc:
        print(f"watcher: error: {exc}", file=sys.stderr)
        if getattr(args, "json_out", None) == "-":
            from watcher.actions.report import error_document, json_text

            # Automation reading stdout still gets a document with the status it keys on.
            sys.stdout.write(json_text(error_document(str(exc)), shielded=True))
        return 2
    except KeyboardInterrupt:
        print("watcher: interrupted; nothing half-written (writes are atomic)", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so briefly, with where it happened
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        print(
            f"watcher: internal error (this is a bug, please report it): {type(exc).__name__}: {exc}\n"
            f"  at {frame.filename}:{frame.lineno} in {frame.name}\n"
            f"  watcher {__version__}, python {sys.version.split()[0]}",
            file=sys.stderr,
        )
        return 2
