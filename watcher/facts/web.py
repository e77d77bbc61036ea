"""Facts about a web page a card cites (its Official docs): the HTTP status and what it mentions.

These facts come from the web, not from the upstream tree. The fetch is one GET with redirects
followed, a per-operation timeout and an overall deadline (a server that drips bytes would
otherwise outlast the timeout), and a size cap. The transport is a parameter so tests can stand a
local server (or an `httpx.MockTransport`) in for the web. A failed fetch is a `FactsError`;
an HTTP status is a fact, judged by the claim.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

import httpx

from watcher import __version__
from watcher.facts.interface import FactsError, PageFacts
from watcher.github.deadline import DeadlineTransport, within

MAX_BYTES = 5_000_000
MAX_REDIRECTS = 10


def fetch_page(
    url: str,
    phrases: Sequence[str],
    *,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> PageFacts:
    """GET `url` (redirects followed) and report which `phrases` the body contains."""
    deadline = time.monotonic() + timeout
    try:
        with (
            # The deadline covers connecting and the headers too (a server dripping header
            # lines never trips a per-read timeout), not only the body read below.
            within(timeout),
            httpx.Client(
                transport=transport if transport is not None else DeadlineTransport(),
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"User-Agent": f"watcher/{__version__} (knowledge card checker)"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            body, truncated = _read(response, deadline, timeout)
            final = str(response.url)
            status = response.status_code
            encoding = response.encoding or "utf-8"
    except httpx.TimeoutException:
        raise FactsError(f"{url}: no answer within {timeout:g}s (timed out)") from None
    except httpx.TooManyRedirects:
        raise FactsError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FactsError(f"{url}: could not fetch ({type(exc).__name__}: {exc})") from None
    text = body.decode(encoding, errors="replace") if status == 200 else ""
    readable = html.unescape(text)
    found = tuple(p for p in phrases if p in text or p in readable)
    missing = tuple(p for p in phrases if p not in found)
    return PageFacts(url, status, found, missing, final, truncated)


def _read(response: httpx.Response, deadline: float, timeout: float) -> tuple[bytes, bool]:
    """The body (only of a 200), up to MAX_BYTES, within the overall deadline."""
    if response.status_code != 200:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout(f"body not complete within {timeout:g}s")
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BYTES:
            return b"".join(chunks)[:MAX_BYTES], True
    return b"".join(chunks), False
