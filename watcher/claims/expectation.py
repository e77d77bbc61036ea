"""Where a claim's expected answer comes from: the card's YES/NO cell, or watcher.toml. Never both.

The card is the expectation (README, "Two rules for every claim"): a claim bound to exactly one
verdict cell reads YES or NO from it, so correcting the card and running `watcher accept`
resolves a drift. A claim bound to no such cell (or to several) states it in watcher.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.card.tables import cell_answer
from watcher.claims.interface import ClaimConfigError
from watcher.config import ClaimConfig


@dataclass(frozen=True)
class Expectation:
    """The answer a claim must find, and where it was read (for messages and evidence)."""

    answer: bool
    origin: str  # "the card's cell Hook Coverage / ..." or "watcher.toml (reaches = false)"

    @property
    def word(self) -> str:
        return "YES" if self.answer else "NO"


def expectation(config: ClaimConfig, key: str, explicit: object) -> Expectation:
    """The claim's expectation: its one verdict cell, else the explicit `key` in watcher.toml."""
    if len(config.cells) == 1:
        ref, text = config.cells[0]
        if explicit is not None:
            raise ClaimConfigError(
                f"{config.where}.{key}: the card's cell {ref} ({text.strip()}) already states "
                f"what this claim must find; remove `{key}` (edit the cell to change it)"
            )
        answer = cell_answer(text)
        if answer is None:
            raise ClaimConfigError(
                f"{config.where}.covers: the cell {ref} says {text.strip()!r}; a {config.kind} "
                "claim reads YES or NO there (also yes/no, true/false, ✓/✗)"
            )
        return Expectation(answer, f"the card's cell {ref}")
    if explicit is None:
        cells = f"{len(config.cells)} YES/NO cells" if config.cells else "no YES/NO cell"
        raise ClaimConfigError(
            f"{config.where}.{key}: missing (the claim covers {cells} of the card; cover exactly "
            f"one cell or set {key} = true/false)"
        )
    assert isinstance(explicit, bool)
    return Expectation(explicit, f"watcher.toml ({key} = {str(explicit).lower()})")


_BRANCH = re.compile(r"\b(?:if|elif)\s+(?:not\s+)?([A-Za-z_]\w*)")
_AWAITED = re.compile(r"\bawait\s+([A-Za-z_]\w*)\(([^)]*)\)")
_KEYWORD = re.compile(r"([A-Za-z_]\w*)\s*=")


@dataclass(frozen=True)
class DispatchFlow:
    """What the card's dispatch sketch states: the names its if/elif chain tests, in order, and
    the one call it shows awaited with its keywords."""

    order: tuple[str, ...]
    call: str
    keywords: tuple[str, ...]
    origin: str


def dispatch_flow(config: ClaimConfig, section: str) -> DispatchFlow | None:
    """The sketch in the card's block under heading `section` (`if a:` / `elif b:` lines, and
    `await f(k=...)`), or None when there is no such block or it does not read that way."""
    texts = [text for heading, text in config.blocks if heading == section]
    if len(texts) != 1:
        return None
    order = tuple(_BRANCH.findall(texts[0]))
    awaited = _AWAITED.findall(texts[0])
    if not order or len(awaited) != 1:
        return None
    call, args = awaited[0]
    return DispatchFlow(order, call, tuple(_KEYWORD.findall(args)), f"the card's {section} block")
