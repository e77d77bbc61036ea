"""Issue alerts for `watcher verify`: one issue per drifting claim, one health issue per card.

Runs after the verdicts are printed. GitHub trouble never hides them: it is reported in lines
after them. Only a refusal a person must fix (bad token, missing permission, no such repository,
issues disabled, a request GitHub will not accept) raises the exit code, to 2; an unreachable or
rate-limiting GitHub leaves the exit code to the claims, and the next run tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from watcher.actions.atomic import WriteError
from watcher.actions.health import health_subject, load_health, next_health, save_health
from watcher.actions.issue_text import ClaimAlert, UpstreamAt
from watcher.actions.issues import (
    IssueAction,
    Subject,
    apply,
    describe,
    drift_subject,
    plan,
    plan_removed,
)
from watcher.actions.report import CardReport
from watcher.config import Config
from watcher.github.client import GitHubClient
from watcher.github.errors import GitHubError, GitHubRejected
from watcher.github.issues import RepoIssues
from watcher.github.settings import GitHubSettings

Say = Callable[[str], None]


def claim_alerts(root: Path, report: CardReport, baseline: str | None) -> list[ClaimAlert]:
    result = report.result
    upstream = UpstreamAt(report.url, report.ref, result.commit, report.web_url)
    try:
        card_path = str(result.card.path.relative_to(root))
    except ValueError:
        card_path = str(result.card.path)
    return [
        ClaimAlert(
            card=result.card.id,
            card_path=card_path,
            claim=item.claim.id,
            kind=item.claim.config.kind,
            kind_help=(type(item.claim).__doc__ or "").strip().splitlines()[0],
            source=item.claim.config.source,
            dates_row=item.claim.config.dates_row,
            params=item.claim.described_params(),
            status=item.verdict.status,
            message=item.verdict.message,
            diff=item.verdict.diff,
            evidence=item.verdict.evidence,
            facts=item.facts,
            upstream=upstream,
            baseline_commit=baseline,
            first_commit=item.first_commit,
        )
        for item in result.results
    ]


def _subjects(
    config: Config,
    settings: GitHubSettings,
    reports: Sequence[CardReport],
    baselines: Mapping[str, str | None],
    today: str,
    dry_run: bool,
    say: Say,
) -> list[Subject]:
    """Every issue subject of this run; counts failed runs (and saves the count) on the way."""
    states, note = load_health(config.snapshots_dir)
    if note:
        say(f"issues: {note}")
    updated = dict(states)
    subjects: list[Subject] = []
    for report in reports:
        card = report.result.card.id
        subjects += [
            drift_subject(alert, settings.label)
            for alert in claim_alerts(config.root, report, baselines.get(card))
        ]
        updated[card] = next_health(states.get(card), report.result, today)
        upstream = UpstreamAt(report.url, report.ref, report.result.commit, report.web_url)
        subjects.append(
            health_subject(
                report.result,
                states.get(card),
                updated[card],
                settings.failure_threshold,
                upstream,
                settings.label,
            )
        )
    counted = {card: state for card, state in updated.items() if state.failures}
    if settings.configured and not dry_run and (counted != states or note):
        try:
            save_health(config.snapshots_dir, updated)
        except WriteError as exc:
            say(f"issues: the failure count was not saved: {exc}")
    return subjects


def _preview(action: IssueAction, say: Say) -> None:
    if action.verb in ("open", "edit"):
        say(f"  title: {action.title}")
        say("  ----- issue body -----")
        say(action.body.rstrip("\n"))
        say("  ----- end of issue body -----")
    elif action.verb == "close":
        say("  ----- comment -----")
        say(action.comment.rstrip("\n"))
        say("  ----- end of comment -----")


def _redacting(say: Say, token: str | None) -> Say:
    if not token:
        return say
    return lambda line: say(line.replace(token, "***"))


def file_issues(
    *,
    config: Config,
    settings: GitHubSettings,
    reports: Sequence[CardReport],
    baselines: Mapping[str, str | None],
    today: str,
    dry_run: bool,
    say: Say,
    transport: httpx.BaseTransport | None = None,
    progress: Say | None = None,
) -> int:
    """Open, edit and close issues (or print what would be done); returns the exit-code floor."""
    notes = {report.result.card.id: report.notes for report in reports}
    # Whatever GitHub echoes (an html_url, a message) may carry the token: never print or keep it.
    say = _redacting(say, settings.token)
    progress = _redacting(progress, settings.token) if progress is not None else None

    def tell(line: str, card: str | None = None) -> None:
        if settings.token:
            line = line.replace(settings.token, "***")
        say(line)
        for key, card_notes in notes.items():
            if card is None or key == card:
                card_notes.append(line)

    subjects = _subjects(config, settings, reports, baselines, today, dry_run, tell)
    if not settings.configured:
        wanted = [a for s in subjects for a in plan(s, []) if a.verb != "none"]
        if dry_run and wanted:
            say(
                f"issues: GitHub is not configured (set {settings.missing()}); as if it had no issues:"
            )
            for action in wanted:
                say(f"issues: {describe(action, None, dry_run=True)}")
                _preview(action, say)
        elif wanted:
            tell(f"issues: not filed; set {settings.missing()} to file them")
        return 0
    assert settings.repository is not None
    try:
        with GitHubClient(settings, transport, notice=progress) as client:
            api = RepoIssues(client, settings.repository)
            existing = api.list(settings.label)
            claims = {r.result.card.id: {i.claim.id for i in r.result.results} for r in reports}
            actions = [a for s in subjects for a in plan(s, existing)]
            actions += plan_removed(existing, claims)
            for action in actions:
                if action.verb == "none" and not action.reason:
                    continue
                if dry_run:
                    tell(f"issues: {describe(action, None, dry_run=True)}", action.card)
                    _preview(action, say)
                    continue
                done = apply(action, api, settings.label)
                tell(f"issues: {describe(action, done, dry_run=False)}", action.card)
    except GitHubError as exc:
        tell(f"issues: {exc}")
        tell("issues: the verdicts above stand; GitHub issues were not brought up to date")
        return 2 if isinstance(exc, GitHubRejected) else 0
    return 0
