"""Put hostile upstream text into GitHub Markdown without it pinging, linking or breaking out.

Upstream text (route paths, names, messages built from them, commit subjects) may contain
`@someone`, `#123`, HTML, link syntax, backtick runs or invisible control characters. On GitHub
`@someone` notifies a person and `#123` links an issue of *our* repository, so prose gets its
mentions put in code and its issue references qualified with the upstream repository; code goes
into spans and fences longer than any backtick run inside it.
"""

from __future__ import annotations

import re

# C0/C1 controls, zero-width characters and bidirectional overrides ("trojan source").
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
# Enough to make markup inert: no emphasis, code, link or image, HTML, entity, table cell.
_ESCAPED = re.compile(r"([\\`*_\[\]<|~&])")
_MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")
_REFERENCE = re.compile(r"(?<![\w&])(?:#|GH-)(\d+)\b", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


def visible(text: str) -> str:
    """Control and invisible characters shown as escapes instead of acting on the reader."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def prose(text: str, upstream_repo: str | None, limit: int = 2000) -> str:
    """One line of upstream text as Markdown text: no markup, no mention, no link to our issues."""
    line = visible(" ".join(text.split()))
    if len(line) > limit:
        line = line[:limit] + f"... ({len(line) - limit} more characters)"
    line = _ESCAPED.sub(r"\\\1", line)
    line = _MENTION.sub(lambda m: f"`@{m.group(1)}`", line)

    def reference(match: re.Match[str]) -> str:
        if upstream_repo:
            return f"{upstream_repo}#{match.group(1)}"
        return f"`#{match.group(1)}`"

    return _REFERENCE.sub(reference, line)


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
