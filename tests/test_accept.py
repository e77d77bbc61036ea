"""`watcher accept`: a human records the current upstream facts as the new baseline."""

from __future__ import annotations

import json

from support import AUTH, PASSTHROUGH, Project


def enterprise_call_loses_an_argument(project: Project) -> None:
    """Same order, same user_custom_auth call, but the enterprise call changed: drift vs baseline only."""
    text = project.upstream.read(AUTH)
    old = "request=request, api_key=api_key, user_custom_auth=user_custom_auth"
    assert old in text
    project.upstream.commit(
        {AUTH: text.replace(old, "request=request, api_key=api_key")}, "narrow call"
    )


def test_accept_after_reviewed_drift_makes_verify_pass(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    enterprise_call_loses_an_argument(project)
    drift = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert drift.code == 1
    claim = next(
        c for c in json.loads(drift.out)["claims"] if c["id"] == "custom-auth-dispatch-order"
    )
    assert claim["status"] == "drift"
    assert '- branches[0].keywords[2]: "user_custom_auth"' in claim["diff"]
    assert claim["message"] == f"{len(claim['diff'])} change(s) against the accepted baseline"
    accepted = project.run("accept")
    assert accepted.code == 0, accepted.err
    assert "accepted facts at" in accepted.out
    assert "against the card" not in accepted.out  # the card's statement still holds
    snapshot = json.loads(project.snapshot.read_text())
    assert snapshot["accepted_on"] is not None
    assert project.run("verify", "--today", "2026-11-29").code == 0


def test_accept_records_even_when_the_card_disagrees_and_says_which(project: Project) -> None:
    text = project.upstream.read(AUTH)
    text = text.replace(
        "if enterprise_custom_auth is not None:", "if enterprise_custom_auth is None and False:"
    )
    text = text.replace(
        "elif user_custom_auth is not None:", "elif user_custom_auth is not None and True:"
    )
    project.upstream.commit({AUTH: text}, "odd guards")
    accepted = project.run("accept")
    assert accepted.code == 0
    assert project.snapshot.exists()
    # Guards changed but order and calls are as the card says: recorded, nothing reported against the card.
    assert "against the card" not in accepted.out
    swapped = project.upstream.read(AUTH).replace(
        "elif user_custom_auth is not None and True:", "elif user_custom_auth is not None:"
    )
    swapped = swapped.replace(
        "user_custom_auth(request=request, api_key=api_key)", "user_custom_auth(request)"
    )
    project.upstream.commit({AUTH: swapped}, "positional call")
    accepted = project.run("accept")
    assert accepted.code == 0
    assert "DRIFT against the card: custom-auth-dispatch-order" in accepted.out
    assert "user_custom_auth is awaited with no keywords" in accepted.out
    recorded = json.loads(project.snapshot.read_text())["claims"]["custom-auth-dispatch-order"]
    assert recorded["branches"][1]["positional"] == 1


def test_accept_records_nothing_when_a_claim_cannot_be_checked(project: Project) -> None:
    project.upstream.commit({AUTH: None}, "gone")
    result = project.run("accept")
    assert result.code == 2
    assert "cannot accept custom-auth-dispatch-order" in result.err
    assert not project.snapshot.exists()


def test_accept_named_claims_only_keeps_the_other_baselines(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    before = json.loads(project.snapshot.read_text())["claims"]
    enterprise_call_loses_an_argument(project)
    project.upstream.commit({PASSTHROUGH: None}, "routes moved away")  # those claims now error
    refused = project.run("accept")
    assert refused.code == 2
    assert (
        "nothing recorded (to accept the claims you reviewed, name them: --claim ID)" in refused.err
    )
    accepted = project.run("accept", "--claim", "custom-auth-dispatch-order")
    assert accepted.code == 0, accepted.err
    after = json.loads(project.snapshot.read_text())["claims"]
    assert after["custom-auth-dispatch-order"] != before["custom-auth-dispatch-order"]
    assert {k: v for k, v in after.items() if k != "custom-auth-dispatch-order"} == {
        k: v for k, v in before.items() if k != "custom-auth-dispatch-order"
    }
    unknown = project.run("accept", "--claim", "nope")
    assert unknown.code == 2 and "--claim nope: no such claim" in unknown.err
