"""The upstream stage: sync a cached partial clone, resolve a ref, read files at a commit."""

from watcher.upstream.git_sync import default_cache_dir, open_upstream
from watcher.upstream.interface import FileBlob, Upstream, UpstreamError, UpstreamSpec

__all__ = [
    "FileBlob",
    "Upstream",
    "UpstreamError",
    "UpstreamSpec",
    "default_cache_dir",
    "open_upstream",
]
