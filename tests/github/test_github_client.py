"""The GitHub client's protocol discipline, with httpx.MockTransport standing in for the network."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from watcher.config import ConfigError, GitHubConfig
from watcher.github import (
    GitHubClient,
    GitHubRejected,
    GitHubSettings,
    GitHubUnavailable,
    RepoIssues,
    github_settings,
)

TOKEN = "ghp_unitTestToken0123456789"
API = "https://api.github.test"
SETTINGS = GitHubSettings(API, "acme/cards", TOKEN)


class Clock:
    """Time that moves only when the client sleeps: waits are recorded, never taken."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], clock: Clock | None = None, **kw: float
) -> tuple[GitHubClient, list[httpx.Request], Clock]:
    seen: list[httpx.Request] = []
    clock = clock or Clock()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = GitHubClient(
        SETTINGS, httpx.MockTransport(record), sleep=clock.sleep, clock=clock.time, **kw
    )
    return client, seen, clock


def answers(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)
    return lambda request: queue.pop(0)


def error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: object
) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"message": message, **extra})


def test_every_request_carries_the_protocol_headers() -> None:
    client, seen, _ = client_for(lambda r: httpx.Response(201, json={"id": 1}))
    client.get("/repos/acme/cards/labels/x")
    client.post("/repos/acme/cards/issues/1/comments", {"body": "hi"})
    for request in seen:
        assert request.headers["user-agent"].startswith("watcher/")
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(seen[1].content) == {"body": "hi"}


def test_pagination_follows_next_links() -> None:
    pages = {
        "1": (
            [{"n": 1}, {"n": 2}],
            f'<{API}/repositories/7/issues?page=2>; rel="next", <{API}/repositories/7/issues?page=3>; rel="last"',
        ),
        "2": ([{"n": 3}], f'<{API}/repositories/7/issues?page=3>; rel="next"'),
        "3": ([{"n": 4}], f'<{API}/repositories/7/issues?page=1>; rel="first"'),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        items, link = pages[request.url.params.get("page", "1")]
        return httpx.Response(200, json=items, headers={"link": link})

    client, seen, _ = client_for(handler)
    items = list(client.paginate("/repos/acme/cards/issues", {"state": "all"}))
    assert [item["n"] for item in items] == [1, 2, 3, 4]
    assert seen[0].url.params["per_page"] == "100" and seen[0].url.params["state"] == "all"
    assert [r.url.path for r in seen[1:]] == ["/repositories/7/issues"] * 2


def test_a_next_link_to_another_host_does_not_get_the_token() -> None:
    link = '<https://evil.example/steal?page=2>; rel="next"'
    client, seen, _ = client_for(lambda r: httpx.Response(200, json=[], headers={"link": link}))
    with pytest.raises(GitHubUnavailable, match="next-page link leaves"):
        list(client.paginate("/repos/acme/cards/issues", {}))
    assert len(seen) == 1


def test_retry_after_is_honoured() -> None:
    limited = error(403, "You have exceeded a secondary rate limit.", {"retry-after": "7"})
    client, seen, clock = client_for(answers(limited, httpx.Response(201, json={"number": 1})))
    assert client.post("/repos/acme/cards/issues", {"title": "t"}) == {"number": 1}
    assert clock.sleeps == [7.0] and len(seen) == 2


def test_ratelimit_reset_is_honoured() -> None:
    clock = Clock()
    reset = str(int(clock.now) + 20)
    limited = error(
        429, "API rate limit exceeded", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    )
    client, _, _ = client_for(answers(limited, httpx.Response(200, json=[])), clock)
    assert client.get("/repos/acme/cards/issues") == []
    assert clock.sleeps == [21.0]  # until the reset, plus a second of slack


def test_secondary_limit_without_headers_waits_a_minute() -> None:
    limited = error(
        403, "You have exceeded a secondary rate limit and have been temporarily blocked."
    )
    client, _, clock = client_for(answers(limited, httpx.Response(200, json={})))
    client.get("/x")
    assert clock.sleeps == [60.0]


def test_rate_limit_retries_are_bounded() -> None:
    client, seen, clock = client_for(lambda r: error(429, "slow down", {"retry-after": "1"}))
    with pytest.raises(GitHubUnavailable, match="still rate-limited by GitHub after 3 retries"):
        client.get("/x")
    assert len(seen) == 4 and clock.sleeps == [1.0, 1.0, 1.0]


def test_a_wait_longer_than_max_wait_gives_up_and_says_until_when() -> None:
    client, seen, clock = client_for(
        lambda r: error(
            403,
            "API rate limit exceeded",
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700003600"},
        ),
        max_wait=90,
    )
    with pytest.raises(GitHubUnavailable, match=r"rate-limited by GitHub until \d\d:\d\d:\d\d UTC"):
        client.get("/x")
    assert clock.sleeps == [] and len(seen) == 1


def test_mutations_are_spaced_a_second_apart() -> None:
    client, _, clock = client_for(lambda r: httpx.Response(200, json={}))
    client.get("/a")
    client.patch("/b", {"state": "closed"})
    client.get("/c")
    client.post("/d", {"body": "x"})
    assert clock.sleeps == [1.0]  # only between the two mutations


def test_server_errors_retry_safe_requests_only() -> None:
    client, seen, _ = client_for(answers(httpx.Response(502), httpx.Response(200, json={"ok": 1})))
    assert client.get("/x") == {"ok": 1} and len(seen) == 2
    client, seen, _ = client_for(lambda r: httpx.Response(502))
    with pytest.raises(
        GitHubUnavailable, match=r"POST /repos/acme/cards/issues: GitHub failed \(502\)"
    ):
        client.post("/repos/acme/cards/issues", {"title": "t"})
    assert len(seen) == 1  # a repeated POST could open a second issue


def test_network_errors_become_watcher_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(GitHubUnavailable, match=f"cannot reach GitHub at {API}"):
        client_for(refuse)[0].post("/x", {})
    with pytest.raises(GitHubUnavailable, match=r"no complete answer from .* within 60s"):
        client_for(stall)[0].post("/x", {})


@pytest.mark.parametrize(
    ("response", "kind", "expected"),
    [
        (
            error(401, "Bad credentials"),
            GitHubRejected,
            "GitHub rejected the token (401 'Bad credentials')",
        ),
        (
            error(
                403,
                "Resource not accessible by integration",
                {"x-accepted-github-permissions": "issues=write; pull_requests=write"},
            ),
            GitHubRejected,
            "refused the token (403 'Resource not accessible by integration'): it needs issues=write; pull_requests=write",
        ),
        (
            error(403, "Must have admin rights"),
            GitHubRejected,
            "give it issues: write on the repository",
        ),
        (error(404, "Not Found"), GitHubRejected, "not found (404): check GITHUB_REPOSITORY"),
        (
            error(410, "Issues are disabled for this repo"),
            GitHubRejected,
            "issues are disabled on this repository (410)",
        ),
        (
            error(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "Issue",
                        "field": "body",
                        "code": "custom",
                        "message": "body is too long (maximum is 65536 characters)",
                    },
                    {"resource": "Label", "field": "name", "code": "invalid"},
                ],
            ),
            GitHubRejected,
            "(422): Validation Failed; body is too long (maximum is 65536 characters); Label name invalid",
        ),
        (httpx.Response(503, text="<html>down</html>"), GitHubUnavailable, "GitHub failed (503)"),
    ],
)
def test_refusals_are_one_clear_line(response: httpx.Response, kind: type, expected: str) -> None:
    client, _, _ = client_for(lambda r: response)
    with pytest.raises(kind) as caught:
        client.post("/repos/acme/cards/issues", {"title": "t"})
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert caught.value.status == response.status_code


