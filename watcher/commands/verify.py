"""`watcher verify`: check every claim, then date the Sources rows whose claims all passed."""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext, suppress
from pathlib import Path
from typing import Any, ParamSpec, TextIO

# Only what every run needs is imported here; GitHub (httpx, jinja2) and git commits (GitPython)
# load when a run uses them: the daily no-change run is mostly interpreter start-up.
from watcher.actions import summary
from watcher.actions.atomic import write_atomic, write_together
from watcher.actions.card_dates import plan_dates, planned_card, rows_to_date
from watcher.actions.report import (
    CardReport,
    console,
    error_document,
    exit_code,
    json_text,
    overall,
    printable,
    to_json,
)
from watcher.actions.snapshots import planned_snapshot, snapshot_path
from watcher.commands.common import (
    PreparedCard,
    add_common,
    cache_dir_or,
    check_all,
    prepare,
    stderr_line,
    today_or,
    verified_snapshot,
)
from watcher.commands.run_lock import DEFAULT_WAIT_SECONDS, run_lock
from watcher.config import Config, ConfigError
from watcher.errors import WatcherError
from watcher.github.settings import github_settings
from watcher.orchestrator import CardResult

P = ParamSpec("P")

HELP = "check every claim against upstream; date the Sources rows whose claims all passed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser)
    parser.add_argument("--today", help="date to write (YYYY-MM-DD, default: today in UTC)")
    add_run_options(parser)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options `watcher schedule` passes on to every run, too."""
    parser.add_argument(
        "--dry-run", action="store_true", help="write nothing; print what would change"
    )
    parser.add_argument(
        "--no-issues", action="store_true", help="do not open, update or close GitHub issues"
    )
    parser.add_argument(
        "--json", dest="json_out", metavar="PATH|-", help="write the JSON report (- : stdout only)"
    )
    parser.add_argument(
        "--commit",
        action="store_true",
        help="commit the card and snapshot changes this run wrote (one commit, nothing if unchanged)",
    )
    parser.add_argument(
        "--push",
        action="store_true",
        help="with --commit: push it, rebasing and retrying if the branch moved meanwhile",
    )
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"wait this long for another run on this project to finish (default: {DEFAULT_WAIT_SECONDS:.0f})",
    )


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of `run` that come from the command line (all but --today)."""
    return {
        "config_path": args.config,
        "card": args.card,
        "upstream_url": args.upstream_url,
        "ref": args.ref,
        "cache_dir": args.cache_dir,
        "dry_run": args.dry_run,
        "no_issues": args.no_issues,
        "json_out": args.json_out,
        "commit": args.commit,
        "push": args.push,
        "lock_wait": args.lock_wait,
    }


def main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return run(**run_options(args), today=args.today, stdout=stdout, stderr=stderr)


def _act(
    config: Config,
    item: PreparedCard,
    result: CardResult,
    today: str,
    dry_run: bool,
    written: list[Path],
) -> CardReport:
    report = CardReport(
        result, item.spec.url, item.spec.ref, item.web_url, unchecked=item.unchecked()
    )
    # A row is dated when every claim bound to it passed; the others keep their date, and say why.
    # A claim whose source is no Sources row (a Resources link) dates no row and holds none back;
    # it still counts in the run's status and exit code.
    vouched, report.held = rows_to_date(
        (r.claim.id, row, status)
        for r in result.results
        for row, status in r.verdict.rows
        or (((r.claim.config.source, r.verdict.status),) if r.claim.config.dates_row else ())
        if row
    )
    snapshot = verified_snapshot(item, result, today)
    if snapshot is None:
        counts = sum(1 for r in result.results if r.verdict.status == result.status)
        why = "drifted" if result.status == "drift" else "could not be verified"
        report.dates_note = f"not moved: {counts} claim(s) {why}; card and snapshot untouched"
        return report
    dates = plan_dates(item.card.path, vouched, today)
    changes = dates.changes
    report.dates = changes
    report.notes.extend(dates.notes)
    target = snapshot_path(config.snapshots_dir, item.card.id)
    kept = sum(1 for r in result.results if r.verdict.status != "pass")
    others = "kept at the accepted baseline" if item.snapshot else "not recorded (no baseline yet)"
    recorded = f" (facts of the claims that passed; {kept} {others})"
    recorded = recorded if kept else ""
    if dry_run:
        report.dates_note = (
            f"dry run: would move {len(changes)} date(s) and write {target}{recorded}"
        )
        return report
    group = [planned_card(item.card.path, dates.text, dates.before, changes)] if changes else []
    group.append(planned_snapshot(config.snapshots_dir, snapshot))
    try:
        write_together(group)
    except WatcherError as exc:
        # The verdicts stand and are still reported; the run says it could not save them.
        report.dates = []
        report.dates_note = f"not written: {exc}"
        report.write_error = str(exc)
        return report
    written.extend(planned.path for planned in group)
    report.wrote = True
    report.dates_note = f"moved {len(changes)} date(s); snapshot {target.name} updated{recorded}"
    return report


