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

from watcher.actions.report import one_line
from watcher.actions.snapshots import NewerSnapshot, Snapshot, SnapshotError, load_snapshot
from watcher.card import parse_sources, read_card
from watcher.card import stored as card_store
from watcher.claims import ClaimKind, Error, build_claim
from watcher.config import CardConfig, Config, ConfigError, load_config
from watcher.factcache import FactsCache
from watcher.facts.limits import configure as configure_limits
from watcher.history.first import attach_first_commits
from watcher.orchestrator import CardResult, ClaimResult, check_card
from watcher.upstream import UpstreamError, UpstreamSpec, default_cache_dir, open_upstream
from watcher.upstream.urls import check_ref, check_url

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
    broken_snapshot: str | None = None  # why the snapshot file could not be read (accept only)

    def unchecked(self) -> list[str]:
        """Sources rows no claim vouches for: reported, never dated."""
        bound = {row for claim in self.claims for row in claim.config.rows}
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
    config_path: Path,
    card_id: str | None,
    upstream_url: str | None,
    ref: str | None,
    *,
    replacing_snapshots: bool = False,
    cache_dir: Path | None = None,
) -> tuple[Config, list[PreparedCard]]:
    """Load config, claims and snapshots for the selected cards; any problem raises before network.

    With `replacing_snapshots` (accept), an unreadable snapshot is not an error: it is what
    accept replaces, and `broken_snapshot` says why it could not be read.
    """
    card_store.use(cache_dir / "cards" if cache_dir is not None else None)
    config = load_config(config_path)
    configure_limits(config.limits)
    cards = [config.card(card_id)] if card_id else list(config.cards)
    if upstream_url is not None:
        check_url(upstream_url)
    if ref is not None:
        check_ref(ref)
    prepared = []
    for card in cards:
        upstream = config.upstreams[card.upstream]
        claims = tuple(build_claim(claim) for claim in card.claims)
        spec = UpstreamSpec(upstream_url or upstream.url, ref or upstream.ref)
        broken = None
        try:
            snapshot = load_snapshot(config.snapshots_dir, card.id)
        except NewerSnapshot:
            raise
        except SnapshotError as exc:
            if not replacing_snapshots:
                raise
            snapshot, broken = None, str(exc)
        prepared.append(PreparedCard(card, claims, spec, upstream.web_url, snapshot, broken))
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
                results[item.card.id] = upstream_failed(item, str(exc))
    return [results[p.card.id] for p in prepared]


# Claim kinds that read no upstream file: an upstream failure is not their reason.
_WEB_KINDS = {"docs-page"}


def upstream_failed(item: PreparedCard, reason: str) -> CardResult:
    """Every claim errors: the reason once (on the first claim that reads the upstream), and
    claims that read no upstream file say what stopped them instead of blaming the upstream."""
    first: str | None = None
    results = []
    for claim in item.claims:
        if claim.config.kind in _WEB_KINDS:
            message = (
                "not checked: the run stopped when the upstream could not be read "
                "(this claim reads no upstream file; its page was not fetched)"
            )
        elif first is None:
            first, message = claim.id, f"could not read upstream: {reason}"
        else:
            message = f"could not read upstream (reason given for {first})"
        results.append(ClaimResult(claim, Error(message), None))
    return CardResult(item.card, None, {}, tuple(results))


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


def verified_snapshot(item: PreparedCard, result: CardResult, today: str) -> Snapshot | None:
    """What a verify run records: the facts of the claims that passed. When every claim passed,
    the snapshot moves to this run's commit and blobs, dated `verified_on`. Otherwise the claims
    that did not pass keep their accepted baseline, and so do the commit and blobs (where their
    drift is measured from: `bisect` and `history` start there). None: no claim passed."""
    passed = {r.claim.id: r.facts for r in result.results if r.verdict.status == "pass"}
    if not passed:
        return None
    previous = item.snapshot
    accepted_on = previous.accepted_on if previous else None
    if len(passed) == len(result.results) or previous is None:
        return next_snapshot(
            item,
            result,
            passed,
            verified_on=today if len(passed) == len(result.results) else None,
            accepted_on=accepted_on,
        )
    kept = {
        r.claim.id: previous.claims[r.claim.id]
        for r in result.results
        if r.claim.id not in passed and r.claim.id in previous.claims
    }
    return dataclasses.replace(previous, claims={**kept, **passed})


def stderr_line(stderr: TextIO) -> Callable[[str], None]:
    """A `say` for progress and waiting notes: one line on stderr. One line for sure: these
    carry upstream and git text, and a line break in it could start a workflow command."""
    return lambda line: print(one_line(line), file=stderr)
