"""A stand-in for GitHub's REST API on 127.0.0.1: the issue and label endpoints watcher uses.

It behaves like GitHub where watcher depends on it: bearer-token auth (401 "Bad credentials"),
404 for other repositories, 410 when issues are disabled, 403 with X-Accepted-GitHub-Permissions
for a token that may only read, 422 validation errors, rate-limit headers on every response,
pagination with `link` headers (next links point at /repositories/{id}/..., as GitHub's do), pull
requests mixed into issue lists, labels created on first use. Faults (rate limits, 5xx) can be
queued for the next matching requests.

Every request and response is checked against GitHub's OpenAPI description (tests/data); broken
shapes, missing protocol headers and overlapping mutating requests are collected in `violations`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from openapi_check import OpenAPI

TOKEN = "ghp_fakeTokenForTests0123456789abcdefXYZ"
DOCS = "https://docs.github.com/rest"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
_SPEC = OpenAPI()


@dataclass
class Fault:
    """An answer GitHub gives instead of doing the request, for the next `times` matches."""

    method: str
    path: str  # a regular expression on the URL path
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    times: int = 1


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int


def secondary_rate_limit(method: str, path: str, retry_after: int = 1, times: int = 1) -> Fault:
    return Fault(
        method,
        path,
        403,
        {"retry-after": str(retry_after)},
        {"message": SECONDARY, "documentation_url": DOCS},
        times,
    )


def primary_rate_limit(method: str, path: str, reset_in: int, times: int = 1) -> Fault:
    headers = {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(time.time()) + reset_in),
    }
    body = {"message": "API rate limit exceeded for installation ID 1.", "documentation_url": DOCS}
    return Fault(method, path, 403, headers, body, times)


class FakeGitHub:
    repo_id = 4242

    def __init__(self, repository: str = "acme/cards", token: str = TOKEN) -> None:
        self.repository = repository
        self.token = token
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.violations: list[str] = []
        self.issues_enabled = True
        self.can_write = True
        self.drop_labels = False  # GitHub drops labels silently for tokens without push access
        self.max_per_page = 100
        self.echo_token = False  # a misbehaving API that puts the token into html_url
        self._next = 1
        self._mutating = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": self.token,
        }

    # -- test helpers -----------------------------------------------------------------------

    def add_issue(
        self,
        title: str,
        body: str = "",
        labels: tuple[str, ...] = (),
        state: str = "open",
        pull_request: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            issue = self._new_issue(title, body, list(labels))
            if state == "closed":
                self._close(issue, "completed")
            if pull_request:
                base = f"https://github.com/{self.repository}/pull/{issue['number']}"
                issue["pull_request"] = {
                    "url": f"{self.url}/repos/{self.repository}/pulls/{issue['number']}",
                    "html_url": base,
                    "diff_url": base + ".diff",
                    "patch_url": base + ".patch",
                    "merged_at": None,
                }
                issue["html_url"] = base
            return issue

    def labelled(self, label: str, state: str = "all") -> list[dict[str, Any]]:
        """Issues (not pull requests) carrying `label`."""
        return [
            issue
            for issue in self.issues.values()
            if "pull_request" not in issue
            and any(lab["name"] == label for lab in issue["labels"])
            and state in ("all", issue["state"])
        ]

    def mutations(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.method != "GET"]

    # -- request handling ------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        body = json.loads(raw) if raw else None
        mutating = method != "GET"
        with self._lock:
            if mutating:
                self._mutating += 1
                if self._mutating > 1:
                    self.violations.append(f"{method} {path}: overlaps another mutating request")
        try:
            status, extra, payload = self._route(method, path, query, headers, body)
        except Exception as exc:  # a bug in the fake: fail the test, not the connection
            self.violations.append(f"{method} {path}: fake crashed: {exc!r}")
            status, extra, payload = 500, {}, {"message": "Server Error"}
        finally:
            with self._lock:
                if mutating:
                    self._mutating -= 1
        with self._lock:
            self.seen.append(Seen(method, path, query, headers, body, status))
        return status, extra, payload

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, dict[str, str], Any]:
        lower = {key.lower(): value for key, value in headers.items()}
        if not lower.get("user-agent"):
            self.violations.append(f"{method} {path}: no User-Agent")
            return 403, {}, {"message": "Request forbidden by administrative rules."}
        if lower.get("x-github-api-version") != "2022-11-28":
            self.violations.append(f"{method} {path}: X-GitHub-Api-Version missing or unknown")
            return 400, {}, {"message": "Unsupported API version", "documentation_url": DOCS}
        # GitHub's next links use /repositories/{id}/...; they are the repository's URLs too.
        alias = re.match(rf"^/repositories/{self.repo_id}(/.*)$", path)
        spec_path = f"/repos/{self.repository}{alias.group(1)}" if alias else path
        found = _SPEC.find(method, spec_path)
        if found is None:
            self.violations.append(f"{method} {path}: not an operation watcher should use")
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS}
        operation, params = found
        problems = operation.check_request(query, body)
        if problems:  # GitHub refuses what its description does not allow; so do we
            self.violations += problems
            return 422, {}, {"message": "Validation Failed", "documentation_url": DOCS}
        status, extra, payload = self._answer(
            operation.id, method, spec_path, params, query, lower, body
        )
        extra = {**self._rate_headers(), **extra}
        self.violations += operation.check_response(status, extra, payload)
        return status, extra, payload

    def _answer(
        self,
        op: str,
        method: str,
        path: str,
        params: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                {},
                {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
            )
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                fault.times -= 1
                return fault.status, dict(fault.headers), fault.body
        if f"{params['owner']}/{params['repo']}" != self.repository:
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        if op.startswith("issues/") and "label" not in op and not self.issues_enabled:
            return (
                410,
                {},
                {"message": "Issues are disabled for this repo", "documentation_url": DOCS},
            )
        if method != "GET" and not self.can_write:
            denied = {
                "message": "Resource not accessible by integration",
                "documentation_url": DOCS,
                "status": "403",
            }
            return 403, {"x-accepted-github-permissions": "issues=write"}, denied
        with self._lock:
            return getattr(self, "_" + op.split("/")[1].replace("-", "_"))(params, query, body)

    # -- operations -------------------------------------------------------------------------

    def _list_for_repo(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        state = query.get("state", ["open"])[0]
        wanted = [name for name in query.get("labels", [""])[0].split(",") if name]
        chosen = [
            issue
            for issue in self.issues.values()
            if state in ("all", issue["state"])
            and all(any(lab["name"] == name for lab in issue["labels"]) for name in wanted)
        ]
        reverse = query.get("direction", ["desc"])[0] == "desc"
        chosen.sort(key=lambda issue: issue["number"], reverse=reverse)
        per_page = min(int(query.get("per_page", ["30"])[0]), self.max_per_page)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(chosen) // per_page))
        items = chosen[(page - 1) * per_page : page * per_page]
        links = []
        base = {key: values[0] for key, values in query.items() if key != "page"}

        def link(number: int, rel: str) -> str:
            url = f"{self.url}/repositories/{self.repo_id}/issues?{urlencode({**base, 'page': number})}"
            return f'<{url}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, ({"link": ", ".join(links)} if links else {}), items

    def _create(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        invalid = self._too_long(body)
        if invalid:
            return invalid
        labels = [] if self.drop_labels else [str(name) for name in body.get("labels", [])]
        issue = self._new_issue(str(body["title"]), body.get("body") or "", labels)
        return 201, {"location": issue["url"]}, issue

    def _update(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        issue = self.issues.get(int(params["issue_number"]))
        if issue is None:
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        invalid = self._too_long(body)
        if invalid:
            return invalid
        for key in ("title", "body"):
            if key in body:
                issue[key] = body[key]
        if body.get("state") == "closed" and issue["state"] == "open":
            self._close(issue, body.get("state_reason") or "completed")
        elif body.get("state") == "open" and issue["state"] == "closed":
            issue.update(state="open", state_reason="reopened", closed_at=None)
        issue["updated_at"] = _now()
        return 200, {}, issue

    def _create_comment(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        number = int(params["issue_number"])
        issue = self.issues.get(number)
        if issue is None:
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        comment_id = 9000 + sum(len(c) for c in self.comments.values())
        url = f"{self.url}/repos/{self.repository}/issues/comments/{comment_id}"
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": url,
            "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
            "issue_url": issue["url"],
            "body": body["body"],
            "user": _user(),
            "created_at": _now(),
            "updated_at": _now(),
            "author_association": "NONE",
        }
        self.comments.setdefault(number, []).append(comment)
        issue["comments"] += 1
        return 201, {"location": url}, comment

    def _get_label(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        label = self.labels.get(params["name"])
        if label is None:
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
        return 200, {}, label

    def _create_label(
        self, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if body["name"] in self.labels:
            return (
                422,
                {},
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
                    "documentation_url": DOCS,
                },
            )
        label = self._label(body["name"], body.get("color", "ededed"), body.get("description"))
        return 201, {"location": label["url"]}, label

    # -- shapes -----------------------------------------------------------------------------

    def _label(
        self, name: str, color: str = "ededed", description: str | None = None
    ) -> dict[str, Any]:
        if name not in self.labels:
            number = len(self.labels) + 1
            self.labels[name] = {
                "id": number,
                "node_id": f"LA_{number}",
                "url": f"{self.url}/repos/{self.repository}/labels/{quote(name)}",
                "name": name,
                "description": description,
                "color": color,
                "default": False,
            }
        return self.labels[name]

    def _new_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        number = self._next
        self._next += 1
        api = f"{self.url}/repos/{self.repository}/issues/{number}"
        issue = {
            "id": 100000 + number,
            "node_id": f"I_{number}",
            "url": api,
            "repository_url": f"{self.url}/repos/{self.repository}",
            "labels_url": api + "/labels{/name}",
            "comments_url": api + "/comments",
            "events_url": api + "/events",
            "html_url": f"https://github.com/{self.repository}/issues/{number}"
            + (f"?access_token={self.token}" if self.echo_token else ""),
            "number": number,
            "state": "open",
            "state_reason": None,
            "title": title,
            "body": body,
            "user": _user(),
            "labels": [self._label(name) for name in labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": 0,
            "closed_at": None,
            "created_at": _now(),
            "updated_at": _now(),
            "author_association": "NONE",
        }
        self.issues[number] = issue
        return issue

    def _close(self, issue: dict[str, Any], reason: str) -> None:
        issue.update(state="closed", state_reason=reason, closed_at=_now())

    def _too_long(self, body: Any) -> tuple[int, dict[str, str], Any] | None:
        if len(body.get("body") or "") <= 65536:
            return None
        return (
            422,
            {},
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "Issue",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
                "documentation_url": DOCS,
            },
        )

    def _rate_headers(self) -> dict[str, str]:
        used = len(self.seen) + 1
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(5000 - used, 0)),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
            "x-github-api-version-selected": "2022-11-28",
        }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _user() -> dict[str, Any]:
    base = "https://api.github.com/users/watcher-bot"
    return {
        "login": "watcher-bot[bot]",
        "id": 41898282,
        "node_id": "MDM6Qm90NDE4OTgyODI=",
        "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
        "gravatar_id": "",
        "url": base,
        "html_url": "https://github.com/apps/watcher-bot",
        "followers_url": base + "/followers",
        "following_url": base + "/following{/other_user}",
        "gists_url": base + "/gists{/gist_id}",
        "starred_url": base + "/starred{/owner}{/repo}",
        "subscriptions_url": base + "/subscriptions",
        "organizations_url": base + "/orgs",
        "repos_url": base + "/repos",
        "events_url": base + "/events{/privacy}",
        "received_events_url": base + "/received_events",
        "type": "Bot",
        "site_admin": False,
    }


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, payload = fake.handle(self.command, self.path, dict(self.headers), raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
