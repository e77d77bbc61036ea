"""GitHub's REST API for issue alerts: settings, an httpx client, the issue endpoints.

Names load on first use: `watcher.github.settings` is read on every verify run, and should not
bring httpx with it.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "GitHubClient": "client",
    "GitHubError": "errors",
    "GitHubRejected": "errors",
    "GitHubUnavailable": "errors",
    "Issue": "issues",
    "RepoIssues": "issues",
    "GitHubSettings": "settings",
    "github_settings": "settings",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"watcher.github.{_WHERE[name]}"), name)
