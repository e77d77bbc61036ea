"""The facts cache: extraction results by git blob id, so an unchanged file is never parsed twice.

See `store.py` for the key and why an entry can never be served stale.
"""

from watcher.factcache.extract import extract_requests
from watcher.factcache.recording import RecordingTree, TreeReads
from watcher.factcache.store import FactsCache
from watcher.factcache.version import cache_version

__all__ = ["FactsCache", "RecordingTree", "TreeReads", "cache_version", "extract_requests"]
