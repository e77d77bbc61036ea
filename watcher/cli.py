"""Command line: parse arguments, dispatch to a command module, turn expected errors into one line."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from watcher import __version__
from watcher.errors import WatcherError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("watcher.toml"),
        help="config file (default: ./watcher.toml)",
    )
    parser.add_argument("--card", help="only this card id")
    parser.add_argument("--upstream-url", help="fetch from this URL instead of the configured one")
    parser.add_argument("--ref", help="branch, tag or commit to check (default: configured ref)")
    parser.add_argument(
        "--cache-dir", help="clone cache (default: $WATCHER_CACHE_DIR or ~/.cache/watcher)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="watcher", description=__doc__)
    parser.add_argument("--version", action="version", version=f"watcher {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    verify = sub.add_parser("verify", help="check every claim against upstream and update the card")
    _common(verify)
    verify.add_argument("--today", help="date to write (YYYY-MM-DD, default: today in UTC)")
    verify.add_argument(
        "--dry-run", action="store_true", help="write nothing; print what would change"
    )
    verify.add_argument(
        "--no-issues", action="store_true", help="do not open, update or close GitHub issues"
    )
    verify.add_argument(
        "--json",
        dest="json_out",
        metavar="PATH|-",
        help="write the JSON report (- for stdout only)",
    )

    accept = sub.add_parser("accept", help="record current upstream facts as the accepted baseline")
    _common(accept)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    common = {
        "config_path": args.config,
        "card": args.card,
        "upstream_url": args.upstream_url,
        "ref": args.ref,
        "cache_dir": args.cache_dir,
        "stdout": sys.stdout,
        "stderr": sys.stderr,
    }
    if args.command == "verify":
        from watcher.commands import verify

        return verify.run(
            **common,
            today=args.today,
            dry_run=args.dry_run,
            no_issues=args.no_issues,
            json_out=args.json_out,
        )
    from watcher.commands import accept

    return accept.run(**common)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except WatcherError as exc:
        print(f"watcher: error: {exc}", file=sys.stderr)
        if getattr(args, "json_out", None) == "-":
            print(
                '{"status": "error", "upstream": null, "claims": [], "error": '
                + _json_str(str(exc))
                + "}"
            )
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


def _json_str(text: str) -> str:
    import json

    return json.dumps(text)
