"""Snapshots: per card, the accepted facts of every claim, the upstream commit and blob ids."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher.actions.atomic import Planned, write_atomic
from watcher.errors import WatcherError

FORMAT = 1


class SnapshotError(WatcherError):
    """A snapshot file exists but cannot be used; `watcher accept` replaces it."""


class NewerSnapshot(SnapshotError):
    """A snapshot written by a newer watcher: never replaced by an older one."""


@dataclass(frozen=True)
class Snapshot:
    card: str
    url: str
    ref: str
    commit: str
    blobs: dict[str, str]
    claims: dict[str, Any]
    verified_on: str | None = None
    accepted_on: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "card": self.card,
            "upstream": {"url": self.url, "ref": self.ref, "commit": self.commit},
            "blobs": dict(sorted(self.blobs.items())),
            "verified_on": self.verified_on,
            "accepted_on": self.accepted_on,
            "claims": {key: self.claims[key] for key in sorted(self.claims)},
            **self.extra,
        }


def snapshot_path(directory: Path, card_id: str) -> Path:
    return directory / f"{card_id}.json"


def load_snapshot(directory: Path, card_id: str) -> Snapshot | None:
    path = snapshot_path(directory, card_id)
    fix = "restore it from git or run `watcher accept` to record a new baseline"
    try:
        # utf-8-sig: an editor's byte-order mark is not damage.
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: unreadable snapshot ({exc}); {fix}") from None
    if not isinstance(raw, dict):
        raise SnapshotError(f"{path}: not a watcher snapshot (not a JSON object); {fix}")
    version = raw.get("format")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
        raise NewerSnapshot(
            f"{path}: snapshot format {version} is newer than this watcher reads ({FORMAT}); "
            "upgrade watcher (it was written by a newer version)"
        )
    if raw.get("card") not in (None, card_id):
        raise SnapshotError(
            f"{path}: this is the snapshot of card {str(raw.get('card'))!r}, not {card_id!r}; {fix}"
        )
    try:
        if version != FORMAT or raw["card"] != card_id:
            raise KeyError("format" if version != FORMAT else "card")
        upstream = raw["upstream"]
        known = {"format", "card", "upstream", "blobs", "verified_on", "accepted_on", "claims"}
        return Snapshot(
            card=card_id,
            url=str(upstream["url"]),
            ref=str(upstream["ref"]),
            commit=str(upstream["commit"]),
            blobs=dict(raw["blobs"]),
            claims=dict(raw["claims"]),
            verified_on=raw.get("verified_on"),
            accepted_on=raw.get("accepted_on"),
            extra={key: value for key, value in raw.items() if key not in known},
        )
    except KeyError as exc:
        raise SnapshotError(
            f"{path}: not a watcher snapshot for card {card_id!r} (no {exc.args[0]!r}); {fix}"
        ) from None
    except (TypeError, AttributeError, ValueError):
        raise SnapshotError(
            f"{path}: not a watcher snapshot for card {card_id!r} (a field has the wrong type); {fix}"
        ) from None


def render(snapshot: Snapshot) -> str:
    return json.dumps(snapshot.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def planned_snapshot(directory: Path, snapshot: Snapshot) -> Planned:
    """The snapshot file's new text, checked on write (it must read back as written)."""
    path = snapshot_path(directory, snapshot.card)
    return Planned(path, render(snapshot), lambda text: _check(text, snapshot))


def save_snapshot(directory: Path, snapshot: Snapshot) -> Path:
    planned = planned_snapshot(directory, snapshot)
    write_atomic(planned.path, planned.text, planned.validate)
    return planned.path


def _check(text: str, snapshot: Snapshot) -> None:
    if json.loads(text) != json.loads(render(snapshot)):
        raise SnapshotError(f"snapshot for {snapshot.card} did not read back as written")
