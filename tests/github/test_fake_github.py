"""The fake GitHub is held to GitHub's published OpenAPI description, and the check has teeth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
from fake_github import FakeGitHub
from openapi_check import SPEC, OpenAPI, validate

from watcher.github import GitHubClient, GitHubSettings, RepoIssues

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "github_openapi_subset.py"


def test_the_subset_holds_exactly_the_operations_the_script_keeps() -> None:
    spec = importlib.util.spec_from_file_location("github_openapi_subset", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    api = OpenAPI(SPEC)
    kept = {(op.method.lower(), op.path) for op in api.operations}
    assert kept == set(script.OPERATIONS)
    assert api.source["package"] == "@octokit/openapi" and api.source["openapi"].startswith("3.")


def test_every_operation_watcher_uses_round_trips_cleanly(github: FakeGitHub) -> None:
    settings = GitHubSettings(github.url, github.repository, github.token)
    with GitHubClient(settings, mutation_gap=0) as client:
        api = RepoIssues(client, github.repository)
        api.ensure_label("watcher", "d93f0b", "drift")
        api.ensure_label("watcher", "d93f0b", "drift")  # exists now: a GET, no second POST
        created = api.create("title", "body", "watcher")
        api.comment(created.number, "a comment")
        api.update(created.number, state="closed", state_reason="completed")
        listed = api.list("watcher")
    assert [(i.number, i.state, i.state_reason) for i in listed] == [(1, "closed", "completed")]
    used = {
        (s.method, s.path.rsplit("/", 1)[0] if s.path[-1].isdigit() else s.path)
        for s in github.seen
    }
    assert len(used) == 6  # all six operations of the subset were exercised (and checked)
    assert [s.status for s in github.seen if s.path.endswith("/labels")] == [201]


def test_shape_violations_are_caught(github: FakeGitHub) -> None:
    headers = {
        "authorization": f"Bearer {github.token}",
        "user-agent": "t",
        "x-github-api-version": "2022-11-28",
    }
    with httpx.Client(base_url=github.url, headers=headers) as raw:
        raw.post("/repos/acme/cards/issues", json={"title": "t", "labels": "watcher"})
        raw.patch("/repos/acme/cards/issues/1", json={"state": "shut"})
        raw.get("/repos/acme/cards/issues", params={"state": "everything", "per_page": "lots"})
        raw.get("/repos/acme/cards/pulls")
        raw.get("/repos/acme/cards/issues", headers={"x-github-api-version": ""})
    found = "\n".join(github.violations)
    assert "issues/create request.labels: expected array" in found
    assert "issues/update request.state: 'shut' not in ['open', 'closed']" in found
    assert "issues/list-for-repo query state: 'everything' not in" in found
    assert "query per_page='lots' is not an integer" in found
    assert "GET /repos/acme/cards/pulls: not an operation watcher should use" in found
    assert "X-GitHub-Api-Version missing or unknown" in found
    github.violations.clear()  # seen; the fixture checks nothing else went wrong


def test_validator_checks_github_issue_shape() -> None:
    api = OpenAPI(SPEC)
    found = api.find("POST", "/repos/acme/cards/issues")
    assert found is not None
    operation, params = found
    assert params == {"owner": "acme", "repo": "cards"}
    schema = operation.spec["responses"]["201"]["schema"]
    problems = validate(schema, {"number": "1", "state": "open"})
    assert (
        "$: missing required 'id'" in problems and "$.number: expected integer, got str" in problems
    )
    assert validate({"type": "integer"}, True) == ["$: expected integer, got bool"]
    assert validate({"type": "string", "nullable": True}, None) == []
    assert validate({"oneOf": [{"type": "string"}, {"type": "integer"}]}, None) == ["$: null"]


def test_fake_behaves_like_github_for_auth_and_pagination(github: FakeGitHub) -> None:
    for n in range(5):
        github.add_issue(f"i{n}", labels=("watcher",))
    github.max_per_page = 2
    base = {"user-agent": "t", "x-github-api-version": "2022-11-28"}
    with httpx.Client(base_url=github.url, headers=base) as raw:
        denied = raw.get("/repos/acme/cards/issues")
        assert denied.status_code == 401 and denied.json()["message"] == "Bad credentials"
        page = raw.get(
            "/repos/acme/cards/issues",
            params={"labels": "watcher", "per_page": "100"},
            headers={"authorization": f"Bearer {github.token}"},
        )
    assert page.status_code == 200 and [i["number"] for i in page.json()] == [5, 4]
    assert page.headers["x-ratelimit-resource"] == "core"
    assert page.links["next"]["url"].startswith(
        f"{github.url}/repositories/{github.repo_id}/issues?"
    )
    assert "page=3" in page.links["last"]["url"]
