"""watcher: keeps knowledge cards honest against the upstream code they cite."""

__version__ = "0.1.0"
