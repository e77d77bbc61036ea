"""Snapshots: per card, the accepted facts of every claim, the upstream commit and blob ids."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher.actions.atomic import write_atomic
from watcher.errors import WatcherError

FORMAT = 1


class SnapshotError(WatcherError):
    """A snapshot file exists but cannot be used."""


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
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(
            f"{path}: unreadable snapshot ({exc}); restore it from git or run `watcher accept`"
        ) from None
    try:
        if raw.get("format") != FORMAT or raw["card"] != card_id:
            raise KeyError("format")
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
    except (KeyError, TypeError, AttributeError):
        raise SnapshotError(
            f"{path}: not a watcher snapshot for card {card_id!r}; restore it from git or run `watcher accept`"
        ) from None


def render(snapshot: Snapshot) -> str:
    return json.dumps(snapshot.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def save_snapshot(directory: Path, snapshot: Snapshot) -> Path:
    path = snapshot_path(directory, snapshot.card)
    write_atomic(path, render(snapshot), validate=lambda text: _check(text, snapshot))
    return path


def _check(text: str, snapshot: Snapshot) -> None:
    if json.loads(text) != json.loads(render(snapshot)):
        raise SnapshotError(f"snapshot for {snapshot.card} did not read back as written")
