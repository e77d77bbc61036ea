"""Reports: a console summary a person reads at a glance, and the JSON automation depends on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from watcher.actions import coverage as coverage_report
from watcher.actions.card_dates import DateChange, HeldRow
from watcher.card.coverage import CardCoverage
from watcher.claims import Evidence
from watcher.history.interface import CommitRef, FirstChange
from watcher.orchestrator import CardResult

# C0/C1 controls (escape sequences) and the invisible or bidirectional marks that make text read
# differently from what it is. Newlines are legitimate in printable() and escaped by one_line().
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_CONSOLE_EVIDENCE = 6
MAX_CONSOLE_DIFF = 12


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """Upstream text on a console line: a newline in a route path must not fake a report line."""
    return printable(text).replace("\r", "\\r").replace("\n", "\\n")


def printable(text: str) -> str:
    """Upstream text is hostile: no terminal escape sequences reach the console."""
    return _CONTROL.sub(_escape, text)


@dataclass
class CardReport:
    result: CardResult
    url: str
    ref: str
    web_url: str | None
    dates: list[DateChange] = field(default_factory=list)
    dates_note: str = ""
    held: list[HeldRow] = field(default_factory=list)  # rows not dated, and the claims why
    wrote: bool = False  # this run wrote the card's dates or its snapshot
    unchecked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    write_error: str | None = None  # the verdicts stand, but the card or snapshot was not saved
    _coverage: CardCoverage | None = field(default=None, repr=False)

    def coverage(self) -> CardCoverage:
        """The card's statements and Sources rows with their claims (read once, after the run)."""
        if self._coverage is None:
            items = {
                key: status for item in self.result.results for key, status in item.verdict.items
            }
            self._coverage = coverage_report.coverage_of(self.result.card, items)
        return self._coverage

    def statuses(self) -> dict[str, str]:
        return {item.claim.id: item.verdict.status for item in self.result.results}

    def permalink(self, evidence: Evidence) -> str | None:
        if evidence.path.startswith(("https://", "http://")):
            return evidence.path  # a web page a claim fetched, not a file of the upstream tree
        if not self.web_url or not self.result.commit:
            return None
        anchor = f"#L{evidence.line}" if evidence.line else ""
        return f"{self.web_url}/blob/{self.result.commit}/{evidence.path}{anchor}"

    def commit_link(self, commit: str) -> str | None:
        return f"{self.web_url}/commit/{commit}" if self.web_url else None


def _commit_json(report: CardReport, ref: CommitRef) -> dict[str, Any]:
    return {
        "commit": ref.commit,
        "date": ref.date,
        "subject": ref.subject,
        "permalink": report.commit_link(ref.commit),
    }


def first_commit_json(report: CardReport, first: FirstChange | None) -> dict[str, Any] | None:
    """Where a drifted claim first changed since the baseline (None when not known)."""
    if first is None:
        return None
    return {
        **_commit_json(report, first.commit),
        "merge": first.is_merge,
        "merged_from": _commit_json(report, first.merged_from) if first.merged_from else None,
        "before": first.before,
        "after": first.after,
    }


def first_commit_lines(report: CardReport, first: FirstChange) -> list[str]:
    ref = first.commit
    lines = [f"first changed in {ref.commit[:12]} ({ref.date}) {ref.subject}"]
    if link := report.commit_link(ref.commit):
        lines.append(f"  {link}")
    if first.merged_from is not None:
        side = first.merged_from
        lines.append(
            f"introduced on the merged branch by {side.commit[:12]} ({side.date}) {side.subject}"
        )
        if link := report.commit_link(side.commit):
            lines.append(f"  {link}")
    return lines


def overall(reports: list[CardReport]) -> str:
    statuses = {report.result.status for report in reports}
    if any(report.write_error for report in reports):
        return "error"  # a run that could not save what it verified must not look green
    return "error" if "error" in statuses else "drift" if "drift" in statuses else "verified"


def exit_code(status: str) -> int:
    return {"verified": 0, "drift": 1}.get(status, 2)


def json_text(document: dict[str, Any], *, shielded: bool = False) -> str:
    """A JSON document's text. `shielded` (for stdout, which the Actions runner scans): ASCII
    only, and `::` and `##[` never appear literally, so no line of it can act as a workflow
    command (upstream text rides in its strings); it parses to the same document."""
    if not shielded:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    text = json.dumps(document, indent=2, ensure_ascii=True)
    return text.replace("::", ":\\u003a").replace("##[", "#\\u0023[") + "\n"


