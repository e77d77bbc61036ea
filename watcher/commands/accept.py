"""`watcher accept`: record the current upstream facts as the new baseline, after human review."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TextIO

from watcher.actions.report import printable
from watcher.actions.snapshots import save_snapshot
from watcher.commands.common import (
    add_common,
    cache_dir_or,
    check_all,
    next_snapshot,
    only_claims,
    prepare,
    stderr_line,
)
from watcher.commands.run_lock import DEFAULT_WAIT_SECONDS, run_lock

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
        config, prepared = prepare(config_path, card, upstream_url, ref)
        prepared = only_claims(prepared, claims)
        results = check_all(prepared, cache_dir_or(cache_dir), say, use_baseline=False)
        code = 0
        today = dt.datetime.now(dt.UTC).date().isoformat()
        for item, result in zip(prepared, results, strict=True):
            missing = [r for r in result.results if r.facts is None]
            if missing or result.commit is None:
                for r in missing:
                    stderr.write(
                        printable(
                            f"{item.card.id}: cannot accept {r.claim.id}: {r.verdict.message}"
                        )
                        + "\n"
                    )
                hint = (
                    "" if claims else " (to accept the claims you reviewed, name them: --claim ID)"
                )
                stderr.write(f"{item.card.id}: nothing recorded{hint}\n")
                code = 2
                continue
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
            path = save_snapshot(config.snapshots_dir, snapshot)
            stdout.write(f"{item.card.id}: accepted facts at {result.commit[:12]} into {path}\n")
            for r in result.results:
                if r.verdict.status != "pass":
                    line = f"  {r.verdict.status.upper()} against the card: {r.claim.id}: {r.verdict.message}"
                    stdout.write(printable(line) + "\n")
        return code
