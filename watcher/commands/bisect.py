"""`watcher bisect`: the first upstream commit after a good one where a claim's outcome or facts change."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from watcher.actions import summary
from watcher.actions.report import json_text
from watcher.commands.common import PreparedCard, add_common, cache_dir_or, prepare
from watcher.config import ConfigError

HELP = "find the first upstream commit where a claim's outcome or facts changed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--claim", required=True, help="the claim id to bisect")
    parser.add_argument(
        "--good",
        metavar="COMMIT",
        help="a commit where the claim was as accepted (default: the baseline's commit in snapshots/)",
    )
    parser.add_argument(
        "--bad", metavar="REF", help="where it has changed (default: the fetched --ref's tip)"
    )
    parser.add_argument(
        "--json", dest="json_out", metavar="PATH|-", help="write the JSON result (- : stdout only)"
    )


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(
        config_path=args.config,
        card=args.card,
        claim=args.claim,
        good=args.good,
        bad=args.bad,
        upstream_url=args.upstream_url,
        ref=args.ref,
        cache_dir=args.cache_dir,
        json_out=args.json_out,
        stdout=stdout,
        stderr=stderr,
    )


def _card_of(prepared: list[PreparedCard], claim: str) -> PreparedCard:
    owners = [item for item in prepared if any(c.id == claim for c in item.claims)]
    if not owners:
        known = ", ".join(c.id for item in prepared for c in item.claims)
        raise ConfigError(f"--claim {claim}: no such claim (known: {known})")
    if len(owners) > 1:
        cards = ", ".join(item.card.id for item in owners)
        raise ConfigError(f"--claim {claim}: several cards have it ({cards}); add --card")
    return owners[0]


def run(
    *,
    config_path: Path,
    card: str | None,
    claim: str,
    good: str | None,
    bad: str | None,
    upstream_url: str | None,
    ref: str | None,
    cache_dir: str | None,
    json_out: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    # Imported here: every command module is imported to build the parser, on every run.
    from watcher.actions.atomic import write_atomic
    from watcher.factcache import FactsCache
    from watcher.history.bisect import bisect_claim
    from watcher.history.render import bisect_json, bisect_text
    from watcher.history.walker import CardWalker
    from watcher.upstream import open_upstream

    _config, prepared = prepare(
        config_path, card, upstream_url, ref, cache_dir=cache_dir_or(cache_dir)
    )
    item = _card_of(prepared, claim)
    if good is None and item.snapshot is None:
        raise ConfigError(
            f"--good: card {item.card.id} has no baseline in snapshots/; "
            "give --good COMMIT (or run `watcher accept` first)"
        )
    cache_path = cache_dir_or(cache_dir)
    baseline = item.snapshot.claims if item.snapshot else {}
    with open_upstream(item.spec, cache_path, stderr) as upstream:
        good_commit = upstream.rev_parse(good or (item.snapshot.commit if item.snapshot else ""))
        bad_commit = upstream.rev_parse(bad) if bad else upstream.resolve()
        # Only this claim is evaluated: its files alone decide which commits are candidates.
        claims = [c for c in item.claims if c.id == claim]
        walker = CardWalker(upstream, item.card, claims, baseline, FactsCache(cache_path))
        result = bisect_claim(walker, claim, good_commit, bad_commit, stderr)
    # Commit subjects and facts are upstream text: inert inside Actions, on either stream.
    human = stderr if json_out == "-" else stdout
    human.write(summary.shielded(bisect_text(result, item.web_url), os.environ))
    document = bisect_json(result, item.card.id, item.web_url)
    if json_out == "-":
        stdout.write(json_text(document, shielded=True))
    elif json_out:
        write_atomic(Path(json_out), json_text(document))
    return 0 if result.first is not None else 1