def test_the_token_never_appears_even_when_echoed() -> None:
    client, _, _ = client_for(lambda r: error(422, f"token {TOKEN} is odd\nsecond line"))
    with pytest.raises(GitHubRejected) as caught:
        client.post("/x", {})
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)
    assert TOKEN not in repr(SETTINGS)


def test_issue_lists_leave_pull_requests_out() -> None:
    items = [
        {"number": 1, "state": "open", "title": "a", "body": None, "labels": [{"name": "watcher"}]},
        {
            "number": 2,
            "state": "open",
            "title": "b",
            "body": "x",
            "labels": ["watcher"],
            "pull_request": {"url": "u"},
        },
    ]
    client, seen, _ = client_for(lambda r: httpx.Response(200, json=items))
    issues = RepoIssues(client, "acme/cards").list("watcher")
    assert [(i.number, i.body, i.labels) for i in issues] == [(1, "", ("watcher",))]
    assert seen[0].url.params["labels"] == "watcher" and seen[0].url.params["state"] == "all"


def test_settings_from_the_environment() -> None:
    config = GitHubConfig(None, "watcher", 3)
    settings = github_settings(config, {"GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": " t0k "})
    assert (settings.api_url, settings.repository, settings.token) == (
        "https://api.github.com",
        "o/r",
        "t0k",
    )
    assert settings.configured
    chosen = github_settings(GitHubConfig("team/cards", "w", 2), {"GITHUB_REPOSITORY": "o/r"})
    assert chosen.repository == "team/cards" and not chosen.configured
    assert chosen.missing() == "GITHUB_TOKEN"
    enterprise = github_settings(config, {"GITHUB_API_URL": "https://ghe.example/api/v3/"})
    assert enterprise.api_url == "https://ghe.example/api/v3"
    with pytest.raises(ConfigError, match="expected an https:// URL"):
        github_settings(config, {"GITHUB_API_URL": "http://ghe.example"})
    with pytest.raises(ConfigError, match="GITHUB_REPOSITORY 'nope'"):
        github_settings(config, {"GITHUB_REPOSITORY": "nope"})
    with pytest.raises(ConfigError, match="GITHUB_TOKEN: contains spaces") as caught:
        github_settings(config, {"GITHUB_TOKEN": "abc def"})
    assert "abc" not in str(caught.value)
