"""A damaged snapshot: verify says to run `watcher accept`, and accept then works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import Project

pytestmark = pytest.mark.core_claims
TODAY = "2026-11-27"


def _damage(project: Project, how: str) -> None:
    good = project.snapshot.read_text(encoding="utf-8")
    damaged = {
        "truncated": good[: len(good) // 2],
        "missing key": json.dumps({k: v for k, v in json.loads(good).items() if k != "claims"}),
        "other card": json.dumps({**json.loads(good), "card": "some-other-card"}),
        "not an object": "[1, 2]",
    }[how]
    project.snapshot.write_text(damaged, encoding="utf-8")


@pytest.mark.parametrize("how", ["truncated", "missing key", "other card", "not an object"])
def test_accept_replaces_an_unreadable_snapshot_and_says_so(project: Project, how: str) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    _damage(project, how)
    broken = project.run("verify", "--today", TODAY, "--no-issues")
    assert broken.code == 2
    assert "run `watcher accept`" in broken.err
    accepted = project.run("accept")
    assert accepted.code == 0, accepted.err
    assert "replaced the unreadable snapshot" in accepted.out
    assert json.loads(project.snapshot.read_text())["card"] == project.snapshot.stem
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0


def test_other_cards_snapshot_is_named(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    _damage(project, "other card")
    broken = project.run("verify", "--today", TODAY, "--no-issues")
    assert "snapshot of card 'some-other-card'" in broken.err


def test_accept_with_claim_on_a_broken_snapshot_says_what_works(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    _damage(project, "truncated")
    refused = project.run("accept", "--claim", "custom-auth-dispatch-order")
    assert refused.code == 2
    assert "run `watcher accept` without --claim" in refused.err
    assert project.run("accept").code == 0


def test_a_snapshot_with_a_byte_order_mark_still_reads(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    project.snapshot.write_bytes(b"\xef\xbb\xbf" + project.snapshot.read_bytes())
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0


def test_a_newer_snapshot_format_says_so_and_accept_leaves_it(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    newer = {**json.loads(project.snapshot.read_text()), "format": 7}
    project.snapshot.write_text(json.dumps(newer), encoding="utf-8")
    before = project.snapshot.read_bytes()
    result = project.run("verify", "--today", TODAY, "--no-issues")
    assert result.code == 2
    assert "snapshot format 7 is newer" in result.err
    assert "not a watcher snapshot" not in result.err
    accepted = project.run("accept")
    assert accepted.code == 2 and "newer" in accepted.err
    assert project.snapshot.read_bytes() == before


def test_accept_with_the_upstream_unreachable_does_not_suggest_claim(
    project: Project, tmp_path: Path
) -> None:
    gone = (tmp_path / "no-such-upstream").as_uri()
    result = project.run("accept", "--upstream-url", gone)
    assert result.code == 2
    assert "--claim" not in result.err
    assert "nothing recorded (the upstream could not be read" in result.err
    # The upstream's reason once, not once per claim.
    assert result.err.count("could not read upstream") <= 1
