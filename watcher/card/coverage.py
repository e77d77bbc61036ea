"""Which statements of a card, which of its code blocks and references, and which of its Sources
rows some check covers.

A statement is covered by the claims that declare it in `covers` (the card-references claim
declares the table rows its references sit in); a Sources row by the claims bound to it with
`source`. A code block is checked when its language is one watcher reads (Python, YAML) and it
parses; a reference has the status of its last check (resolved, unresolved, drift, error) or
"not checked yet". Anything else is "not machine-checked": reported, and never dated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from watcher.card.references import BlockCheck, CardReference, CardReferences, Skipped
from watcher.card.sources import parse_sources
from watcher.card.tables import Statement, StatementRef, card_statements, covers, parse_tables


@dataclass(frozen=True)
class ClaimBinding:
    """What one claim vouches for: its Sources row and the statements it declares."""

    id: str
    sources: tuple[str, ...]  # the Sources rows it is bound to
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
class ReferenceCoverage:
    reference: CardReference
    status: str  # resolved | unresolved | drift | error | not checked yet


@dataclass(frozen=True)
class CardCoverage:
    statements: tuple[StatementCoverage, ...]
    sources: tuple[SourceCoverage, ...]
    blocks: tuple[BlockCheck, ...] = ()
    references: tuple[ReferenceCoverage, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def checked(self) -> int:
        return sum(1 for item in self.statements if item.claims)

    def count(self, status: str) -> int:
        return sum(1 for item in self.references if item.status == status)


def card_coverage(
    text: str,
    where: str,
    claims: Sequence[ClaimBinding],
    references: CardReferences | None = None,
    statuses: Mapping[str, str] | None = None,
) -> CardCoverage:
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
            tuple(c.id for c in claims if row.source in c.sources),
        )
        for row in parse_sources(text, where).rows
    )
    if references is None:
        return CardCoverage(statements, sources)
    known = statuses or {}
    checked = tuple(
        ReferenceCoverage(ref, known.get(ref.key, "not checked yet"))
        for ref in references.references
    )
    return CardCoverage(statements, sources, references.blocks, checked, references.skipped)
