"""Which upstream URLs and refs we accept: https, ssh and file only, never anything git reads as
an option, never credentials (a URL is printed, stored in snapshots and reports)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from watcher.upstream.interface import UpstreamError

_SCP_LIKE = re.compile(r"[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:[A-Za-z0-9_./~-]+")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
# git's scheme match is case-sensitive: "HTTPS://" would not be the transport we allowed.
_SCHEMES = ("https://", "ssh://", "file://")
SAFE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
CREDENTIAL_HINT = (
    "credentials in the URL are refused (they would be printed and stored in snapshots); "
    "remove them and let git supply them: a credential helper "
    "(git config --global credential.helper store, or gh auth setup-git) or an ssh URL"
)


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
    if _SCP_LIKE.fullmatch(url):
        return url
    if not url.startswith(_SCHEMES):
        scheme = url.split("://", 1)[0] if "://" in url else "(none)"
        raise UpstreamError(
            f"upstream URL {shown!r}: scheme {scheme!r} is not allowed "
            "(use https://, ssh:// or file://, in lower case)"
        )
    parts = urlsplit(url)
    has_user = "@" in parts.netloc
    if has_user and (parts.scheme != "ssh" or parts.password is not None):
        raise UpstreamError(f"upstream URL {shown!r}: {CREDENTIAL_HINT}")
    if parts.scheme == "file" and not parts.path:
        raise UpstreamError(f"upstream URL {shown!r}: a file:// URL needs a path")
    if parts.scheme != "file" and not parts.hostname:
        raise UpstreamError(f"upstream URL {shown!r}: no host")
    return url


def check_ref(ref: str) -> str:
    """Return the ref unchanged if it can name a branch, tag or commit id, else raise."""
    if not SAFE_REF.fullmatch(ref) or ".." in ref:
        raise UpstreamError(f"ref {ref!r} is not a valid branch, tag or commit id")
    return ref
