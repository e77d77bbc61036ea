"""Could-not-verify is not drift: a health issue after N failed runs in a row, closed on recovery."""

from __future__ import annotations

import json

from fake_github import FakeGitHub
from support import AUTH, CARD_ID, SOURCE_FILE_CLAIMS, Project
from test_issues_e2e import drop_api_key, verify

HEALTH = f"<!-- watcher:health card={CARD_ID} "


def without_link_claims(project: Project) -> Project:
    """These tests delete the auth module to make its claims error; the source-file claim on
    that link would (rightly) call the deletion drift and open an issue of its own."""
    return project.drop_claims(*SOURCE_FILE_CLAIMS)


def health_state(project: Project) -> dict:
    return json.loads((project.root / "snapshots" / ".health.json").read_text())


def test_health_issue_after_three_failed_runs_closed_by_success(
    project: Project, github: FakeGitHub
) -> None:
    without_link_claims(project)
    assert verify(project, github).code == 0
    snapshot = project.snapshot.read_bytes()
    good = project.upstream.read(AUTH)
    drop_api_key(project.upstream)
    assert verify(project, github).code == 1  # a drift issue, #1
    project.upstream.commit({AUTH: None}, "move the auth module away")
    for run in (1, 2):
        failed = verify(project, github)
        assert failed.code == 2
        assert "could not check it; #1 left open" in failed.out  # an error resolves nothing
        assert health_state(project)["cards"][CARD_ID]["failures"] == run
        assert [i["number"] for i in github.labelled("watcher")] == [1]
    third = verify(project, github)
    assert third.code == 2
    assert f"opened issue #2 for health of {CARD_ID} (new)" in third.out
    health = github.issues[2]
    assert (
        health["body"].startswith(HEALTH) and health["title"] == f"watcher cannot verify {CARD_ID}"
    )
    assert "in the last 3 run(s) in a row (since 2026-" in health["body"]
    assert "This is not drift" in health["body"]
    assert (
        f"`custom-auth-dispatch-order`: {AUTH.replace('_', chr(92) + '_')}: no such file"
        in health["body"]
    )
    assert github.issues[1]["state"] == "open"
    assert "nothing to do (#2 is up to date)" in verify(project, github).out
    assert health_state(project)["cards"][CARD_ID]["failures"] == 4
    assert project.snapshot.read_bytes() == snapshot  # failed runs never rewrite the baseline

    project.upstream.commit({AUTH: good}, "bring it back")
    recovered = verify(project, github)
    assert recovered.code == 0
    assert f"closed issue #2 for health of {CARD_ID} (resolved)" in recovered.out
    assert f"closed issue #1 for {CARD_ID}/custom-auth-dispatch-order (resolved)" in recovered.out
    assert github.issues[2]["state"] == "closed" and github.issues[2]["state_reason"] == "completed"
    assert "after 4 failed run(s)" in github.comments[2][0]["body"]
    assert health_state(project)["cards"] == {}


def test_threshold_comes_from_the_config(project: Project, github: FakeGitHub) -> None:
    without_link_claims(project)
    config = project.root / "watcher.toml"
    config.write_text(config.read_text() + "\n[github]\nfailure_threshold = 1\n")
    project.upstream.commit({AUTH: None}, "gone")
    result = verify(project, github)
    assert result.code == 2
    assert f"opened issue #1 for health of {CARD_ID} (new)" in result.out
    assert "in the last 1 run(s) in a row" in github.issues[1]["body"]


def test_a_broken_state_file_restarts_the_count(project: Project, github: FakeGitHub) -> None:
    state = project.root / "snapshots" / ".health.json"
    state.parent.mkdir(exist_ok=True)
    state.write_text("{not json")
    project.upstream.commit({AUTH: None}, "gone")
    result = verify(project, github)
    assert result.code == 2
    assert ".health.json: unreadable, failure counts restart at zero" in result.out
    assert health_state(project)["cards"][CARD_ID]["failures"] == 1
