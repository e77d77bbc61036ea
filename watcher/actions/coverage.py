"""The coverage report: each statement of a card's tables and each Sources row, and its claims.

Shared by `watcher coverage` (what is configured) and `watcher verify` (with each claim's status
in that run). Anything no claim checks is listed as not machine-checked: it is never dated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watcher.card import read_card
from watcher.card.coverage import CardCoverage, ClaimBinding, card_coverage
from watcher.config import CardConfig

MAX_TEXT = 60
UNCHECKED = "not machine-checked"


def coverage_of(card: CardConfig) -> CardCoverage:
    bindings = [ClaimBinding(c.id, c.source, c.covers) for c in card.claims]
    return card_coverage(read_card(card.path), str(card.path), bindings)


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _claims(ids: tuple[str, ...], statuses: Mapping[str, str]) -> str:
    if not ids:
        return UNCHECKED
    return "<- " + ", ".join(f"{i} ({statuses[i]})" if i in statuses else i for i in ids)


def summary(coverage: CardCoverage) -> str:
    bound = sum(1 for source in coverage.sources if source.claims)
    return (
        f"{coverage.checked} of {len(coverage.statements)} table statements machine-checked; "
        f"{bound} of {len(coverage.sources)} Sources rows bound to claims"
    )


def console_lines(
    coverage: CardCoverage, statuses: Mapping[str, str], indent: str = "    "
) -> list[str]:
    """One line per statement (grouped by table) and per Sources row."""
    lines: list[str] = []
    table = None
    for item in coverage.statements:
        ref = item.statement.ref
        if ref.table != table:
            table = ref.table
            lines.append(f"{indent}{table or '(no heading)'}")
        what = " / ".join(part for part in (ref.row, ref.column) if part)
        text = _short(item.statement.text)
        lines.append(f"{indent}  {what}: {text}  {_claims(item.claims, statuses)}")
    lines.append(f"{indent}Sources")
    for source in coverage.sources:
        dated = f"{source.kind or 'source'}, last verified {source.last_verified or 'never'}"
        claims = _claims(source.claims, statuses)
        never = ", never dated" if not source.claims else ""
        lines.append(f"{indent}  {source.source} ({dated})  {claims}{never}")
    return lines


def to_json(card_id: str, coverage: CardCoverage, statuses: Mapping[str, str]) -> list[Any]:
    def claims(ids: tuple[str, ...]) -> list[dict[str, str | None]]:
        return [{"id": i, "status": statuses.get(i)} for i in ids]

    out: list[Any] = [
        {
            "card": card_id,
            "kind": "statement",
            "table": item.statement.ref.table,
            "row": item.statement.ref.row,
            "column": item.statement.ref.column or None,
            "text": item.statement.text,
            "line": item.statement.line,
            "machine_checked": bool(item.claims),
            "claims": claims(item.claims),
        }
        for item in coverage.statements
    ]
    out += [
        {
            "card": card_id,
            "kind": "source",
            "source": source.source,
            "type": source.kind,
            "last_verified": source.last_verified,
            "line": source.line,
            "machine_checked": bool(source.claims),
            "claims": claims(source.claims),
        }
        for source in coverage.sources
    ]
    return out
