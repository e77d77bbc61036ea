"""What history and bisect hand to reports: commits, and where a claim first changed."""

from __future__ import annotations

from dataclasses import dataclass

from watcher.errors import WatcherError


class HistoryError(WatcherError):
    """A history walk or bisect cannot run: unknown commit, good not before bad, no git upstream."""


@dataclass(frozen=True)
class CommitRef:
    """One upstream commit as reports show it; `date` is the committer date (YYYY-MM-DD)."""

    commit: str
    date: str
    subject: str


@dataclass(frozen=True)
class FirstChange:
    """The first first-parent commit after the good one where a claim's outcome or facts changed.

    `merged_from` names the commit on the merged branch that introduced the change when `commit`
    is a merge (None when the change is the merge's own, e.g. a conflict resolution).
    `before`/`after` are the claim's status on either side ("pass", "drift", "error").
    """

    claim: str
    commit: CommitRef
    before: str
    after: str
    merged_from: CommitRef | None = None
    is_merge: bool = False

    def permalink(self, web_url: str | None, commit: str | None = None) -> str | None:
        if not web_url:
            return None
        return f"{web_url}/commit/{commit or self.commit.commit}"
