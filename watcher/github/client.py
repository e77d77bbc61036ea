"""An httpx client for GitHub's REST API, with the discipline GitHub asks of integrations.

- Every request carries `User-Agent`, `Accept` and `X-GitHub-Api-Version`; each request has an
  overall deadline (headers and body together, `DEADLINE`), not only per-read timeouts.
- Mutating requests go one at a time, at least a second apart (GitHub's advice for staying
  clear of secondary rate limits).
- 403/429 rate limits wait as `retry-after` or `x-ratelimit-reset` say, a bounded number of times
  and never longer than `max_wait` per wait nor `wait_budget` in all (one client per run); beyond
  that the run gives up and says when to retry. Each wait is announced on `notice`.
- Lists follow `link: rel="next"`, only to the API's own origin (the token goes with each request).
- httpx failures become `GitHubUnavailable` here; HTTP errors become one-line messages.
"""

from __future__ import annotations

import email.utils
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from watcher import __version__
from watcher.github.deadline import DeadlineTransport, within
from watcher.github.errors import GitHubError, GitHubRejected, GitHubUnavailable
from watcher.github.settings import GitHubSettings

API_VERSION = "2022-11-28"
USER_AGENT = f"watcher/{__version__} (knowledge-card drift alerts)"
TIMEOUT = 30.0
DEADLINE = 60.0  # one request, from connecting to the last byte of the body
WAIT_BUDGET = 300.0  # rate-limit waits of one run, in all
RATE_LIMIT_RETRIES = 3
TRANSIENT_RETRIES = 2  # 5xx and network errors, for requests that are safe to repeat
MAX_WAIT = 90.0
MUTATION_GAP = 1.0
MAX_PAGES = 100
_SAFE_TO_REPEAT = {"GET", "PATCH"}  # a repeated POST could create a second issue or comment
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")

Params = Mapping[str, str | int]


