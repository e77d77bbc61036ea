"""Deciding what to do with issues: pure functions over this run's outcome and GitHub's issues."""

from __future__ import annotations

from watcher.actions.issue_text import MAX_BODY, ClaimAlert, UpstreamAt
from watcher.actions.issues import Marker, Subject, drift_subject, plan, plan_removed
from watcher.actions.markdown import length
from watcher.claims import Evidence
from watcher.github import Issue

UP = UpstreamAt(
    "https://github.com/BerriAI/litellm.git", "main", "c" * 40, "https://github.com/BerriAI/litellm"
)


def alert(status: str = "drift", message: str = "order changed", **kw: object) -> ClaimAlert:
    values: dict[str, object] = dict(
        card="card",
        card_path="knowledge/card.md",
        claim="claim",
        kind="dispatch-unchanged",
        kind_help="The dispatch matches.",
        source="https://github.com/BerriAI/litellm/blob/main/x.py",
        params=(("order", ["a", "b"]),),
        status=status,
        message=message,
        diff=("- branches[0]: 1",),
        evidence=(Evidence("x.py", 10, "dispatch here"),),
        facts={"branches": []},
        upstream=UP,
        baseline_commit="b" * 40,
    )
    values.update(kw)
    return ClaimAlert(**values)  # type: ignore[arg-type]


def issue(number: int, body: str, state: str = "open", pull_request: bool = False) -> Issue:
    return Issue(number, "t", body, state, ("watcher",), f"https://x/{number}", pull_request)


def subject(state: str = "drift", message: str = "order changed") -> Subject:
    return drift_subject(alert(state, message), "watcher")


def body_of(s: Subject, resolved: str = "") -> str:
    marker = Marker(s.marker.kind, s.marker.card, s.marker.claim, s.marker.fingerprint, resolved)
    return marker.render() + "\nrest"


def verbs(actions: list) -> list[tuple[str, int | None]]:
    return [(a.verb, a.issue.number if a.issue else None) for a in actions]


def test_marker_round_trip_and_position() -> None:
    marker = Marker("drift", "card", "claim", "0123abcd", "f" * 40)
    assert Marker.parse(marker.render() + "\nbody") == marker
    assert Marker.parse("\r\n" + marker.render()) == marker
    assert Marker.parse("quoted: " + marker.render()) is None  # only on the first line
    assert Marker.parse("<!-- watcher:drift claim=x -->") is None


def test_open_when_there_is_none() -> None:
    s = subject()
    (action,) = plan(s, [])
    assert action.verb == "open" and action.title == "Drift: claim (card)"
    assert action.body.startswith(s.marker.render())


def test_quiet_when_unchanged_and_edit_when_changed() -> None:
    s = subject()
    assert verbs(plan(s, [issue(4, body_of(s))])) == [("none", 4)]
    older = subject(message="something else")
    (action,) = plan(s, [issue(4, body_of(older))])
    assert (action.verb, action.issue and action.issue.number) == ("edit", 4)
    assert action.body.startswith(s.marker.render())


def test_fingerprint_ignores_commit_and_line_numbers() -> None:
    a = alert()
    moved = alert(
        upstream=UpstreamAt(UP.url, UP.ref, "d" * 40, UP.web_url),
        evidence=(Evidence("x.py", 99, "dispatch here"),),
    )
    assert a.fingerprint == moved.fingerprint
    assert a.fingerprint != alert(diff=("- branches[0]: 2",)).fingerprint


def test_pass_closes_with_a_comment_and_marks_resolved() -> None:
    s = drift_subject(alert("pass", "holds"), "watcher")
    (action,) = plan(s, [issue(4, body_of(subject()))])
    assert action.verb == "close" and action.state_reason == "completed"
    assert "holds again" in action.comment and ("c" * 12) in action.comment
    assert Marker.parse(action.body).resolved == "c" * 40  # type: ignore[union-attr]
    assert plan(s, [])[0].verb == "none"


def test_error_leaves_the_issue_alone() -> None:
    s = drift_subject(alert("error", "file gone"), "watcher")
    (action,) = plan(s, [issue(4, body_of(subject()))])
    assert action.verb == "none" and "left open" in action.reason


def test_closed_by_a_person_is_respected_until_the_evidence_changes() -> None:
    s = subject()
    closed = issue(4, body_of(s), state="closed")
    assert verbs(plan(s, [closed])) == [("none", 4)]
    changed = subject(message="new evidence")
    (action,) = plan(changed, [closed])
    assert action.verb == "open" and "This claim drifted before: #4." in action.body


def test_resolved_issues_are_history() -> None:
    s = subject()
    resolved = issue(4, body_of(s, resolved="e" * 40), state="closed")
    (action,) = plan(s, [resolved])
    assert action.verb == "open" and action.reason == "drifted again after #4"


def test_pull_requests_and_other_claims_are_never_ours() -> None:
    s = subject()
    other = drift_subject(alert(claim="other"), "watcher")
    found = [
        issue(3, body_of(s), pull_request=True),
        issue(5, body_of(other)),
        issue(6, "no marker"),
    ]
    assert verbs(plan(s, found)) == [("open", None)]


def test_duplicates_are_closed_and_the_oldest_kept() -> None:
    s = subject()
    actions = plan(s, [issue(9, body_of(s)), issue(4, body_of(s))])
    assert [(a.verb, a.issue.number if a.issue else None, a.state_reason) for a in actions] == [
        ("close", 9, "duplicate"),
        ("none", 4, "completed"),
    ]
    assert "Duplicate of #4" in actions[0].comment


def test_removed_claims_close_as_not_planned() -> None:
    s = subject()
    found = [issue(4, body_of(s)), issue(5, body_of(s).replace("card=card", "card=elsewhere"))]
    (action,) = plan_removed(found, {"card": {"another-claim"}})
    assert (action.issue and action.issue.number, action.state_reason) == (4, "not_planned")
    assert plan_removed(found, {"card": {"claim"}}) == []


def test_body_is_capped_by_trimming_evidence() -> None:
    huge = alert(
        diff=tuple(f"- routes[{i}]: " + "x" * 400 for i in range(400)),
        evidence=tuple(Evidence("x.py", i, "n" * 300) for i in range(400)),
        facts={"routes": ["y" * 500] * 200},
    )
    s = drift_subject(huge, "watcher")
    (action,) = plan(s, [])
    assert length(action.body) <= MAX_BODY
    assert action.body.startswith(s.marker.render() + "\n**How to resolve.**")
    assert "left out to fit GitHub's size limit" in action.body
    assert "<details>" not in action.body  # the facts go first
    assert action.body.count("- routes[") > 10  # but as much evidence as fits stays


def test_a_single_enormous_line_is_cut() -> None:
    s = drift_subject(alert(diff=("- " + "z" * 200_000,)), "watcher")
    body = plan(s, [])[0].body
    assert length(body) <= MAX_BODY and "more characters" in body
