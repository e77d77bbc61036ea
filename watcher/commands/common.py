"""What every command does first: load and validate everything, then check cards upstream."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from watcher.actions.snapshots import Snapshot, load_snapshot
from watcher.card import parse_sources, read_card
from watcher.claims import ClaimKind, build_claim
from watcher.config import CardConfig, Config, ConfigError, load_config
from watcher.factcache import FactsCache
from watcher.facts.limits import configure as configure_limits
from watcher.history.first import attach_first_commits
from watcher.orchestrator import CardResult, check_card, failed_card
from watcher.upstream import UpstreamError, UpstreamSpec, default_cache_dir, open_upstream
from watcher.upstream.urls import check_url

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every command that reads the config and the upstream takes."""
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("watcher.toml"),
        help="config file (default: ./watcher.toml)",
    )
    parser.add_argument("--card", help="only this card id")
    parser.add_argument("--upstream-url", help="fetch from this URL instead of the configured one")
    parser.add_argument("--ref", help="branch, tag or commit to check (default: configured ref)")
    parser.add_argument(
        "--cache-dir", help="clone cache (default: $WATCHER_CACHE_DIR or ~/.cache/watcher)"
    )


@dataclass(frozen=True)
class PreparedCard:
    card: CardConfig
    claims: tuple[ClaimKind, ...]
    spec: UpstreamSpec
    web_url: str | None
    snapshot: Snapshot | None

    def unchecked(self) -> list[str]:
        """Sources rows no claim vouches for: reported, never dated."""
        bound = {claim.config.source for claim in self.claims}
        rows = parse_sources(read_card(self.card.path), str(self.card.path)).rows
        return [row.source for row in rows if row.source not in bound]


def today_or(value: str | None) -> str:
    if value is None:
        return dt.datetime.now(dt.UTC).date().isoformat()
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(f"--today {value!r}: expected a date like 2026-04-19") from None


def cache_dir_or(value: str | None) -> Path:
    return Path(value) if value else default_cache_dir()


def prepare(
    config_path: Path, card_id: str | None, upstream_url: str | None, ref: str | None
) -> tuple[Config, list[PreparedCard]]:
    """Load config, claims and snapshots for the selected cards; any problem raises before network."""
    config = load_config(config_path)
    configure_limits(config.limits)
    cards = [config.card(card_id)] if card_id else list(config.cards)
    if upstream_url is not None:
        check_url(upstream_url)
    prepared = []
    for card in cards:
        upstream = config.upstreams[card.upstream]
        claims = tuple(build_claim(claim) for claim in card.claims)
        spec = UpstreamSpec(upstream_url or upstream.url, ref or upstream.ref)
        snapshot = load_snapshot(config.snapshots_dir, card.id)
        prepared.append(PreparedCard(card, claims, spec, upstream.web_url, snapshot))
    return config, prepared


def check_all(
    prepared: list[PreparedCard],
    cache_dir: Path,
    say: Callable[[str], None],
    *,
    use_baseline: bool = True,
    progress: TextIO | None = None,
    find_first: bool = False,
) -> list[CardResult]:
    """Check each card; cards sharing an upstream share one sync. Upstream failures become errors.

    Without `use_baseline`, claims are judged against the card's statements alone (for `accept`).
    Facts come from the facts cache where the blob was seen before. With `find_first`, drifted
    claims are bisected from the baseline's commit to name the commit that changed them.
    """
    results: dict[str, CardResult] = {}
    specs = list(dict.fromkeys(p.spec for p in prepared))
    cache = FactsCache(cache_dir)
    for spec in specs:
        group = [p for p in prepared if p.spec == spec]
        try:
            with open_upstream(spec, cache_dir, progress) as upstream:
                for item in group:
                    baseline = item.snapshot.claims if item.snapshot and use_baseline else {}
                    result = check_card(item.card, item.claims, upstream, baseline, cache)
                    if find_first and use_baseline and item.snapshot is not None:
                        result = attach_first_commits(
                            upstream,
                            item.card,
                            item.claims,
                            baseline,
                            item.snapshot.commit,
                            result,
                            cache,
                            say,
                            progress,
                        )
                    results[item.card.id] = result
        except UpstreamError as exc:
            say(f"watcher: {exc}")
            for item in group:
                results[item.card.id] = failed_card(
                    item.card, item.claims, f"could not read upstream: {exc}"
                )
    return [results[p.card.id] for p in prepared]


def only_claims(prepared: list[PreparedCard], ids: list[str] | None) -> list[PreparedCard]:
    """The cards narrowed to the named claims (all claims when no --claim was given)."""
    if not ids:
        return prepared
    known = {claim.id for item in prepared for claim in item.claims}
    for claim_id in ids:
        if claim_id not in known:
            raise ConfigError(
                f"--claim {claim_id}: no such claim (known: {', '.join(sorted(known))})"
            )
    narrowed = [
        dataclasses.replace(item, claims=tuple(c for c in item.claims if c.id in ids))
        for item in prepared
    ]
    return [item for item in narrowed if item.claims]


def next_snapshot(
    item: PreparedCard,
    result: CardResult,
    claims: Mapping[str, Any],
    *,
    verified_on: str | None,
    accepted_on: str | None,
) -> Snapshot:
    """The card's next snapshot: this run's commit, blobs and claim facts; what else it held, kept."""
    assert result.commit is not None, "a card with no commit has no facts to record"
    return Snapshot(
        card=item.card.id,
        url=item.spec.url,
        ref=item.spec.ref,
        commit=result.commit,
        blobs=dict(result.blobs),
        claims=dict(claims),
        verified_on=verified_on,
        accepted_on=accepted_on,
        extra=item.snapshot.extra if item.snapshot else {},
    )


def stderr_line(stderr: TextIO) -> Callable[[str], None]:
    """A `say` for progress and waiting notes: one line on stderr."""
    return lambda line: print(line, file=stderr)