def error_document(message: str) -> dict[str, Any]:
    """The report of a run that stopped before any verdict: the documented shape, nothing known."""
    return {
        "status": "error",
        "upstream": None,
        "claims": [],
        "coverage": [],
        "cards": [],
        "error": message,
    }


def to_json(reports: list[CardReport]) -> dict[str, Any]:
    first = reports[0] if reports else None
    claims = []
    for report in reports:
        for item in report.result.results:
            verdict = item.verdict
            claims.append(
                {
                    "card": report.result.card.id,
                    "id": item.claim.id,
                    "kind": item.claim.config.kind,
                    "source": item.claim.config.source,
                    "status": verdict.status,
                    "message": verdict.message,
                    "evidence": [
                        {
                            "path": e.path,
                            "line": e.line or None,
                            "note": e.note,
                            "permalink": report.permalink(e),
                        }
                        for e in verdict.evidence
                    ],
                    "diff": list(verdict.diff),
                    "first_commit": first_commit_json(report, item.first_commit),
                }
            )
    return {
        "status": overall(reports),
        "upstream": {
            "url": first.url if first else None,
            "ref": first.ref if first else None,
            "commit": first.result.commit if first else None,
        },
        "claims": claims,
        "coverage": [
            entry
            for report in reports
            for entry in coverage_report.to_json(
                report.result.card.id, report.coverage(), report.statuses()
            )
        ],
        "cards": [
            {
                "id": report.result.card.id,
                "status": report.result.status,
                "upstream": {"url": report.url, "ref": report.ref, "commit": report.result.commit},
                "dates": [{"source": d.source, "from": d.old, "to": d.new} for d in report.dates],
                "dates_note": report.dates_note,
                "not_dated": [{"source": row.source, "reason": row.reason} for row in report.held],
                "not_machine_checked": report.unchecked,
                "parsed": list(report.result.parsed),
                "notes": report.notes,
                "write_error": report.write_error,
            }
            for report in reports
        ],
    }


def console(reports: list[CardReport]) -> str:
    lines: list[str] = []
    for report in reports:
        result = report.result
        commit = (result.commit or "?")[:12]
        lines.append(
            f"{result.card.id}: {result.status.upper()} at {report.url} {report.ref} @ {commit}"
        )
        width = max((len(item.claim.id) for item in result.results), default=0)
        for item in result.results:
            verdict = item.verdict
            lines.append(
                f"  {verdict.status.upper():<6} {item.claim.id:<{width}}  {verdict.message}"
            )
            if verdict.status == "pass":
                continue
            for evidence in verdict.evidence[:MAX_CONSOLE_EVIDENCE]:
                where = f"{evidence.path}:{evidence.line}" if evidence.line else evidence.path
                link = report.permalink(evidence)
                lines.append(f"         {where}  {evidence.note}")
                if link and link != where:
                    lines.append(f"           {link}")
            if len(verdict.evidence) > MAX_CONSOLE_EVIDENCE:
                lines.append(
                    f"         ... {len(verdict.evidence) - MAX_CONSOLE_EVIDENCE} more in the JSON report"
                )
            for change in verdict.diff[:MAX_CONSOLE_DIFF]:
                lines.append(f"         {change}")
            if item.first_commit is not None:
                lines.extend(
                    f"         {line}" for line in first_commit_lines(report, item.first_commit)
                )
        for date in report.dates:
            lines.append(f"  date   {date.source}: {date.old} -> {date.new}")
        if report.dates_note:
            lines.append(f"  dates  {report.dates_note}")
        for row in report.held:
            lines.append(f"  held   {row.source}: not dated ({row.reason})")
        for source in report.unchecked:
            lines.append(f"  note   not machine-checked (no claim): {source}")
        for note in report.notes:
            lines.append(f"  note   {note}")
        # One line here, so the verdicts stay readable at a glance; `watcher coverage` and the
        # JSON report list every statement.
        summary = coverage_report.summary(report.coverage())
        lines.append(f"  coverage  {summary} (details: watcher coverage)")
    return "".join(one_line(line) + "\n" for line in lines)
