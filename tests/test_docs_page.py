"""The Official docs row: a real HTTP server on 127.0.0.1 stands in for docs.litellm.ai.

200 and the phrase: pass. 200 without it: drift. 404/410: drift (the page is gone). Other
statuses, timeouts and network failures: error. Redirects are followed.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from claim_support import claim
from support import DOCS_CLAIMS, DOCS_PATH, DocsServer, Page, Project

from watcher.actions.issue_text import UpstreamAt
from watcher.claims import ClaimKind, Evidence, Extracted, Verdict
from watcher.config import ConfigError
from watcher.facts import FactsError, PageFacts
from watcher.facts.web import fetch_page

ROW = "https://docs.litellm.ai/docs/proxy/custom_auth"


def docs_claim(url: str, timeout: int = 5) -> ClaimKind:
    return claim("docs-page", ROW, url=url, mentions=["custom_auth"], timeout=timeout)


def check(url: str, timeout: float = 5.0) -> Verdict:
    """What the orchestrator does for a probe request, then the claim's judgement."""
    kind = docs_claim(url)
    (request,) = kind.requests()
    try:
        extracted = Extracted(fetch_page(url, ["custom_auth"], timeout=timeout))
    except FactsError as exc:
        extracted = Extracted(None, str(exc))
    return kind.evaluate({request: extracted}, None, None)  # type: ignore[arg-type]


def test_page_that_mentions_custom_auth_passes(docs: DocsServer) -> None:
    verdict = check(docs.url())
    assert verdict.status == "pass"
    assert verdict.message == f"{docs.url()} answers 200 and mentions custom_auth"
    assert docs.hits == [DOCS_PATH]


def test_page_without_the_phrase_is_drift(docs: DocsServer) -> None:
    docs.pages[DOCS_PATH] = Page(body="<p>Custom authentication moved to the auth page.</p>")
    verdict = check(docs.url())
    assert verdict.status == "drift"
    assert "no longer mentions custom_auth" in verdict.message


def test_html_escaped_phrase_still_counts(docs: DocsServer) -> None:
    docs.pages[DOCS_PATH] = Page(body="<code>custom&#95;auth</code>")
    assert check(docs.url()).status == "pass"


@pytest.mark.parametrize("status", [404, 410])
def test_page_gone_is_drift(docs: DocsServer, status: int) -> None:
    docs.pages[DOCS_PATH] = Page(status=status, body="custom_auth was here")
    verdict = check(docs.url())
    assert verdict.status == "drift"
    assert verdict.message == f"{docs.url()} is gone: HTTP {status}"


@pytest.mark.parametrize("status", [403, 429, 500, 503])
def test_other_statuses_say_nothing_about_the_page(docs: DocsServer, status: int) -> None:
    docs.pages[DOCS_PATH] = Page(status=status, body="custom_auth")
    verdict = check(docs.url())
    assert verdict.status == "error"
    assert f"HTTP {status}; cannot tell what the page says" in verdict.message


def test_redirect_is_followed_and_reported(docs: DocsServer) -> None:
    docs.pages["/old"] = Page(status=301, body="", headers={"Location": DOCS_PATH})
    verdict = check(docs.url("/old"))
    assert verdict.status == "pass"
    assert f"(redirected to {docs.url()})" in verdict.message
    assert docs.hits == ["/old", DOCS_PATH]
    assert verdict.evidence[0].path == docs.url()


def test_redirect_loop_is_an_error(docs: DocsServer) -> None:
    docs.pages["/loop"] = Page(status=302, body="", headers={"Location": "/loop"})
    verdict = check(docs.url("/loop"))
    assert verdict.status == "error"
    assert "more than 10 redirects" in verdict.message


def test_timeout_is_an_error(docs: DocsServer) -> None:
    docs.pages[DOCS_PATH] = Page(delay=1.0)
    verdict = check(docs.url(), timeout=0.2)
    assert verdict.status == "error"
    assert "timed out" in verdict.message


def test_connection_refused_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    verdict = check(f"http://127.0.0.1:{port}/docs")
    assert verdict.status == "error"
    assert "could not fetch (ConnectError" in verdict.message


def test_transport_seam_serves_unit_tests_without_sockets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["user-agent"].startswith("watcher/")
        return httpx.Response(200, text="general_settings: custom_auth: mymodule.fn")

    page = fetch_page(
        "https://docs.example/custom_auth",
        ["custom_auth", "mode"],
        transport=httpx.MockTransport(handler),
    )
    assert page == PageFacts("https://docs.example/custom_auth", 200, ("custom_auth",), ("mode",))


@pytest.mark.parametrize(
    ("params", "says"),
    [
        (
            {"url": "ftp://docs.example/x", "mentions": ["custom_auth"]},
            "claims[0].url: 'ftp://docs.example/x' is not an http(s) URL",
        ),
        ({"mentions": []}, "claims[0].mentions: list at least one non-empty phrase"),
        (
            {"mentions": ["custom_auth"], "timeout": 0},
            "claims[0].timeout: must be at least 1 second",
        ),
        ({"mentions": "custom_auth"}, "claims[0].mentions: expected a list of strings, got str"),
    ],
)
def test_bad_parameters_are_refused_with_breadcrumbs(params: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        claim("docs-page", ROW, **params)
    assert str(caught.value) == says


def test_verify_end_to_end_docs_page_changes(project: Project, docs: DocsServer) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    card = project.card.read_bytes()
    docs.pages[DOCS_PATH] = Page(body="<p>Authentication</p>")
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 1, result.err
    report = json.loads(result.out)
    docs_claim_report = next(c for c in report["claims"] if c["id"] == "custom-auth-docs-page")
    assert docs_claim_report["status"] == "drift"
    assert docs_claim_report["evidence"][0]["permalink"] == docs.url()
    assert project.card.read_bytes() != card
    dates = project.row_dates()  # only the drifted page's row keeps its date
    assert dates.pop("docs") == "2026-11-27"
    assert set(dates.values()) == {"2026-11-28"}


def test_verify_end_to_end_docs_server_down_is_an_error(project: Project, docs: DocsServer) -> None:
    docs.close()
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    assert result.code == 2
    errors = {
        c["id"]: c["message"] for c in json.loads(result.out)["claims"] if c["status"] == "error"
    }
    assert set(errors) == set(DOCS_CLAIMS)
    assert "could not fetch" in errors["custom-auth-docs-page"]


def test_url_evidence_links_to_itself_in_reports_and_issues() -> None:
    evidence = Evidence("https://docs.litellm.ai/docs/proxy/custom_auth", 0, "HTTP 200")
    at = UpstreamAt(
        "https://github.com/BerriAI/litellm.git",
        "main",
        "a" * 40,
        "https://github.com/BerriAI/litellm",
    )
    assert at.permalink(evidence) == evidence.path
    assert at.permalink(Evidence("litellm/x.py", 3, "n")) == (
        f"https://github.com/BerriAI/litellm/blob/{'a' * 40}/litellm/x.py#L3"
    )
