"""`watcher coverage`: which statements of each card some claim checks, without a run upstream."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from watcher.actions import coverage as coverage_report
from watcher.actions.atomic import write_atomic
from watcher.actions.report import printable
from watcher.actions.snapshots import SnapshotError, load_snapshot
from watcher.claims import build_claim
from watcher.config import load_config
from watcher.config.references import REFERENCES_ID

HELP = "list each statement of a card's tables and each Sources row, and the claims that check it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("watcher.toml"),
        help="config file (default: ./watcher.toml)",
    )
    parser.add_argument("--card", help="only this card id")
    parser.add_argument(
        "--json", dest="json_out", metavar="PATH|-", help="write the JSON report (- : stdout only)"
    )


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(config_path=args.config, card=args.card, json_out=args.json_out, stdout=stdout)


def run(*, config_path: Path, card: str | None, json_out: str | None, stdout: TextIO) -> int:
    config = load_config(config_path)
    cards = [config.card(card)] if card else list(config.cards)
    for item in cards:
        for claim in item.claims:
            build_claim(claim)  # the same validation verify does: a bad claim stops here too
    entries: list[object] = []
    lines: list[str] = []
    for item in cards:
        try:
            snapshot = load_snapshot(config.snapshots_dir, item.id)
        except SnapshotError:  # coverage still lists everything; statuses say "not checked yet"
            snapshot = None
        baseline = snapshot.claims.get(REFERENCES_ID) if snapshot else None
        statuses = coverage_report.baseline_statuses(baseline)
        coverage = coverage_report.coverage_of(item, statuses)
        lines.append(f"{item.id}: {coverage_report.summary(coverage)}")
        lines.extend(coverage_report.console_lines(coverage, {}, indent="  "))
        entries.extend(coverage_report.to_json(item.id, coverage, {}))
    document = json.dumps({"coverage": entries}, indent=2, ensure_ascii=False) + "\n"
    if json_out == "-":
        stdout.write(document)
        return 0
    stdout.write(printable("\n".join(lines)) + "\n")
    if json_out:
        write_atomic(Path(json_out), document)
    return 0
