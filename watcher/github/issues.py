"""The issue and label endpoints watcher uses, on one repository, with typed results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from watcher.github.client import GitHubClient
from watcher.github.errors import GitHubRejected, GitHubUnavailable


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str
    labels: tuple[str, ...]
    html_url: str
    pull_request: bool
    state_reason: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Issue:
        try:
            labels = tuple(
                label["name"] if isinstance(label, dict) else str(label)
                for label in data.get("labels") or []
            )
            return cls(
                number=int(data["number"]),
                title=str(data.get("title") or ""),
                body=str(data.get("body") or ""),
                state=str(data["state"]),
                labels=labels,
                html_url=str(data.get("html_url") or ""),
                # Issue lists include pull requests; only they carry this key.
                pull_request="pull_request" in data,
                state_reason=data.get("state_reason"),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise GitHubUnavailable("GitHub answered with an issue watcher cannot read") from None


class RepoIssues:
    """Issues and labels of `owner/name`; every mutation goes through the client one at a time."""

    def __init__(self, client: GitHubClient, repository: str) -> None:
        self.client = client
        self.repository = repository
        self._base = f"/repos/{repository}"

    def list(self, label: str) -> list[Issue]:
        """Every issue (open and closed) carrying `label`, pull requests left out."""
        items = self.client.paginate(
            f"{self._base}/issues",
            {"labels": label, "state": "all", "sort": "created", "direction": "asc"},
        )
        issues = (Issue.from_json(item) for item in items)
        return [issue for issue in issues if not issue.pull_request]

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """Create our label when the repository does not have it yet."""
        try:
            self.client.get(f"{self._base}/labels/{quote(name, safe='')}")
            return
        except GitHubRejected as exc:
            if exc.status != 404:
                raise
        self.client.post(
            f"{self._base}/labels", {"name": name, "color": color, "description": description}
        )

    def create(self, title: str, body: str, label: str) -> Issue:
        issue = Issue.from_json(
            self.client.post(
                f"{self._base}/issues", {"title": title, "body": body, "labels": [label]}
            )
        )
        if label not in issue.labels:
            # GitHub drops labels silently for tokens without push access; without the label
            # the next run would not find this issue and would open another.
            raise GitHubRejected(
                f"issue #{issue.number} was opened but GitHub dropped the label {label!r}: "
                "give the token issues: write (and push access), then close the unlabelled issue"
            )
        return issue

    def update(self, number: int, **fields: str) -> Issue:
        return Issue.from_json(self.client.patch(f"{self._base}/issues/{number}", fields))

    def comment(self, number: int, body: str) -> None:
        self.client.post(f"{self._base}/issues/{number}/comments", {"body": body})
