"""GitHub's REST API for issue alerts: settings, an httpx client, the issue endpoints."""

from watcher.github.client import GitHubClient
from watcher.github.errors import GitHubError, GitHubRejected, GitHubUnavailable
from watcher.github.issues import Issue, RepoIssues
from watcher.github.settings import GitHubSettings, github_settings

__all__ = [
    "GitHubClient",
    "GitHubError",
    "GitHubRejected",
    "GitHubSettings",
    "GitHubUnavailable",
    "Issue",
    "RepoIssues",
    "github_settings",
]
