"""What watcher's issues say: the alert model and the jinja2 templates that render it.

Everything that came from upstream goes through the `markdown` filters (prose, code, fence);
the body is cut to GitHub's 65,536-character limit by leaving out evidence, never the marker or
the resolution steps at the top.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from watcher import __version__
from watcher.actions.markdown import code, fence, length, prose
from watcher.claims import JSON, Evidence
from watcher.history.interface import CommitRef, FirstChange

MAX_BODY = 65_536
_HEX = re.compile(r"^[0-9a-f]{7,40}$")
MAX_LINE = 1_000  # one diff line or evidence note; a longer one is cut


@dataclass(frozen=True)
class UpstreamAt:
    """Where a run looked: the upstream, its ref and commit, and where permalinks point."""

    url: str
    ref: str
    commit: str | None
    web_url: str | None

    @property
    def repo(self) -> str | None:
        """`owner/name` of the upstream on its web host, for references like owner/name#123."""
        if not self.web_url:
            return None
        parts = [part for part in urlsplit(self.web_url).path.split("/") if part]
        return "/".join(parts[-2:]) if len(parts) >= 2 else None

    def commit_link(self, commit: str | None) -> str:
        """`[abc123def456](…/commit/…)`, or the short id alone without a web URL."""
        if not commit:
            return "an unknown commit"
        short = code(commit[:12])
        if not self.web_url:
            return short
        return f"[{short}]({self.web_url}/commit/{commit})"

    def permalink(self, evidence: Evidence) -> str | None:
        if evidence.path.startswith(("https://", "http://")):
            return evidence.path  # a web page a claim fetched (docs-page), not an upstream file
        if not self.web_url or not self.commit:
            return None
        anchor = f"#L{evidence.line}" if evidence.line else ""
        return f"{self.web_url}/blob/{self.commit}/{quote(evidence.path)}{anchor}"


@dataclass(frozen=True)
class ClaimAlert:
    """One claim's outcome in one run, with everything its issue says."""

    card: str
    card_path: str
    claim: str
    kind: str
    kind_help: str
    source: str
    params: tuple[tuple[str, Any], ...]
    status: str
    message: str
    diff: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    facts: JSON | None
    upstream: UpstreamAt
    baseline_commit: str | None
    # Where the drift came in (bisected against the baseline), when it is known. Not part of the
    # fingerprint: finding it or not must not edit the issue.
    first_commit: FirstChange | None = None
    # False: `source` is a link the card cites in a covered row, not a Sources row it dates.
    dates_row: bool = True

    @property
    def fingerprint(self) -> str:
        """What the evidence says, without commit or line numbers: unrelated upstream commits
        and lines shifting do not change it, so they do not edit the issue."""
        data = [
            self.status,
            self.message,
            list(self.diff),
            [[e.path, e.note] for e in self.evidence],
        ]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    @property
    def title(self) -> str:
        return f"Drift: {self.claim} ({self.card})"


@dataclass(frozen=True)
class Trim:
    """How much evidence a body keeps; None keeps all of it."""

    diff: int | None = None
    evidence: int | None = None
    facts: bool = True


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("watcher.actions", "templates"),
        autoescape=False,  # Markdown, not HTML: the filters below do the escaping
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["prose"] = prose
    env.filters["code"] = code
    env.filters["fence"] = fence
    env.filters["param"] = _param
    return env


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(version=__version__, **values)


def _cut(line: str) -> str:
    return (
        line
        if len(line) <= MAX_LINE
        else line[:MAX_LINE] + f" ... ({len(line) - MAX_LINE} more characters)"
    )


def _param(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(code(str(item)) for item in value) or "(none)"
    return code(json.dumps(value) if isinstance(value, bool) else str(value))


def _evidence_line(alert: ClaimAlert, evidence: Evidence) -> str:
    where = f"{evidence.path} line {evidence.line}" if evidence.line else evidence.path
    link = alert.upstream.permalink(evidence)
    shown = f"[{code(where)}]({link})" if link else code(where)
    return f"{shown}: {prose(_cut(evidence.note), alert.upstream.repo)}"


def drift_body(alert: ClaimAlert, marker: str, label: str, previous: int | None) -> str:
    """The issue body, cut to GitHub's limit by dropping facts, then diff and evidence lines."""
    upstream = alert.upstream

    def body(trim: Trim) -> str:
        diff = [_cut(line) for line in alert.diff[: trim.diff]]
        evidence = [_evidence_line(alert, e) for e in alert.evidence[: trim.evidence]]
        compare = None
        if upstream.web_url and alert.baseline_commit and upstream.commit:
            compare = f"{upstream.web_url}/compare/{alert.baseline_commit}...{upstream.commit}"
        facts = json.dumps(alert.facts, indent=2) if trim.facts and alert.facts is not None else ""
        return render(
            "drift_issue.md.j2",
            a=alert,
            marker=marker,
            label=label,
            previous=previous,
            repo=upstream.repo,
            at=where_looked(upstream),
            short=(upstream.commit or "")[:12],
            baseline=upstream.commit_link(alert.baseline_commit),
            head=upstream.commit_link(upstream.commit),
            compare=compare,
            diff="\n".join(diff),
            diff_more=len(alert.diff) - len(diff),
            evidence=evidence,
            evidence_more=len(alert.evidence) - len(evidence),
            facts=facts,
            first=_first_commit(alert),
        )

    return fit(body, len(alert.diff), len(alert.evidence))


def _commit_line(upstream: UpstreamAt, ref: CommitRef) -> str:
    # The subject is upstream text: prose() neutralises @mentions and #references in it.
    return f"{upstream.commit_link(ref.commit)} ({ref.date}): {prose(_cut(ref.subject), upstream.repo)}"


def _first_commit(alert: ClaimAlert) -> str:
    """'First changed in <commit> (date): subject', and the merged branch's commit if any."""
    first = alert.first_commit
    if first is None:
        return ""
    text = _commit_line(alert.upstream, first.commit)
    if first.merged_from is not None:
        text += f"; introduced on the merged branch by {_commit_line(alert.upstream, first.merged_from)}"
    return text


def fit(body: Callable[[Trim], str], diff: int, evidence: int) -> str:
    """The fullest body within MAX_BODY: drop the facts, then halve diff and evidence lines."""
    trim = Trim()
    text = body(trim)
    if length(text) <= MAX_BODY:
        return text
    trim = Trim(diff, evidence, facts=False)
    while True:
        text = body(trim)
        if length(text) <= MAX_BODY or (trim.diff == 0 and trim.evidence == 0):
            break
        trim = Trim((trim.diff or 0) // 2, (trim.evidence or 0) // 2, facts=False)
    if length(text) > MAX_BODY:  # only an absurdly long message is left; cut it bluntly
        text = text.encode("utf-16-le")[: (MAX_BODY - 200) * 2].decode("utf-16-le", "ignore")
        text += "\n\n... cut to fit GitHub's size limit\n"
    return text


def where_looked(upstream: UpstreamAt) -> str:
    """`owner/name` `ref` at [commit](link): where this run looked."""
    name = code(upstream.repo) if upstream.repo else code(upstream.url)
    if upstream.commit and _HEX.match(upstream.ref) and upstream.commit.startswith(upstream.ref):
        return f"{name} at {upstream.commit_link(upstream.commit)}"  # the ref was a commit id
    return f"{name} {code(upstream.ref)} at {upstream.commit_link(upstream.commit)}"


def resolved_comment(alert: ClaimAlert) -> str:
    return render(
        "drift_resolved.md.j2", a=alert, at=where_looked(alert.upstream), repo=alert.upstream.repo
    )
