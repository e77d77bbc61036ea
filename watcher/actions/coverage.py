"""The coverage report: each statement of a card's tables and each Sources row, and its claims.

Shared by `watcher coverage` (what is configured) and `watcher verify` (with each claim's status
in that run). Anything no claim checks is listed as not machine-checked: it is never dated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from watcher.card import read_card
from watcher.card.coverage import CardCoverage, ClaimBinding, card_coverage
from watcher.claims import build_claim
from watcher.claims.card_references import CardReferences
from watcher.config import CardConfig

MAX_TEXT = 60
UNCHECKED = "not machine-checked"


def coverage_of(card: CardConfig, references: Mapping[str, str] | None = None) -> CardCoverage:
    """`references`: the status of each reference (by key) from a run or the accepted snapshot."""
    bindings = [ClaimBinding(c.id, c.rows, c.covers) for c in card.claims]
    text = read_card(card.path)
    found = card_coverage(text, str(card.path), bindings, card.references, references)
    # A block no reference check reads may still be a claim's expectation (the Dispatch Flow).
    readers = {
        section: claim.id
        for claim in (build_claim(config) for config in card.claims)
        for section in claim.sections_read()
    }
    blocks = tuple(
        replace(
            block, checked=True, reason=f"read by {readers[block.section]} (its expected dispatch)"
        )
        if not block.checked and block.section in readers
        else block
        for block in found.blocks
    )
    return replace(found, blocks=blocks)


def baseline_statuses(baseline: Mapping[str, Any] | None) -> dict[str, str]:
    """Reference statuses as accepted (the card-references claim's snapshot entry)."""
    return {
        key: f"{entry.get('status')} at accept"
        for key, entry in CardReferences.accepted(baseline).items()
        if isinstance(entry, Mapping)
    }


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _claims(ids: tuple[str, ...], statuses: Mapping[str, str]) -> str:
    if not ids:
        return UNCHECKED
    return "<- " + ", ".join(f"{i} ({statuses[i]})" if i in statuses else i for i in ids)


def summary(coverage: CardCoverage) -> str:
    bound = sum(1 for source in coverage.sources if source.claims)
    blocks = sum(1 for block in coverage.blocks if block.checked)
    counts: dict[str, int] = {}
    for item in coverage.references:
        status = item.status.removesuffix(" at accept")
        counts[status] = counts.get(status, 0) + 1
    others = "".join(f", {n} {s}" for s, n in counts.items() if s != "resolved")
    return (
        f"{coverage.checked} of {len(coverage.statements)} table statements machine-checked; "
        f"{blocks} of {len(coverage.blocks)} code blocks checked; "
        f"{counts.get('resolved', 0)} of {len(coverage.references)} references resolved{others}; "
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
    if coverage.blocks:
        lines.append(f"{indent}Code blocks")
    for block in coverage.blocks:
        what = f"{block.language or 'plain'} block at line {block.line} ({block.section})"
        how = block.reason or f"{len(block.references)} reference(s) checked"
        lines.append(f"{indent}  {what}: {how if block.checked else UNCHECKED + ': ' + how}")
    if coverage.references:
        lines.append(f"{indent}References (card-references)")
    for checked in coverage.references:
        places = checked.reference.places
        where = "; ".join(str(place) for place in places[:2])
        more = f" (+{len(places) - 2} more)" if len(places) > 2 else ""
        lines.append(f"{indent}  {checked.reference.key}: {checked.status}  [{where}{more}]")
    for skipped in coverage.skipped:
        lines.append(
            f"{indent}  skipped `{_short(skipped.text)}`: {skipped.reason} [{skipped.place}]"
        )
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
    out += [
        {
            "card": card_id,
            "kind": "code_block",
            "language": block.language,
            "section": block.section,
            "line": block.line,
            "machine_checked": block.checked,
            "reason": block.reason or None,
            "references": list(block.references),
        }
        for block in coverage.blocks
    ]
    out += [
        {
            "card": card_id,
            "kind": "reference",
            "reference": item.reference.key,
            "text": item.reference.text,
            "places": [str(place) for place in item.reference.places],
            "machine_checked": True,
            "status": item.status,
            "claims": claims(("card-references",)),
        }
        for item in coverage.references
    ]
    out += [
        {
            "card": card_id,
            "kind": "skipped_span",
            "text": skipped.text,
            "place": str(skipped.place),
            "machine_checked": False,
            "reason": skipped.reason,
        }
        for skipped in coverage.skipped
    ]
    return out
