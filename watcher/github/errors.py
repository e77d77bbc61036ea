"""What can go wrong talking to GitHub, split by what a person has to do about it.

`GitHubRejected`: GitHub refused us for a reason that retrying will not fix (bad token, missing
permission, no such repository, issues disabled, a request it will not accept). Someone must
change a setting, so `watcher verify` exits 2 for these.

`GitHubUnavailable`: GitHub could not be reached or asked us to slow down for longer than we
wait. The next scheduled run tries again; the verify exit code is left as the claims decided.

Messages are one line and never contain the token.
"""

from __future__ import annotations

from watcher.errors import WatcherError


class GitHubError(WatcherError):
    """Issues could not be filed; the message says why and what to change."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status GitHub answered with, when it answered


class GitHubRejected(GitHubError):
    """GitHub refused the request; a setting (token, permission, repository) must change."""


class GitHubUnavailable(GitHubError):
    """GitHub could not be reached, failed, or rate-limited us; a later run will try again."""
