"""GitHub Actions output: the claim table as a job summary, annotations for drift and errors.

Used by `verify` when it runs inside Actions (`GITHUB_STEP_SUMMARY`, `GITHUB_ACTIONS=true`).
Upstream text is hostile here too: Markdown and HTML are escaped, @mentions cannot link,
code fences cannot be broken out of, and the console text is printed between
`::stop-commands::` markers so nothing in it can act as a workflow command.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from watcher.actions.report import (
    MAX_CONSOLE_DIFF,
    MAX_CONSOLE_EVIDENCE,
    CardReport,
    overall,
    printable,
)
from watcher.card import CardError, parse_sources, read_card
from watcher.card.tables import parse_tables
from watcher.upstream.urls import redact

MAX_SUMMARY_BYTES = 900_000  # GitHub refuses step summaries over 1 MiB (of UTF-8, not characters)
_ICON = {"pass": "✅ PASS", "drift": "⚠️ DRIFT", "error": "❌ ERROR"}
_HEADLINE = {"verified": "✅ verified", "drift": "⚠️ drift", "error": "❌ could not verify"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def _line(text: str) -> str:
    """One line of plain text: no terminal escapes, and no line breaks to start a new row."""
    return printable(text).replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def _md(text: str) -> str:
    """Text for a Markdown table cell or list item: no markup, no HTML, no mentions, one line."""
    text = _line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("@", "@\u2060")


def _code(text: str) -> str:
    return "`" + _line(text).replace("`", "'") + "`"


def _fenced(lines: Sequence[str]) -> list[str]:
    body = [_line(line) for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body, fence]


def _link(label: str, url: str | None) -> str:
    if not url:
        return label
    return f"[{label}]({quote(url, safe=':/#?=&%-._~')})"


def _card_section(report: CardReport) -> list[str]:
    result = report.result
    commit = result.commit or "?"
    at = _link(_code(commit[:12]), f"{report.web_url}/commit/{commit}" if report.web_url else None)
    lines = [
        f"### {_md(result.card.id)}: {_HEADLINE.get(result.status, result.status)}",
        "",
        f"Upstream {_code(redact(report.url))} {_code(report.ref)} at {at}",
        "",
        "| status | claim | result |",
        "|---|---|---|",
    ]
    for item in result.results:
        verdict = item.verdict
        lines.append(
            f"| {_ICON[verdict.status]} | {_code(item.claim.id)} | {_md(verdict.message)} |"
        )
    for item in result.results:
        verdict = item.verdict
        if verdict.status == "pass" or not (verdict.evidence or verdict.diff):
            continue
        lines += ["", f"**{_code(item.claim.id)}**", ""]
        for evidence in verdict.evidence[:MAX_CONSOLE_EVIDENCE]:
            where = f"{evidence.path}:{evidence.line}" if evidence.line else evidence.path
            lines.append(f"- {_link(_md(where), report.permalink(evidence))} {_md(evidence.note)}")
        hidden = len(verdict.evidence) - MAX_CONSOLE_EVIDENCE
        if hidden > 0:
            lines.append(f"- ... {hidden} more in the JSON report artifact")
        if verdict.diff:
            lines += ["", *_fenced(verdict.diff[:MAX_CONSOLE_DIFF])]
    lines.append("")
    lines += [f"- Last Verified {_md(d.source)}: {d.old} → {d.new}" for d in report.dates]
    if report.dates_note:
        lines.append(f"- Dates: {_md(report.dates_note)}")
    lines += [f"- Not machine-checked (no claim): {_md(source)}" for source in report.unchecked]
    lines += [f"- Note: {_md(note)}" for note in report.notes]
    return lines


def markdown(reports: Sequence[CardReport], saved: Sequence[str] = ()) -> str:
    """The job summary: one claim table per card, then what was committed and pushed."""
    lines = [f"## watcher verify: {_HEADLINE.get(overall(list(reports)), '?')}", ""]
    for report in reports:
        lines += [*_card_section(report), ""]
    if saved:
        lines += ["#### Saved", "", *(f"- {_md(line)}" for line in saved), ""]
    text = "\n".join(lines)
    if len(text.encode("utf-8")) > MAX_SUMMARY_BYTES:
        head = text.encode("utf-8")[:MAX_SUMMARY_BYTES].decode("utf-8", errors="ignore")
        cut = head.rsplit("\n", 1)[0]
        text = f"{cut}\n\n*Summary cut at {MAX_SUMMARY_BYTES:,} bytes: the JSON report artifact has everything.*"
    return text + "\n"


def _data(text: str) -> str:
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _row_lines(report: CardReport) -> dict[str, int]:
    """The line of each Sources row, and of each claim bound to no Sources row (a link in the
    Resources table): the first row it covers, where the link it checks is cited."""
    try:
        text = read_card(report.result.card.path)
        rows = parse_sources(text, "").rows
    except (CardError, OSError):
        return {}
    lines = {row.source: row.line for row in rows}
    tables = parse_tables(text)
    for item in report.result.results:
        config = item.claim.config
        for ref in config.covers[:1] if not config.dates_row else ():
            table = next((t for t in tables if t.name == ref.table), None)
            row = table.row(ref.row) if table else None
            if row is not None:
                lines[config.source] = row.line
    return lines


def annotation_lines(reports: Sequence[CardReport], workspace: Path) -> list[str]:
    """`::warning` per drifted claim and `::error` per claim that could not be checked, placed
    on the card's Sources row the claim vouches for."""
    lines: list[str] = []
    for report in reports:
        card = report.result.card
        rows = _row_lines(report)
        try:
            where = card.path.resolve().relative_to(workspace.resolve()).as_posix()
        except ValueError:
            where = None
        for item in report.result.results:
            verdict = item.verdict
            if verdict.status == "pass":
                continue
            level, what = (
                ("warning", "drift") if verdict.status == "drift" else ("error", "could not verify")
            )
            props = [f"title={_property(f'watcher {what}: {item.claim.id}')}"]
            line = rows.get(item.claim.config.source)
            if where is not None:
                props.insert(0, f"file={_property(where)}" + (f",line={line}" if line else ""))
            lines.append(f"::{level} {','.join(props)}::{_data(f'{card.id}: {verdict.message}')}")
    return lines


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def shielded(text: str, env: Mapping[str, str]) -> str:
    """Console text; inside Actions, fenced so the runner reads no workflow command from it."""
    if not in_actions(env):
        return text
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n{text}::{token}::\n"


def publish(
    reports: Sequence[CardReport],
    saved: Sequence[str],
    human: TextIO,
    errors: TextIO,
    env: Mapping[str, str],
) -> None:
    """Inside Actions: annotations on `human`, the summary appended to GITHUB_STEP_SUMMARY.
    An unwritable summary is one line on `errors`, not a failed run."""
    if in_actions(env):
        human.write("".join(f"{line}\n" for line in annotation_lines(reports, Path.cwd())))
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown(reports, saved))
    except OSError as exc:
        errors.write(f"watcher: could not write the job summary to {target}: {exc.strerror}\n")
