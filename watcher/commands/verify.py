"""`watcher verify`: check every claim, then move dates and snapshots only for verified cards."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from watcher.actions.alerts import file_issues, issue_settings
from watcher.actions.atomic import write_atomic
from watcher.actions.card_dates import plan_dates, write_card
from watcher.actions.report import CardReport, console, exit_code, overall, printable, to_json
from watcher.actions.snapshots import Snapshot, save_snapshot, snapshot_path
from watcher.commands.common import (
    PreparedCard,
    add_common,
    cache_dir_or,
    check_all,
    prepare,
    today_or,
)
from watcher.config import Config
from watcher.orchestrator import CardResult

HELP = "check every claim against upstream; move dates only when the card verified"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--today", help="date to write (YYYY-MM-DD, default: today in UTC)")
    parser.add_argument(
        "--dry-run", action="store_true", help="write nothing; print what would change"
    )
    parser.add_argument(
        "--no-issues", action="store_true", help="do not open, update or close GitHub issues"
    )
    parser.add_argument(
        "--json", dest="json_out", metavar="PATH|-", help="write the JSON report (- : stdout only)"
    )


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(
        config_path=args.config,
        card=args.card,
        upstream_url=args.upstream_url,
        ref=args.ref,
        cache_dir=args.cache_dir,
        today=args.today,
        dry_run=args.dry_run,
        no_issues=args.no_issues,
        json_out=args.json_out,
        stdout=stdout,
        stderr=stderr,
    )


def _act(
    config: Config, item: PreparedCard, result: CardResult, today: str, dry_run: bool
) -> CardReport:
    report = CardReport(
        result, item.spec.url, item.spec.ref, item.web_url, unchecked=item.unchecked()
    )
    if result.status != "verified":
        counts = sum(1 for r in result.results if r.verdict.status == result.status)
        why = "drifted" if result.status == "drift" else "could not be verified"
        report.dates_note = f"not moved: {counts} claim(s) {why}; card and snapshot untouched"
        return report
    vouched = {claim.config.source for claim in item.claims}
    text, changes, before = plan_dates(item.card.path, vouched, today)
    report.dates = changes
    assert result.commit is not None
    snapshot = Snapshot(
        card=item.card.id,
        url=item.spec.url,
        ref=item.spec.ref,
        commit=result.commit,
        blobs=dict(result.blobs),
        claims={r.claim.id: r.facts for r in result.results},
        verified_on=today,
        accepted_on=item.snapshot.accepted_on if item.snapshot else None,
        extra=item.snapshot.extra if item.snapshot else {},
    )
    target = snapshot_path(config.snapshots_dir, item.card.id)
    if dry_run:
        report.dates_note = f"dry run: would move {len(changes)} date(s) and write {target}"
        return report
    if changes:
        write_card(item.card.path, text, before, changes)
    save_snapshot(config.snapshots_dir, snapshot)
    report.dates_note = f"moved {len(changes)} date(s); snapshot {target.name} updated"
    return report


def run(
    *,
    config_path: Path,
    card: str | None,
    upstream_url: str | None,
    ref: str | None,
    cache_dir: str | None,
    today: str | None,
    dry_run: bool,
    no_issues: bool,
    json_out: str | None,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    day = today_or(today)
    config, prepared = prepare(config_path, card, upstream_url, ref)
    github = issue_settings(config, no_issues)  # bad GitHub settings stop the run here, offline
    human = stderr if json_out == "-" else stdout
    results = check_all(
        prepared,
        cache_dir_or(cache_dir),
        lambda line: print(line, file=stderr),
        progress=stderr,
        find_first=True,
    )
    reports = [
        _act(config, item, result, day, dry_run)
        for item, result in zip(prepared, results, strict=True)
    ]
    human.write(console(reports))
    code = exit_code(overall(reports))

    def say(line: str) -> None:
        human.write(printable(line) + "\n")

    if github is not None:
        floor = file_issues(
            config=config,
            settings=github,
            reports=reports,
            baselines={p.card.id: p.snapshot.commit if p.snapshot else None for p in prepared},
            today=day,
            dry_run=dry_run,
            say=say,
        )
        code = max(code, floor)
    document = json.dumps(to_json(reports), indent=2, ensure_ascii=False) + "\n"
    if json_out == "-":
        stdout.write(document)
    elif json_out:
        write_atomic(Path(json_out), document)
    return code
