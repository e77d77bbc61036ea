"""Save what a verify run wrote: one commit of exactly those files, pushed if asked.

The GitHub Action and `watcher schedule` both go through here, so "saved" means the same in
both. A push that still fails after the retries is an error (exit 2): a run that moved dates
but saved nothing must never look green.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from watcher.actions.git_commit import PUSH_ATTEMPTS, ProjectRepo, SaveError
from watcher.actions.report import CardReport, printable
from watcher.upstream.urls import redact


@dataclass(frozen=True)
class SaveOutcome:
    commit: str | None  # None: nothing changed, nothing committed
    pushed: bool
    target: str | None  # remote/branch pushed to
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "commit": self.commit,
            "pushed": self.pushed,
            "target": self.target,
        }
        if self.error is not None:
            document["error"] = self.error
        return document


def commit_message(reports: Sequence[CardReport], cards: Sequence[str]) -> str:
    """Subject names the card(s) and upstream commit; the body lists every claim and date moved."""
    saved = [report for report in reports if report.result.card.id in cards]
    if len(saved) == 1:
        only = saved[0].result
        what = "verified" if only.status == "verified" else "verified part of"
        subject = f"watcher: {what} {only.card.id} at {(only.commit or '?')[:12]} [skip ci]"
    else:
        names = ", ".join(report.result.card.id for report in saved) or "no card"
        subject = f"watcher: verified {len(saved)} cards: {names} [skip ci]"
    body: list[str] = []
    for report in saved:
        result = report.result
        body += [
            f"Card: {result.card.id}",
            f"Upstream: {redact(report.url)} {report.ref} @ {result.commit}",
            "Claims:",
            *(f"- {item.claim.id}: {item.verdict.status}" for item in result.results),
        ]
        if report.dates:
            body += ["Last Verified:", *(f"- {d.source}: {d.old} -> {d.new}" for d in report.dates)]
        if report.held:
            body += ["Not dated:", *(f"- {row.source}: {row.reason}" for row in report.held)]
        body.append("")
    return printable("\n".join([subject, "", *body]).rstrip() + "\n")


def save(
    root: Path,
    written: Sequence[Path],
    reports: Sequence[CardReport],
    *,
    push: bool,
    say: Callable[[str], None],
    attempts: int = PUSH_ATTEMPTS,
) -> SaveOutcome:
    """Commit the files this run wrote and, when asked, push. Failures come back in `error`."""
    sha: str | None = None
    try:
        project = ProjectRepo(root)
        cards = [report.result.card.id for report in reports if report.wrote]
        sha = project.commit(written, commit_message(reports, cards))
        if sha is None:
            say("nothing changed; nothing committed")
        else:
            say(f"committed {sha[:12]} ({len(written)} file(s) written by this run)")
        if not push:
            return SaveOutcome(sha, False, None)
        target = project.push(attempts, say)
        # A rebase gives our commit a new id: report the one that landed.
        sha = project.head() if sha else None
        say(f"pushed: {target} is at {project.head()[:12]}")
        return SaveOutcome(sha, True, target)
    except SaveError as exc:
        say(f"error: {exc}")
        return SaveOutcome(sha, False, None, str(exc))


def save_run(
    root: Path,
    written: Sequence[Path],
    reports: Sequence[CardReport],
    push: bool,
    dry_run: bool,
    lines: list[str],
    human: TextIO,
) -> dict[str, object]:
    """`verify --commit [--push]`: save, say each step on `human` and in `lines` (for the job
    summary), and return the JSON report's `saved` block (with `error` when saving failed)."""

    def say(line: str) -> None:
        lines.append(line)
        human.write(f"watcher: {line}\n")

    if dry_run:
        say("dry run: nothing written, nothing committed")
        return SaveOutcome(None, False, None).to_json()
    return save(root, written, reports, push=push, say=say).to_json()
