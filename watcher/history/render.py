"""History and bisect results for people (a table) and for machines (JSON).

Upstream text (subjects, facts) is hostile: every console line goes through `printable`.
"""

from __future__ import annotations

from typing import Any

from watcher.actions.report import printable
from watcher.history.bisect import BisectResult
from watcher.history.interface import CommitRef
from watcher.history.timeline import Entry, Timeline

SUBJECT_WIDTH = 72
DIFF_WIDTH = 160
MAX_TABLE_DIFF = 8
LABELS = {"pass": "pass", "drift": "DRIFT", "error": "ERROR"}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def commit_link(web_url: str | None, commit: str) -> str | None:
    return f"{web_url}/commit/{commit}" if web_url else None


def commit_json(ref: CommitRef, web_url: str | None) -> dict[str, Any]:
    return {
        "commit": ref.commit,
        "date": ref.date,
        "subject": ref.subject,
        "permalink": commit_link(web_url, ref.commit),
    }


def _entry_json(entry: Entry, web_url: str | None) -> dict[str, Any]:
    return {
        **commit_json(entry.commit, web_url),
        "parents": list(entry.parents),
        "merge": len(entry.parents) > 1,
        "changed_paths": list(entry.changed_paths),
        "changed": entry.changed,
        "claims": [
            {
                "id": step.id,
                "status": step.status,
                "message": step.message,
                "changed": step.changed,
                "diff": list(step.diff),
            }
            for step in entry.claims
        ],
    }


def timeline_json(timeline: Timeline, url: str, ref: str, web_url: str | None) -> dict[str, Any]:
    return {
        "card": timeline.card,
        "upstream": {"url": url, "ref": ref, "commit": timeline.tip},
        "paths": list(timeline.paths),
        "since": _entry_json(timeline.start, web_url) if timeline.start else None,
        "commits": [_entry_json(entry, web_url) for entry in timeline.entries],
        "stats": {
            "commits": len(timeline.entries),
            "parsed": [{"path": path, "blob": blob} for path, blob in timeline.parsed],
            "from_cache": timeline.from_cache,
        },
        "notes": list(timeline.notes),
    }


def timeline_table(timeline: Timeline, url: str, ref: str) -> str:
    rows = ([timeline.start] if timeline.start else []) + list(timeline.entries)
    claims = [step.id for step in rows[0].claims] if rows else []
    lines = [
        f"{timeline.card}: {len(timeline.entries)} first-parent commit(s) touching "
        f"{', '.join(timeline.paths)}",
        f"  upstream {url} {ref} @ {timeline.tip[:12]}",
        "  claims: " + "  ".join(f"[{i}] {claim}" for i, claim in enumerate(claims, 1)),
        "",
        "date        commit        "
        + " ".join(f"[{i}]".ljust(5) for i in range(1, len(claims) + 1))
        + "  subject",
    ]
    for entry in rows:
        marks = " ".join(LABELS.get(step.status, step.status).ljust(5) for step in entry.claims)
        subject = _clip(entry.commit.subject, SUBJECT_WIDTH)
        if entry is timeline.start:
            subject = f"(since) {subject}"
        elif len(entry.parents) > 1:
            subject = f"(merge) {subject}"
        lines.append(f"{entry.commit.date:<10}  {entry.commit.commit[:12]}  {marks}  {subject}")
        for index, step in enumerate(entry.claims, 1):
            for change in step.diff[:MAX_TABLE_DIFF]:
                lines.append(f"{'':26}[{index}] {_clip(change, DIFF_WIDTH)}")
            if len(step.diff) > MAX_TABLE_DIFF:
                more = len(step.diff) - MAX_TABLE_DIFF
                lines.append(f"{'':26}[{index}] ... {more} more in --json")
    changed = sum(1 for entry in timeline.entries if entry.changed)
    lines.append("")
    lines.append(
        f"  {changed} commit(s) changed a claim's outcome or facts; "
        f"{len(timeline.parsed)} file version(s) parsed, {timeline.from_cache} from the facts cache"
    )
    lines.extend(f"  note: {note}" for note in timeline.notes)
    return printable("\n".join(lines)) + "\n"


def bisect_json(result: BisectResult, card: str, web_url: str | None) -> dict[str, Any]:
    first = result.first
    found = None
    if first is not None:
        found = {
            **commit_json(first.commit, web_url),
            "merge": first.is_merge,
            "merged_from": commit_json(first.merged_from, web_url) if first.merged_from else None,
            "before": first.before,
            "after": first.after,
        }
    return {
        "status": "found" if first else "unchanged",
        "card": card,
        "claim": result.claim,
        "good": commit_json(result.good, web_url),
        "bad": commit_json(result.bad, web_url),
        "first_commit": found,
        "message": result.message if first else None,
        "diff": list(result.diff),
        "candidates": result.candidates,
        "evaluated": result.steps,
    }


def bisect_text(result: BisectResult, web_url: str | None) -> str:
    good, bad = result.good, result.bad
    span = f"between {good.commit[:12]} ({good.date}, good) and {bad.commit[:12]} ({bad.date}, bad)"
    first = result.first
    if first is None:
        lines = [
            f"{result.claim}: no change in outcome or facts {span}",
            f"  ({result.candidates} commit(s) touched the watched files; "
            "a change that was later undone is not seen by a bisect)",
        ]
        return printable("\n".join(lines)) + "\n"
    ref = first.commit
    lines = [f"{result.claim}: first changed in {ref.commit[:12]} ({ref.date}) {ref.subject}"]
    if link := commit_link(web_url, ref.commit):
        lines.append(f"  {link}")
    lines.append(f"  {first.before} -> {first.after}: {result.message}")
    if first.is_merge and first.merged_from is not None:
        side = first.merged_from
        lines.append(
            f"  came in through this merge; introduced on the merged branch by "
            f"{side.commit[:12]} ({side.date}) {side.subject}"
        )
        if link := commit_link(web_url, side.commit):
            lines.append(f"  {link}")
    elif first.is_merge:
        lines.append("  the change is the merge's own (no commit on the merged branch makes it)")
    if result.diff:
        lines.append("  facts against the good commit:")
    lines.extend(f"    {_clip(change, DIFF_WIDTH)}" for change in result.diff[: MAX_TABLE_DIFF * 2])
    lines.append(f"  searched {result.candidates} commit(s) {span}; evaluated {result.steps}")
    return printable("\n".join(lines)) + "\n"
