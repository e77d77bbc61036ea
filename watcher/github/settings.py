"""GitHub settings from the standard Actions variables, validated before any network use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from watcher.config import ConfigError, GitHubConfig

DEFAULT_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# A token is sent in a header: anything outside visible ASCII is a pasting accident.
_TOKEN = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str
    repository: str | None
    token: str | None = field(repr=False)
    label: str = "watcher"
    failure_threshold: int = 3

    @property
    def configured(self) -> bool:
        return bool(self.token and self.repository)

    def missing(self) -> str:
        """What to set before issues can be filed (empty when configured)."""
        needs = []
        if not self.token:
            needs.append("GITHUB_TOKEN")
        if not self.repository:
            needs.append("GITHUB_REPOSITORY (or github.repository in watcher.toml)")
        return " and ".join(needs)


def _api_url(value: str) -> str:
    url = value.rstrip("/")
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # A password in the URL would be printed and logged; the token has its own variable.
        raise ConfigError(
            "GITHUB_API_URL: has a user name or password in it (the value is not shown); "
            "give the URL alone and the token in GITHUB_TOKEN"
        )
    # The token travels with every request: plain http only to this machine (tests, proxies).
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url
    raise ConfigError(
        f"GITHUB_API_URL {value!r}: expected an https:// URL such as {DEFAULT_API_URL} "
        "(plain http only to 127.0.0.1 or localhost)"
    )


def github_settings(config: GitHubConfig, environ: Mapping[str, str]) -> GitHubSettings:
    """Settings for this run: `github.repository` in watcher.toml wins over GITHUB_REPOSITORY.

    In Actions GITHUB_REPOSITORY is always the repository the workflow runs in; a repository
    written in the config is a deliberate choice to file issues elsewhere.
    """
    api_url = _api_url(environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL)
    repository = config.repository or environ.get("GITHUB_REPOSITORY", "").strip() or None
    if repository is not None and not _REPOSITORY.match(repository):
        raise ConfigError(f"GITHUB_REPOSITORY {repository!r}: expected 'owner/name'")
    token = environ.get("GITHUB_TOKEN", "").strip() or None
    if token is not None and not _TOKEN.match(token):
        raise ConfigError(
            "GITHUB_TOKEN: contains spaces or control characters (the value is not shown)"
        )
    return GitHubSettings(api_url, repository, token, config.label, config.failure_threshold)
