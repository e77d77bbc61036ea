"""watcher.toml: what to watch, validated whole before any network or disk work."""

from watcher.config.interface import (
    CardConfig,
    ClaimConfig,
    Config,
    ConfigError,
    GitHubConfig,
    UpstreamConfig,
)
from watcher.config.load import load_config

__all__ = [
    "CardConfig",
    "ClaimConfig",
    "Config",
    "ConfigError",
    "GitHubConfig",
    "UpstreamConfig",
    "load_config",
]
