"""`watcher history`: how a card's claims fared at every upstream commit that touched its files."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from watcher.actions import summary
from watcher.actions.report import json_text
from watcher.commands.common import (
    PreparedCard,
    add_common,
    cache_dir_or,
    only_claims,
    prepare,
    stderr_line,
)
from watcher.config import ConfigError
from watcher.upstream import Upstream

HELP = "walk the upstream commits that touched a card's files: claim outcomes and fact changes"
_MONTH_OR_DAY = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
# Without a baseline or --since, the walk covers this many of the newest commits that touched
# the card's files (the whole history of a busy file is thousands: half an hour of parsing).
DEFAULT_WINDOW = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--since",
        metavar="COMMIT|DATE",
        help="start after this commit, or at this date (YYYY-MM-DD or YYYY-MM, UTC); "
        "default: the baseline's commit in snapshots/, else the last "
        f"{DEFAULT_WINDOW} commits that touched the card's files",
    )
    start.add_argument(
        "--all",
        dest="whole",
        action="store_true",
        help="walk every commit that touched the card's files, whatever the baseline",
    )
    parser.add_argument(
        "--claim",
        action="append",
        dest="claims",
        metavar="ID",
        help="walk only this claim's files and outcomes (repeatable; default: every claim)",
    )
    parser.add_argument(
        "--json",
        dest="json_out",
        metavar="PATH|-",
        help="write the JSON timeline (- : stdout only)",
    )


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(
        config_path=args.config,
        card=args.card,
        upstream_url=args.upstream_url,
        ref=args.ref,
        cache_dir=args.cache_dir,
        since=args.since,
        whole=args.whole,
        claims=args.claims,
        json_out=args.json_out,
        stdout=stdout,
        stderr=stderr,
    )


def since_date(value: str) -> str | None:
    """YYYY-MM-DD for a date-like --since, None for anything else (a commit)."""
    if not _MONTH_OR_DAY.fullmatch(value):
        return None
    day = value if len(value) == 10 else value + "-01"
    try:
        return dt.date.fromisoformat(day).isoformat()
    except ValueError:
        raise ConfigError(f"--since {value!r}: not a date (use YYYY-MM-DD or YYYY-MM)") from None


def resolve_start(
    upstream: Upstream,
    item: PreparedCard,
    since: str | None,
    tip: str,
    paths: list[str],
    say: Callable[[str], None],
    whole: bool = False,
) -> str | None:
    """The commit the walk starts after: --since, else the baseline's commit, else the start of
    the default window (None: the whole history). A walk not bounded by the user or a baseline
    says first what it will cover, with the commit count."""
    if since is not None:
        day = since_date(since)
        return upstream.commit_before(tip, day) if day else upstream.rev_parse(since)
    if item.snapshot is not None and not whole:
        return upstream.rev_parse(item.snapshot.commit)
    card = item.card.id
    newest = upstream.touching(tip, paths)
    if whole or len(newest) <= DEFAULT_WINDOW:
        why = "--all" if whole else "no baseline yet"
        say(f"history {card}: walking all {len(newest)} commits that touched its files ({why})")
        return None
    say(
        f"history {card}: no baseline yet; walking the newest {DEFAULT_WINDOW} of the "
        f"{len(newest)} commits that touched its files (--all walks every one, "
        "--since COMMIT|DATE picks a start)"
    )
    return newest[DEFAULT_WINDOW]


def run(
    *,
    config_path: Path,
    card: str | None,
    upstream_url: str | None,
    ref: str | None,
    cache_dir: str | None,
    since: str | None,
    json_out: str | None,
    stdout: TextIO,
    stderr: TextIO,
    claims: list[str] | None = None,
    whole: bool = False,
) -> int:
    # Imported here: every command module is imported to build the parser, on every run.
    from watcher.actions.atomic import write_atomic
    from watcher.factcache import FactsCache
    from watcher.history.render import timeline_json, timeline_table
    from watcher.history.timeline import build_timeline
    from watcher.history.walker import CardWalker
    from watcher.upstream import open_upstream

    if since is not None:
        since_date(since)  # a malformed date fails before any network
    _config, prepared = prepare(
        config_path, card, upstream_url, ref, cache_dir=cache_dir_or(cache_dir)
    )
    prepared = only_claims(prepared, claims)
    cache_path = cache_dir_or(cache_dir)
    cache = FactsCache(cache_path)
    human = stderr if json_out == "-" else stdout
    documents: list[dict[str, Any]] = []
    say = stderr_line(stderr)
    for spec in dict.fromkeys(item.spec for item in prepared):
        with open_upstream(spec, cache_path, stderr) as upstream:
            tip = upstream.resolve()
            for item in (p for p in prepared if p.spec == spec):
                baseline = item.snapshot.claims if item.snapshot else {}
                walker = CardWalker(upstream, item.card, item.claims, baseline, cache)
                paths = walker.claim_paths()
                start = resolve_start(upstream, item, since, tip, paths, say, whole)
                timeline = build_timeline(walker, tip, start, stderr)
                # Subjects and facts are upstream text: inert inside Actions.
                human.write(
                    summary.shielded(timeline_table(timeline, spec.url, spec.ref), os.environ)
                )
                documents.append(timeline_json(timeline, spec.url, spec.ref, item.web_url))
    if json_out == "-":
        stdout.write(json_text({"cards": documents}, shielded=True))
    elif json_out:
        write_atomic(Path(json_out), json_text({"cards": documents}))
    return 0
