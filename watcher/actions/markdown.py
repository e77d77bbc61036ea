"""Put hostile upstream text into GitHub Markdown without it pinging, linking or breaking out.

Upstream text (route paths, names, messages built from them, commit subjects) may contain
`@someone`, `#123`, `owner/repo#5`, bare links, HTML, link syntax, backtick runs or invisible
control characters. On GitHub `@someone` notifies a person, `#123` links an issue of *our*
repository and `owner/repo#5` puts a cross-reference into someone else's issue, so prose puts
all of them (and bare `https://` and `www.` links) in code spans, naming an upstream `#123` as
`owner/repo#123`; code goes into spans and fences longer than any backtick run inside it.
"""

from __future__ import annotations

import re

# C0/C1 controls, zero-width characters and bidirectional overrides ("trojan source").
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
# Enough to make markup inert: no emphasis, code, link or image, HTML, entity, table cell.
_ESCAPED = re.compile(r"([\\`*_\[\]<|~&])")
# What GitHub turns into a link, a notification or a cross-reference in someone's issue: each
# goes into a code span. ASCII classes on purpose: GitHub's own boundaries are ASCII, so a
# Unicode `\w` would let `é@octocat` through as a mention.
_LIVE = re.compile(
    r"(?P<url>(?i:https?://|www\.)[^\s<>()\[\]`|\"']+)"
    r"|(?P<xref>(?<![A-Za-z0-9_.-])[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+#\d+(?![A-Za-z0-9_]))"
    r"|(?P<ref>(?<![A-Za-z0-9_&])(?i:#|GH-)\d+(?![A-Za-z0-9_]))"
    r"|(?P<mention>(?<![A-Za-z0-9_])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)"
)
_BACKTICKS = re.compile(r"`+")


def visible(text: str) -> str:
    """Control and invisible characters shown as escapes instead of acting on the reader."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def prose(text: str, upstream_repo: str | None, limit: int = 2000) -> str:
    """One line of upstream text as Markdown text: no markup, no mention, no link, no
    cross-reference (an `#123` of upstream names the upstream issue, in code, not ours)."""
    line = visible(" ".join(text.split()))
    if len(line) > limit:
        line = line[:limit] + f"... ({len(line) - limit} more characters)"
    out: list[str] = []
    last = 0
    for match in _LIVE.finditer(line):
        out.append(_ESCAPED.sub(r"\\\1", line[last : match.start()]))
        live = match.group()
        if match.group("ref") and upstream_repo:
            live = f"{upstream_repo}#{live.lstrip('#GgHh-')}"
        out.append(code(live))
        last = match.end()
    out.append(_ESCAPED.sub(r"\\\1", line[last:]))
    return "".join(out)


def _longest_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code(text: str, limit: int = 300) -> str:
    """An inline code span that holds `text` exactly, whatever backticks it contains."""
    line = visible(" ".join(text.split()))
    if len(line) > limit:
        line = line[:limit] + "..."
    if not line:
        return "(empty)"
    ticks = "`" * (_longest_run(line) + 1)
    pad = " " if line[0] in "` " or line[-1] in "` " else ""
    return f"{ticks}{pad}{line}{pad}{ticks}"


def fence(text: str, info: str = "") -> str:
    """A fenced block longer than any backtick run inside, so the text cannot close it early."""
    body = visible(text.replace("\r\n", "\n").replace("\r", "\n")).rstrip("\n")
    ticks = "`" * max(3, _longest_run(body) + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def length(text: str) -> int:
    """Length as GitHub counts it for its 65,536-character limit (UTF-16 units; errs long)."""
    return len(text.encode("utf-16-le")) // 2
