"""One GitHub issue per subject (a drifting claim, or a card watcher cannot check): plan, then act.

An issue is found again by our label plus a hidden marker on the first line of its body, naming
the card (and claim). Never by title; pull requests, which GitHub lists with issues, are skipped.
Planning is pure (`plan`, `plan_removed`): it compares this run's outcome with the issues GitHub
holds and returns actions; `apply` carries out one action. A dry run prints the plan instead.

Per subject:
- bad (drift, or failing past the threshold), an open issue: edit it in place when the evidence
  fingerprint changed; otherwise do nothing, so scheduled runs do not spam.
- bad, no open issue: open one. If the newest closed one was closed by a person (watcher did
  not mark it resolved) while showing this same evidence, stay quiet: a person decided, and
  watcher speaks again only when the evidence changes. An issue watcher closed as resolved is
  history: drifting again opens a new issue that links back to it.
- good (the claim holds, the card could be checked), an open issue: comment with the commit and
  close it as completed, marking it resolved.
- unknown (the claim could not be checked): nothing; that neither confirms nor resolves a drift.
- several open issues for one subject: keep the oldest, close the others as duplicates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from watcher.actions.issue_text import ClaimAlert, drift_body, render, resolved_comment
from watcher.github.issues import Issue, RepoIssues

LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "A knowledge card claim drifted from upstream (filed by watcher)"
_MARKER = re.compile(
    r"\A\s*<!-- watcher:(?P<kind>drift|health)(?P<fields>(?: [a-z]+=[A-Za-z0-9._-]+)*) -->"
)


@dataclass(frozen=True)
class Marker:
    """The hidden first line of every issue watcher files."""

    kind: str
    card: str
    claim: str = ""
    fingerprint: str = ""
    resolved: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.card, self.claim)

    def render(self) -> str:
        fields = [("card", self.card), ("claim", self.claim), ("fingerprint", self.fingerprint)]
        fields.append(("resolved", self.resolved))
        text = " ".join(f"{name}={value}" for name, value in fields if value)
        return f"<!-- watcher:{self.kind} {text} -->"

    @classmethod
    def parse(cls, body: str) -> Marker | None:
        match = _MARKER.match(body)
        if match is None:
            return None
        fields = dict(item.split("=", 1) for item in match.group("fields").split())
        if not fields.get("card"):
            return None
        return cls(
            kind=match.group("kind"),
            card=fields["card"],
            claim=fields.get("claim", ""),
            fingerprint=fields.get("fingerprint", ""),
            resolved=fields.get("resolved", ""),
        )

    def stamp(self, body: str) -> str:
        """`body` with its marker line replaced by this marker."""
        return _MARKER.sub(lambda _: self.render(), body, count=1)


@dataclass(frozen=True)
class Subject:
    """What one issue is about, in this run: its marker, state and texts."""

    name: str
    marker: Marker
    state: str  # "bad" | "good" | "unknown"
    title: str
    body: Callable[[int | None], str]  # the number of an earlier, closed issue -> body
    resolution: Callable[[], str]
    resolved_by: str = "resolved"  # the marker's `resolved=` value when watcher closes it


@dataclass(frozen=True)
class IssueAction:
    verb: str  # "open" | "edit" | "close" | "none"
    card: str
    name: str
    reason: str
    issue: Issue | None = None
    title: str = ""
    body: str = ""  # for close: the body to leave (marked resolved); "" leaves it alone
    comment: str = ""
    state_reason: str = "completed"


def _ours(issues: Sequence[Issue], key: tuple[str, str, str]) -> list[tuple[Marker, Issue]]:
    found = []
    for issue in issues:
        marker = Marker.parse(issue.body)
        if marker is not None and marker.key == key and not issue.pull_request:
            found.append((marker, issue))
    return sorted(found, key=lambda pair: pair[1].number)


def _duplicates(
    card: str, name: str, extra: Sequence[tuple[Marker, Issue]], keep: Issue
) -> list[IssueAction]:
    return [
        IssueAction(
            "close",
            card,
            name,
            f"duplicate of #{keep.number}",
            issue,
            comment=render("duplicate.md.j2", number=keep.number),
            state_reason="duplicate",
        )
        for _, issue in extra
    ]


def plan(subject: Subject, issues: Sequence[Issue]) -> list[IssueAction]:
    """What to do about one subject, given every issue carrying our label."""
    mine = _ours(issues, subject.marker.key)
    opened = [pair for pair in mine if pair[1].state == "open"]
    closed = [pair for pair in mine if pair[1].state != "open"]
    if not opened:
        return [_without_open(subject, closed)]
    (marker, issue), extra = opened[0], opened[1:]
    actions = _duplicates(subject.marker.card, subject.name, extra, issue)
    if subject.state == "bad":
        if marker.fingerprint == subject.marker.fingerprint:
            actions.append(
                IssueAction(
                    "none",
                    subject.marker.card,
                    subject.name,
                    f"#{issue.number} is up to date",
                    issue,
                )
            )
        else:
            earlier = [pair for pair in closed if pair[1].number < issue.number]
            previous = earlier[-1][1].number if earlier else None
            body = subject.body(previous)
            actions.append(
                IssueAction(
                    "edit",
                    subject.marker.card,
                    subject.name,
                    "the evidence changed",
                    issue,
                    subject.title,
                    body,
                )
            )
    elif subject.state == "good":
        done = dataclasses.replace(marker, resolved=subject.resolved_by)
        actions.append(
            IssueAction(
                "close",
                subject.marker.card,
                subject.name,
                "resolved",
                issue,
                body=done.stamp(issue.body),
                comment=subject.resolution(),
            )
        )
    else:
        actions.append(
            IssueAction(
                "none",
                subject.marker.card,
                subject.name,
                f"could not check it; #{issue.number} left open",
                issue,
            )
        )
    return actions


def _without_open(subject: Subject, closed: Sequence[tuple[Marker, Issue]]) -> IssueAction:
    if subject.state != "bad":
        return IssueAction("none", subject.marker.card, subject.name, "")
    last = closed[-1] if closed else None
    by_hand = last is not None and not last[0].resolved
    if last is not None and by_hand and last[0].fingerprint == subject.marker.fingerprint:
        return IssueAction(
            "none",
            subject.marker.card,
            subject.name,
            f"#{last[1].number} was closed by a person with this same evidence; "
            "watcher speaks again when the evidence changes",
            last[1],
        )
    previous = last[1].number if last else None
    reason = f"drifted again after #{previous}" if previous else "new"
    return IssueAction(
        "open",
        subject.marker.card,
        subject.name,
        reason,
        None,
        subject.title,
        subject.body(previous),
    )


def plan_removed(issues: Sequence[Issue], claims: Mapping[str, set[str]]) -> list[IssueAction]:
    """Close open drift issues of checked cards whose claim is no longer configured."""
    actions = []
    for issue in issues:
        marker = Marker.parse(issue.body)
        if marker is None or marker.kind != "drift" or issue.state != "open" or issue.pull_request:
            continue
        if marker.card in claims and marker.claim not in claims[marker.card]:
            actions.append(
                IssueAction(
                    "close",
                    marker.card,
                    f"{marker.card}/{marker.claim}",
                    "the claim is no longer configured",
                    issue,
                    comment=render("drift_removed.md.j2", card=marker.card, claim=marker.claim),
                    state_reason="not_planned",
                )
            )
    return actions


def apply(action: IssueAction, api: RepoIssues, label: str) -> Issue | None:
    """Carry out one action; GitHub errors propagate (the caller reports them)."""
    if action.verb == "open":
        api.ensure_label(label, LABEL_COLOR, LABEL_DESCRIPTION)
        return api.create(action.title, action.body, label)
    assert action.issue is not None or action.verb == "none"
    if action.verb == "edit":
        assert action.issue is not None
        return api.update(action.issue.number, title=action.title, body=action.body)
    if action.verb == "close":
        assert action.issue is not None
        api.comment(action.issue.number, action.comment)
        fields = {"state": "closed", "state_reason": action.state_reason}
        if action.body:
            fields["body"] = action.body
        return api.update(action.issue.number, **fields)
    return action.issue


def describe(action: IssueAction, done: Issue | None, dry_run: bool) -> str:
    """One line for the console: what was (or would be) done, and why."""
    number = f"#{done.number}" if done else (f"#{action.issue.number}" if action.issue else "")
    url = f" {done.html_url}" if done and done.html_url and not dry_run else ""
    past = {"open": "opened", "edit": "edited", "close": "closed"}
    if action.verb == "none":
        return f"issue for {action.name}: nothing to do ({action.reason})"
    verb = f"would {action.verb}" if dry_run else past[action.verb]
    target = f"issue {number}" if number else "an issue"
    return f"{verb} {target} for {action.name} ({action.reason}){url}"


def drift_subject(alert: ClaimAlert, label: str) -> Subject:
    """The drift issue of one claim: bad while it drifts, good once it holds."""
    marker = Marker("drift", alert.card, alert.claim, alert.fingerprint)
    return Subject(
        name=f"{alert.card}/{alert.claim}",
        marker=marker,
        state={"drift": "bad", "pass": "good"}.get(alert.status, "unknown"),
        title=alert.title,
        body=lambda previous: drift_body(alert, marker.render(), label, previous),
        resolution=lambda: resolved_comment(alert),
        resolved_by=alert.upstream.commit or "yes",
    )
