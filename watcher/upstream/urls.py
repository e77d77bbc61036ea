"""Which upstream URLs we accept: https, ssh and file only, never anything git reads as an option."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from watcher.upstream.interface import UpstreamError

_SCP_LIKE = re.compile(r"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[A-Za-z0-9_./~-]+$")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """Hide credentials embedded in URLs (https://user:token@host) from any message we print."""
    return _USERINFO.sub("***@", text)


def check_url(url: str) -> str:
    """Return the URL unchanged if it is safe to hand to git, else raise UpstreamError."""
    shown = redact(url)
    if not url or url.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UpstreamError(
            f"upstream URL {shown!r} is not a URL (use https://, ssh:// or file://)"
        )
    if _SCP_LIKE.match(url):
        return url
    parts = urlsplit(url)
    if parts.scheme not in {"https", "ssh", "file"}:
        raise UpstreamError(
            f"upstream URL {shown!r}: scheme {parts.scheme or '(none)'!r} is not allowed "
            "(use https://, ssh:// or file://)"
        )
    if parts.scheme == "file" and not parts.path:
        raise UpstreamError(f"upstream URL {shown!r}: a file:// URL needs a path")
    if parts.scheme != "file" and not parts.hostname:
        raise UpstreamError(f"upstream URL {shown!r}: no host")
    return url