def _leaves_a_report(verify: Callable[P, int]) -> Callable[P, int]:
    """The Action uploads the report whatever the outcome: a run that stopped early still leaves
    one at `--json PATH`, in the documented shape (`-` gets its document from the CLI)."""

    @functools.wraps(verify)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return verify(*args, **kwargs)
        except WatcherError as exc:
            json_out = kwargs.get("json_out")
            if isinstance(json_out, str) and json_out and json_out != "-":
                with suppress(WatcherError):
                    write_atomic(Path(json_out), json_text(error_document(str(exc))))
            raise

    return run


@_leaves_a_report
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
    commit: bool = False,
    push: bool = False,
    lock_wait: float = DEFAULT_WAIT_SECONDS,
) -> int:
    day = today_or(today)
    if push and not commit:
        raise ConfigError("--push needs --commit (it pushes the commit that --commit makes)")
    # A dry run writes nothing, so it need not wait for (or hold up) a run that does.
    lock: AbstractContextManager[None] = (
        nullcontext() if dry_run else run_lock(config_path, lock_wait, stderr_line(stderr))
    )
    with lock:
        if not dry_run:
            from watcher.actions.recovery import recover_interrupted

            recover_interrupted(
                config_path, commit, lambda line: print(f"watcher: {line}", file=stderr)
            )
        if commit and not dry_run:  # before reading the cards, and before work that would be lost
            from watcher.actions.git_commit import ProjectRepo

            ProjectRepo(config_path.resolve().parent).check_ready(push, stderr_line(stderr))
        config, prepared = prepare(
            config_path, card, upstream_url, ref, cache_dir=cache_dir_or(cache_dir)
        )
        # Bad GitHub settings stop the run here, before any network.
        github = None if no_issues else github_settings(config.github, os.environ)
        human = stderr if json_out == "-" else stdout
        results = check_all(
            prepared, cache_dir_or(cache_dir), stderr_line(stderr), progress=stderr, find_first=True
        )
        written: list[Path] = []
        reports = [
            _act(config, item, result, day, dry_run, written)
            for item, result in zip(prepared, results, strict=True)
        ]
        human.write(summary.shielded(console(reports), os.environ))
        code = exit_code(overall(reports))

        issue_lines: list[str] = []  # shown after the verdicts, in one shielded block

        if github is not None:
            from watcher.actions.alerts import file_issues
            from watcher.actions.health import health_path

            floor = file_issues(
                config=config,
                settings=github,
                reports=reports,
                baselines={p.card.id: p.snapshot.commit if p.snapshot else None for p in prepared},
                today=day,
                dry_run=dry_run,
                say=lambda line: issue_lines.append(printable(line) + "\n"),
                # Said when it happens (a wait is otherwise a silent pause of the run).
                progress=lambda line: print(f"watcher: issues: {line}", file=stderr, flush=True),
            )
            code = max(code, floor)
            if issue_lines:
                human.write(summary.shielded("".join(issue_lines), os.environ))
            if health_path(config.snapshots_dir).exists():
                written.append(health_path(config.snapshots_dir))  # the failure count travels too
        document = to_json(reports)
        saved: list[str] = []
        if commit:
            from watcher.actions.save_run import save_run

            document["saved"] = save_run(config.root, written, reports, push, dry_run, saved, human)
            code = 2 if "error" in document["saved"] else code
        if json_out == "-":
            stdout.write(json_text(document, shielded=True))
        elif json_out:
            write_atomic(Path(json_out), json_text(document))
        summary.publish(reports, saved, human, stderr, os.environ)
        return code
