"""`watcher accept`: record the current upstream facts as the new baseline, after human review."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import TextIO

from watcher.actions import summary
from watcher.actions.recovery import recover_interrupted
from watcher.actions.report import one_line
from watcher.actions.snapshots import save_snapshot
from watcher.commands.common import (
    PreparedCard,
    add_common,
    cache_dir_or,
    check_all,
    next_snapshot,
    only_claims,
    prepare,
    stderr_line,
)
from watcher.commands.run_lock import DEFAULT_WAIT_SECONDS, run_lock
from watcher.config import ConfigError
from watcher.orchestrator import CardResult

HELP = "record the current upstream facts as the accepted baseline (after reviewing a drift)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument(
        "--claim",
        action="append",
        dest="claims",
        metavar="ID",
        help="accept only this claim (repeatable); the others keep their accepted baseline",
    )


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(
        config_path=args.config,
        card=args.card,
        upstream_url=args.upstream_url,
        ref=args.ref,
        cache_dir=args.cache_dir,
        claims=args.claims,
        stdout=stdout,
        stderr=stderr,
    )


def run(
    *,
    config_path: Path,
    card: str | None,
    upstream_url: str | None,
    ref: str | None,
    cache_dir: str | None,
    stdout: TextIO,
    stderr: TextIO,
    claims: list[str] | None = None,
) -> int:
    # accept writes snapshots: it waits for (and holds off) a verify of the same project.
    say = stderr_line(stderr)
    with run_lock(config_path, DEFAULT_WAIT_SECONDS, say):
        recover_interrupted(config_path, False, lambda line: say(f"watcher: {line}"))
        config, prepared = prepare(
            config_path,
            card,
            upstream_url,
            ref,
            replacing_snapshots=True,
            cache_dir=cache_dir_or(cache_dir),
        )
        prepared = only_claims(prepared, claims)
        for item in prepared:
            if item.broken_snapshot and claims:
                raise ConfigError(
                    f"{item.broken_snapshot.split(';')[0]}: --claim would keep the other claims' "
                    "baselines, but they cannot be read; run `watcher accept` without --claim "
                    "to record every claim anew"
                )
        results = check_all(prepared, cache_dir_or(cache_dir), say, use_baseline=False)
        code = 0
        today = dt.datetime.now(dt.UTC).date().isoformat()
        lines: list[str] = []
        problems: list[str] = []
        for item, result in zip(prepared, results, strict=True):
            outcome = _accept_one(config.snapshots_dir, item, result, claims, today)
            (problems if outcome[0] else lines).extend(outcome[1])
            code = max(code, outcome[0])
        # Route paths and messages are upstream text: one line each, and inert inside Actions.
        for stream, text in ((stderr, problems), (stdout, lines)):
            if text:
                stream.write(
                    summary.shielded("".join(one_line(x) + "\n" for x in text), os.environ)
                )
        return code


def _accept_one(
    snapshots_dir: Path,
    item: PreparedCard,
    result: CardResult,
    claims: list[str] | None,
    today: str,
) -> tuple[int, list[str]]:
    """Record one card's facts as its baseline: the exit code and the lines to print."""
    lines: list[str] = []
    if result.commit is None:
        # The upstream could not be read: its reason was said once above, not once per claim.
        lines.append(
            f"{item.card.id}: nothing recorded (the upstream could not be read; see above)"
        )
        return 2, lines
    missing = [r for r in result.results if r.facts is None]
    if missing:
        for r in missing:
            lines.append(f"{item.card.id}: cannot accept {r.claim.id}: {r.verdict.message}")
        # Naming the claims that could be read helps only when some could.
        readable = any(r.facts is not None for r in result.results)
        hint = (
            " (to accept the claims you reviewed, name them: --claim ID)"
            if readable and not claims and not item.broken_snapshot
            else ""
        )
        lines.append(f"{item.card.id}: nothing recorded{hint}")
        return 2, lines
    previous = item.snapshot
    snapshot = next_snapshot(
        item,
        result,
        # Claims not named with --claim keep the baseline a person accepted before.
        {
            **(previous.claims if previous else {}),
            **{r.claim.id: r.facts for r in result.results},
        },
        verified_on=previous.verified_on if previous else None,
        accepted_on=today,
    )
    path = save_snapshot(snapshots_dir, snapshot)
    lines.append(f"{item.card.id}: accepted facts at {result.commit[:12]} into {path}")
    if item.broken_snapshot:
        lines.append(f"  replaced the unreadable snapshot: {item.broken_snapshot.split('; ')[0]}")
    for r in result.results:
        if r.verdict.status != "pass":
            lines.append(
                f"  {r.verdict.status.upper()} against the card: {r.claim.id}: {r.verdict.message}"
            )
    return 0, lines
