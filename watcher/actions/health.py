"""Could-not-verify is not drift: count consecutive failed runs per card, alert past a threshold.

The count lives next to the snapshots in `snapshots/.health.json` (card ids never start with a
dot, so it cannot collide with a card's snapshot). The snapshots themselves are baselines and are
never rewritten by a failed run; this small file is, atomically, on every run whose count changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from watcher.actions.atomic import write_atomic
from watcher.actions.issue_text import UpstreamAt, render, where_looked
from watcher.actions.issues import Marker, Subject
from watcher.orchestrator import CardResult

STATE_FILE = ".health.json"
FORMAT = 1


@dataclass(frozen=True)
class CardHealth:
    failures: int = 0
    since: str | None = None  # the date of the first failure in the current streak


def health_path(snapshots_dir: Path) -> Path:
    return snapshots_dir / STATE_FILE


def load_health(snapshots_dir: Path) -> tuple[dict[str, CardHealth], str]:
    """The counts, and a note when the file was unreadable (the count then restarts at zero)."""
    path = health_path(snapshots_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        cards = raw["cards"] if raw.get("format") == FORMAT else None
        if not isinstance(cards, dict):
            raise ValueError("format")
        return {
            card: CardHealth(int(entry["failures"]), entry.get("since"))
            for card, entry in cards.items()
        }, ""
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        # Only a counter: losing it delays a health alert, it never hides drift.
        return {}, f"{path}: unreadable, failure counts restart at zero"


def save_health(snapshots_dir: Path, states: Mapping[str, CardHealth]) -> None:
    cards = {
        card: {"failures": state.failures, "since": state.since}
        for card, state in sorted(states.items())
        if state.failures
    }
    text = json.dumps({"format": FORMAT, "cards": cards}, indent=2) + "\n"
    write_atomic(health_path(snapshots_dir), text, validate=lambda written: _check(written, text))


def _check(written: str, text: str) -> None:
    if json.loads(written) != json.loads(text):
        raise ValueError("health state did not read back as written")


def next_health(previous: CardHealth | None, result: CardResult, today: str) -> CardHealth:
    if result.status != "error":
        return CardHealth()
    if previous is None or previous.failures == 0:
        return CardHealth(1, today)
    return CardHealth(previous.failures + 1, previous.since or today)


def _errors(result: CardResult) -> list[tuple[str, str]]:
    return [(r.claim.id, r.verdict.message) for r in result.results if r.verdict.status == "error"]


def health_subject(
    result: CardResult,
    before: CardHealth | None,
    now: CardHealth,
    threshold: int,
    upstream: UpstreamAt,
    label: str,
) -> Subject:
    """The health issue of one card: bad once `threshold` runs in a row failed, good on success."""
    errors = _errors(result)
    digest = hashlib.sha256(json.dumps(sorted(errors)).encode()).hexdigest()[:16]
    marker = Marker("health", result.card.id, fingerprint=digest)
    if result.status != "error":
        state = "good"
    else:
        state = "bad" if now.failures >= threshold else "unknown"
    at = where_looked(upstream) if result.commit else ""

    def body(previous: int | None) -> str:
        return render(
            "health_issue.md.j2",
            marker=marker.render(),
            card=result.card.id,
            failures=now.failures,
            since=now.since,
            at=at,
            errors=errors,
            repo=upstream.repo,
            threshold=threshold,
            label=label,
        )

    def resolution() -> str:
        failed = before.failures if before else 0
        return render("health_resolved.md.j2", card=result.card.id, at=at, failures=failed)

    return Subject(
        name=f"health of {result.card.id}",
        marker=marker,
        state=state,
        title=f"watcher cannot verify {result.card.id}",
        body=body,
        resolution=resolution,
        resolved_by=(result.commit or "yes")[:40],
    )
