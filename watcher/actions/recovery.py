"""Recognise what an interrupted watcher run left behind, and put it right before this run.

A run killed between its writes and its commit (`verify --commit --push`) leaves:
- temporary files (`.NAME.<random>.tmp`, and `.NAME.old.tmp`, the copy kept to put a card back
  while its snapshot lands): removed; a card replaced while its snapshot's temporary file still
  waited means the pair did not land together, so the card is put back from its copy;
- with `--commit`, a card whose only changes are Last Verified dates and a changed snapshot, not
  committed: put back as committed, so this run redoes (and commits) that work instead of
  failing on a dirty checkout or committing the snapshot alone.
Anything else changed in the checkout is a person's work and is left alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from watcher.actions.atomic import TEMP_SUFFIX, leftovers, temp_prefix
from watcher.card import CardError, parse_sources, read_card, set_last_verified
from watcher.config import Config, ConfigError, load_config

Say = Callable[[str], None]


def backup_of(path: Path) -> Path:
    return path.with_name(f"{temp_prefix(path)}old{TEMP_SUFFIX}")


def clean_leftovers(config: Config, say: Say) -> None:
    """Remove the temporary files of an interrupted run; undo a card/snapshot pair half landed."""
    removed = 0
    for card in config.cards:
        snapshot = config.snapshots_dir / f"{card.id}.json"
        card_copy = backup_of(card.path)
        staged_snapshot = [p for p in leftovers(snapshot) if p != backup_of(snapshot)]
        if card_copy.exists() and staged_snapshot:
            try:
                os.replace(card_copy, card.path)
                say(
                    f"{card.path}: an interrupted run replaced it but not its snapshot; "
                    "put back as it was"
                )
            except OSError as exc:
                say(f"{card.path}: could not put back the copy {card_copy.name} ({exc.strerror})")
        for path in (*leftovers(card.path), *leftovers(snapshot)):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
    if removed:
        say(f"removed {removed} temporary file(s) an interrupted run left behind")


def date_only_change(before: str, after: str) -> bool:
    """True when `after` is `before` with nothing but Last Verified cells changed."""
    try:
        old = parse_sources(before, "HEAD").rows
        new = parse_sources(after, "working copy").rows
    except CardError:
        return False
    if [row.source for row in old] != [row.source for row in new]:
        return False
    # Put the old dates back into the new text: what remains must be the committed card.
    restored = after
    for new_row, old_row in sorted(
        zip(new, old, strict=True), key=lambda pair: pair[0].date_span, reverse=True
    ):
        restored = set_last_verified(restored, [new_row], old_row.last_verified)
    return restored == before


def _verify_wrote(committed: str | None, path: Path) -> bool:
    """A snapshot change a verify run makes (commit, blobs, verified_on), not an accept's (its
    claims and accepted_on are a person's decision and are kept)."""
    if committed is None:
        return False
    try:
        old = json.loads(committed)
        new = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    return all(old.get(key) == new.get(key) for key in ("card", "claims", "accepted_on"))


def redo_uncommitted(
    config: Config,
    head_text: Callable[[Path], str | None],
    is_modified: Callable[[Path], bool],
    restore: Callable[[Iterable[Path]], None],
    say: Say,
) -> None:
    """With --commit: card date changes and snapshots an interrupted run wrote but did not commit
    are put back as committed, for this run to redo and commit them."""
    ours: list[Path] = []
    for card in config.cards:
        snapshot = config.snapshots_dir / f"{card.id}.json"
        if is_modified(card.path):
            committed = head_text(card.path)
            try:
                current = read_card(card.path)
            except CardError:
                continue
            if committed is None or not date_only_change(committed, current):
                continue  # a person's edit: not ours to touch
            ours.append(card.path)
        if is_modified(snapshot) and _verify_wrote(head_text(snapshot), snapshot):
            ours.append(snapshot)
    if ours:
        restore(ours)
        names = ", ".join(str(path.relative_to(config.root)) for path in ours)
        say(
            f"an earlier run was interrupted before committing {names}; put back as committed, "
            "this run redoes that work"
        )


def recover_interrupted(config_path: Path, commit: bool, say: Say) -> None:
    """Before a run that writes (under the run lock): clean up after an interrupted one."""
    try:
        config = load_config(config_path)
    except ConfigError:
        return  # the run itself reports it
    clean_leftovers(config, say)
    if not commit:
        return
    from watcher.actions.git_commit import ProjectRepo, SaveError

    try:
        project = ProjectRepo(config.root)
    except SaveError:
        return  # the run itself reports it
    redo_uncommitted(config, project.head_text, project.is_modified, project.restore, say)