class GitHubClient:
    """JSON requests against one GitHub API base URL; `transport` is the seam tests replace."""

    def __init__(
        self,
        settings: GitHubSettings,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = MAX_WAIT,
        mutation_gap: float = MUTATION_GAP,
        deadline: float = DEADLINE,
        wait_budget: float = WAIT_BUDGET,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": API_VERSION,
        }
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        self.api_url = settings.api_url
        self._base = httpx.URL(settings.api_url + "/")
        self._token = settings.token
        self._http = httpx.Client(
            base_url=settings.api_url,
            headers=headers,
            timeout=min(TIMEOUT, deadline),
            transport=transport if transport is not None else DeadlineTransport(),
        )
        self._deadline = deadline
        self._wait_budget = wait_budget
        self._waited = 0.0
        self._notice = notice
        self._sleep = sleep
        self._clock = clock
        self._max_wait = max_wait
        self._mutation_gap = mutation_gap
        self._mutating = threading.Lock()
        self._last_mutation: float | None = None

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    # -- JSON helpers -------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None) -> Any:
        return self._json(self.request("GET", path, params=params), f"GET {path}")

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self.request("POST", path, body=body), f"POST {path}")

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self.request("PATCH", path, body=body), f"PATCH {path}")

    def paginate(self, path: str, params: Params) -> Iterator[Any]:
        """Every item of a list endpoint, page by page, following `link: rel="next"`."""
        url: str | None = path
        query: Params | None = {**params, "per_page": 100}
        for _ in range(MAX_PAGES):
            assert url is not None
            response = self.request("GET", url, params=query)
            page = self._json(response, f"GET {path}")
            if not isinstance(page, list):
                raise self._fail(
                    GitHubUnavailable, f"GET {path}: GitHub did not answer with a list"
                )
            yield from page
            url = response.links.get("next", {}).get("url")
            if url is None:
                return
            self._check_origin(url, path)
            query = None  # the next link carries the query
        raise self._fail(GitHubUnavailable, f"GET {path}: more than {MAX_PAGES} pages of results")

    # -- one request, with retries ------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        where = f"{method} {httpx.URL(url).path}"
        rate_limited = transient = 0
        while True:
            try:
                response = self._send(method, url, params, body)
            except GitHubUnavailable:
                if method not in _SAFE_TO_REPEAT or transient >= TRANSIENT_RETRIES:
                    raise
                transient += 1
                self._sleep(float(2 ** (transient - 1)))
                continue
            if response.is_success:
                return response
            wait = self._rate_limit_wait(response, rate_limited)
            if wait is not None:
                self._before_retry(where, wait, rate_limited)
                rate_limited += 1
                continue
            repeatable = method in _SAFE_TO_REPEAT and transient < TRANSIENT_RETRIES
            if response.status_code >= 500 and repeatable:
                transient += 1
                self._sleep(float(2 ** (transient - 1)))
                continue
            raise self._error(where, response)

    def _send(
        self, method: str, url: str, params: Params | None, body: Mapping[str, Any] | None
    ) -> httpx.Response:
        mutating = method != "GET"
        if mutating:
            self._mutating.acquire()
        try:
            if mutating and self._last_mutation is not None:
                gap = self._last_mutation + self._mutation_gap - self._clock()
                if gap > 0:
                    self._sleep(gap)
            try:
                # Never follow a redirect with a body: httpx would turn it into a GET.
                with within(self._deadline):
                    return self._http.request(
                        method, url, params=params, json=body, follow_redirects=not mutating
                    )
            except httpx.TimeoutException:
                raise self._fail(
                    GitHubUnavailable,
                    f"{method} {httpx.URL(url).path}: no complete answer from {self.api_url} "
                    f"within {self._deadline:g}s",
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise self._fail(
                    GitHubUnavailable,
                    f"cannot reach GitHub at {self.api_url} ({type(exc).__name__}: {exc})",
                ) from None
        finally:
            if mutating:
                self._last_mutation = self._clock()
                self._mutating.release()

    def _rate_limit_wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds GitHub asks us to wait, or None when the response is not a rate limit."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        retry_after = _seconds(headers.get("retry-after"), self._clock())
        if retry_after is not None:
            return retry_after
        if headers.get("x-ratelimit-remaining") == "0":
            reset = _number(headers.get("x-ratelimit-reset"))
            return max(reset - self._clock(), 0.0) + 1.0 if reset is not None else 60.0
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return 60.0 * float(
                2**attempt
            )  # a secondary limit without headers: a minute, then longer
        return None

    def _before_retry(self, where: str, wait: float, attempt: int) -> None:
        if attempt >= RATE_LIMIT_RETRIES:
            raise self._fail(
                GitHubUnavailable,
                f"{where}: still rate-limited by GitHub after {RATE_LIMIT_RETRIES} retries; the next run will try again",
            )
        if wait > self._max_wait:
            until = time.strftime("%H:%M:%S UTC", time.gmtime(self._clock() + wait))
            raise self._fail(
                GitHubUnavailable,
                f"{where}: rate-limited by GitHub until {until} ({wait:.0f}s, longer than watcher waits); the next run will try again",
            )
        if self._waited + wait > self._wait_budget:
            raise self._fail(
                GitHubUnavailable,
                f"{where}: still rate-limited by GitHub after {self._waited:.0f}s of waiting in this "
                f"run (at most {self._wait_budget:.0f}s in all); the next run will try again",
            )
        if self._notice is not None:
            self._notice(f"rate-limited by GitHub on {where}; waiting {wait:.0f}s before retrying")
        self._waited += wait
        self._sleep(wait)

    # -- errors -------------------------------------------------------------------------------

    def _error(self, where: str, response: httpx.Response) -> GitHubError:
        error = self._describe(where, response)
        error.status = response.status_code
        return error

    def _describe(self, where: str, response: httpx.Response) -> GitHubError:
        status = response.status_code
        said = _message(response)
        quoted = f" {said!r}" if said else ""
        if status == 401:
            return self._fail(
                GitHubRejected,
                f"GitHub rejected the token (401{quoted}) at {self.api_url}: set GITHUB_TOKEN to a valid token with issues: write",
            )
        if status == 403:
            needs = response.headers.get("x-accepted-github-permissions")
            fix = f"it needs {needs}" if needs else "give it issues: write on the repository"
            return self._fail(
                GitHubRejected, f"{where}: GitHub refused the token (403{quoted}): {fix}"
            )
        if status == 404:
            return self._fail(
                GitHubRejected,
                f"{where}: not found (404): check GITHUB_REPOSITORY / github.repository, and that the token can see that repository",
            )
        if status == 410:
            return self._fail(
                GitHubRejected,
                f"{where}: issues are disabled on this repository (410): enable them in its settings, or run with --no-issues",
            )
        if status == 422:
            return self._fail(
                GitHubRejected,
                f"{where}: GitHub did not accept the request (422): {_validation(response)}",
            )
        if status >= 500:
            return self._fail(
                GitHubUnavailable, f"{where}: GitHub failed ({status}); the next run will try again"
            )
        return self._fail(
            GitHubRejected, f"{where}: unexpected answer from GitHub ({status}{quoted})"
        )

    def _fail(self, kind: type[GitHubError], text: str, status: int | None = None) -> GitHubError:
        """One printable line; the token never appears in it, whatever GitHub echoed."""
        line = _CONTROL.sub(" ", text)
        if self._token:
            line = line.replace(self._token, "***")
        return kind(line, status)

    def _check_origin(self, url: str, path: str) -> None:
        target = httpx.URL(url)
        if (target.scheme, target.host, target.port) != (
            self._base.scheme,
            self._base.host,
            self._base.port,
        ):
            raise self._fail(
                GitHubUnavailable,
                f"GET {path}: GitHub's next-page link leaves {self.api_url}; not sending the token there",
            )

    def _json(self, response: httpx.Response, where: str) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._fail(
                GitHubUnavailable, f"{where}: GitHub answered {response.status_code} without JSON"
            ) from None


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


def _validation(response: httpx.Response) -> str:
    """GitHub's 422 message with the detail of each field error."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "no details"
    if not isinstance(data, dict):
        return "no details"
    parts = [str(data.get("message") or "Validation Failed")]
    for error in data.get("errors") or []:
        if isinstance(error, dict):
            detail = error.get("message") or " ".join(
                str(error[key]) for key in ("resource", "field", "code") if error.get(key)
            )
            parts.append(str(detail))
        elif isinstance(error, str):
            parts.append(error)
    return "; ".join(parts)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _seconds(value: str | None, now: float) -> float | None:
    """`retry-after` is seconds, or (rarely) an HTTP date."""
    if value is None:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)
