"""Which statements of a card, and which of its Sources rows, some claim checks.

A statement is covered by the claims that declare it in `covers`; a Sources row by the claims
bound to it with `source`. Anything else is "not machine-checked": reported, and never dated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from watcher.card.sources import parse_sources
from watcher.card.tables import Statement, StatementRef, card_statements, covers, parse_tables


@dataclass(frozen=True)
class ClaimBinding:
    """What one claim vouches for: its Sources row and the statements it declares."""

    id: str
    source: str
    covers: tuple[StatementRef, ...]


@dataclass(frozen=True)
class StatementCoverage:
    statement: Statement
    claims: tuple[str, ...]


@dataclass(frozen=True)
class SourceCoverage:
    source: str
    kind: str
    last_verified: str
    line: int
    claims: tuple[str, ...]


@dataclass(frozen=True)
class CardCoverage:
    statements: tuple[StatementCoverage, ...]
    sources: tuple[SourceCoverage, ...]

    @property
    def checked(self) -> int:
        return sum(1 for item in self.statements if item.claims)


def card_coverage(text: str, where: str, claims: Sequence[ClaimBinding]) -> CardCoverage:
    statements = tuple(
        StatementCoverage(
            statement,
            tuple(c.id for c in claims if any(covers(ref, statement.ref) for ref in c.covers)),
        )
        for statement in card_statements(parse_tables(text))
    )
    sources = tuple(
        SourceCoverage(
            row.source,
            row.kind,
            row.last_verified,
            row.line,
            tuple(c.id for c in claims if c.source == row.source),
        )
        for row in parse_sources(text, where).rows
    )
    return CardCoverage(statements, sources)
