"""Every HTTP exchange ends by its deadline, and a run's rate-limit waits have a budget.

Slow servers are real sockets on 127.0.0.1 that drip headers or body; the deadlines are set
short so these tests take seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from watcher.facts import FactsError
from watcher.facts.web import fetch_page
from watcher.github import GitHubClient, GitHubSettings, GitHubUnavailable

TOKEN = "ghp_unitTestToken0123456789"


class Drip:
    """Answers every connection slowly: one header line (or one body byte) every `gap` s."""

    def __init__(self, mode: str, gap: float) -> None:
        self.mode, self.gap = mode, gap
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.stop.is_set():
                conn.close()
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if self.mode == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self.stop.wait(self.gap):
                    conn.sendall(b"X-Slow: yes\r\n")
            else:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n["
                )
                while not self.stop.wait(self.gap):
                    conn.sendall(b" ")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        # Wake the accepting thread before closing: a thread left blocked in accept() on a
        # closed descriptor can end up accepting on whatever socket reuses that number.
        with socket.create_connection(self.sock.getsockname(), timeout=2):
            pass
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(params=["headers", "body"])
def drip(request: pytest.FixtureRequest) -> Iterator[Drip]:
    server = Drip(request.param, 0.2)
    yield server
    server.close()


def test_github_request_ends_by_its_deadline(drip: Drip) -> None:
    settings = GitHubSettings(drip.url, "acme/cards", TOKEN)
    started = time.monotonic()
    with GitHubClient(settings, deadline=1.0) as client, pytest.raises(GitHubUnavailable) as err:
        client.post("/repos/acme/cards/issues", {"title": "x"})  # POST: not retried
    assert time.monotonic() - started < 5
    assert "within 1s" in str(err.value)


def test_docs_page_fetch_ends_by_its_deadline(drip: Drip) -> None:
    started = time.monotonic()
    with pytest.raises(FactsError) as err:
        fetch_page(drip.url + "/docs", ["x"], timeout=1.0)
    assert time.monotonic() - started < 5
    assert "timed out" in str(err.value)


def test_rate_limit_waits_have_a_budget_per_run_and_are_announced() -> None:
    slept: list[float] = []
    said: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "90"}, json={"message": "slow down"})

    settings = GitHubSettings("https://api.github.test", "acme/cards", TOKEN)
    client = GitHubClient(
        settings,
        httpx.MockTransport(handler),
        sleep=slept.append,
        clock=lambda: 1_700_000_000.0,
        max_wait=100,
        wait_budget=200,
        notice=said.append,
    )
    with client:
        with pytest.raises(GitHubUnavailable) as err:
            list(client.paginate("/repos/acme/cards/issues", {"state": "all"}))
        assert sum(slept) <= 200
        assert "at most 200s in all" in str(err.value)
        assert said and all("waiting 90s" in line for line in said)
        # Later requests of the same run do not start a fresh budget.
        with pytest.raises(GitHubUnavailable):
            client.get("/repos/acme/cards/labels/x")
        assert sum(slept) <= 200
