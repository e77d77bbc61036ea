"""Claim kind `docs-page`: a cited web page still answers and still mentions what the card uses.

Judging the HTTP status: 200 with every phrase is a pass; 200 without one is drift (the page no
longer says it). 404 and 410 are drift too: the server answered, and what it said is that the
page the card cites is gone, which a human must fix in the card. Any other status (403, 429,
5xx, an unfollowed 3xx) and any network failure or timeout say nothing about the page: error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from watcher.claims.interface import (
    JSON,
    ClaimConfigError,
    ClaimKind,
    Drift,
    Error,
    Evidence,
    Extracted,
    FactRequest,
    Param,
    Pass,
    Verdict,
)
from watcher.config import ClaimConfig
from watcher.facts import PageFacts, SourceTree, to_json

GONE = {404, 410}


class DocsPage(ClaimKind):
    """A cited web page answers 200 (redirects followed) and mentions the stated phrases."""

    kind: ClassVar[str] = "docs-page"
    params: ClassVar[Mapping[str, Param]] = {
        "url": Param(str, "where to fetch the page (default: the source URL)"),
        "mentions": Param(list, "phrases the page must contain, e.g. 'custom_auth'", required=True),
        "timeout": Param(int, "seconds before the fetch counts as failed", 20),
    }

    def __init__(self, config: ClaimConfig, values: Mapping[str, Any]) -> None:
        super().__init__(config, values)
        key = "url" if values.get("url") else "source"
        if urlsplit(self.url).scheme not in {"http", "https"} or not urlsplit(self.url).netloc:
            raise ClaimConfigError(f"{config.where}.{key}: {self.url!r} is not an http(s) URL")
        if not values["mentions"] or any(not phrase for phrase in values["mentions"]):
            raise ClaimConfigError(f"{config.where}.mentions: list at least one non-empty phrase")
        if values["timeout"] < 1:
            raise ClaimConfigError(f"{config.where}.timeout: must be at least 1 second")

    @property
    def url(self) -> str:
        return str(self.values.get("url") or self.config.source)

    def request(self) -> FactRequest:
        return FactRequest(
            "web-page",
            self.url,
            (
                ("url", self.url),
                ("mentions", "\n".join(self.values["mentions"])),
                ("timeout", str(self.values["timeout"])),
            ),
        )

    def requests(self) -> tuple[FactRequest, ...]:
        return (self.request(),)

    def record(self, facts: Mapping[FactRequest, Extracted]) -> JSON | None:
        page = facts[self.request()].facts
        return to_json(page) if isinstance(page, PageFacts) else None

    def evaluate(
        self, facts: Mapping[FactRequest, Extracted], baseline: JSON | None, tree: SourceTree
    ) -> Verdict:
        extracted = facts[self.request()]
        page = extracted.facts
        if not isinstance(page, PageFacts):
            return Error(extracted.error or f"{self.url}: no facts")
        moved = f" (redirected to {page.final_url})" if page.final_url not in ("", page.url) else ""
        evidence = (Evidence(page.final_url or page.url, 0, f"HTTP {page.status}{moved}"),)
        if page.status in GONE:
            return Drift(f"{page.url} is gone: HTTP {page.status}{moved}", evidence)
        if page.status != 200:
            return Error(f"{page.url}: HTTP {page.status}{moved}; cannot tell what the page says")
        mentions = ", ".join(page.mentions)
        if page.missing:
            note = " (only the first 5 MB were read)" if page.truncated else ""
            return Drift(
                f"{page.url} no longer mentions {', '.join(page.missing)}{moved}{note}", evidence
            )
        return Pass(f"{page.url} answers 200 and mentions {mentions}{moved}", evidence)
