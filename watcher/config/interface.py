"""The validated configuration: frozen dataclasses, one per table of watcher.toml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from watcher.card.references import CardReferences
from watcher.card.tables import StatementRef
from watcher.errors import WatcherError
from watcher.facts.limits import ParseLimits

DEFAULT_UPSTREAM_URL = "https://github.com/BerriAI/litellm.git"
DEFAULT_REF = "main"


class ConfigError(WatcherError):
    """watcher.toml (or a file it names) is wrong; the message starts with the path to the key."""


@dataclass(frozen=True)
class UpstreamConfig:
    name: str
    url: str
    ref: str
    # Where permalinks point: a run may fetch from a mirror (file://) of the same history.
    web_url: str | None


@dataclass(frozen=True)
class ClaimConfig:
    """One claim: its kind's parameters are checked by the claim registry, not here."""

    id: str
    kind: str
    source: str
    where: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    # The card's table statements this claim checks (watcher.toml `covers`), for coverage reports.
    covers: tuple[StatementRef, ...] = ()
    # The text of each verdict cell (a cell of a YES/NO table) among `covers`, as the card has it
    # now: a claim bound to exactly one such cell reads its expected answer from it.
    cells: tuple[tuple[StatementRef, str], ...] = ()
    # The card's code blocks as (section heading, text): a claim may read its expectation from
    # one (dispatch-unchanged reads the Dispatch Flow sketch).
    blocks: tuple[tuple[str, str], ...] = ()

    @property
    def rows(self) -> tuple[str, ...]:
        """The Sources rows this claim can hold back: its `source`, or for the card-references
        claim (no `source`) the cited files' rows (`rows`: 'path<TAB>row' lines)."""
        if self.source:
            return (self.source,) if self.dates_row else ()
        listed = self.params.get("rows", ())
        lines = listed if isinstance(listed, list | tuple) else ()
        return tuple(str(line).split("\t", 1)[-1] for line in lines)

    # Whether `source` is a Sources row, whose Last Verified date waits for this claim. A claim
    # on a link the card cites only in a row it covers (the Resources table) dates no row.
    dates_row: bool = True


@dataclass(frozen=True)
class CardConfig:
    id: str
    path: Path
    upstream: str
    claims: tuple[ClaimConfig, ...]
    where: str
    # What the card names upstream, read from the card (None: it cites no upstream Python file).
    references: CardReferences | None = None


@dataclass(frozen=True)
class GitHubConfig:
    repository: str | None
    label: str
    failure_threshold: int


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    snapshots_dir: Path
    upstreams: Mapping[str, UpstreamConfig]
    cards: tuple[CardConfig, ...]
    github: GitHubConfig
    limits: ParseLimits = field(default_factory=ParseLimits)

    def card(self, card_id: str) -> CardConfig:
        for card in self.cards:
            if card.id == card_id:
                return card
        known = ", ".join(card.id for card in self.cards)
        raise ConfigError(f"--card {card_id}: no such card in {self.path} (known: {known})")
