from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CORE_CLAIMS, DocsServer, Project, Upstream, litellm_upstream

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # unix sockets and the like
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Any connection off this machine fails, unless a test is marked `network`."""
    if request.node.get_closest_marker("network"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _no_ambient_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit a CI runner's GitHub settings (a real token would reach github.com)."""
    for name in (
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "WATCHER_CACHE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def upstream(tmp_path: Path) -> Upstream:
    return litellm_upstream(tmp_path)


@pytest.fixture
def docs() -> Iterator[DocsServer]:
    server = DocsServer()
    yield server
    server.close()


@pytest.fixture
def project(
    tmp_path: Path, upstream: Upstream, docs: DocsServer, request: pytest.FixtureRequest
) -> Project:
    made = Project(tmp_path, upstream, docs.url())
    # Modules about mechanics (caching, history, moves, scheduling) mark themselves `core_claims`
    # and get the first card's three core claims only.
    return (
        made.keep_claims(*CORE_CLAIMS) if request.node.get_closest_marker("core_claims") else made
    )
