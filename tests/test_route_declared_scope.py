"""`route-declared`'s `scope`: where its "also registered in" note looks (issue 13: on
proxy_server.py the default, all of litellm/proxy, read hundreds of files for a note)."""

from __future__ import annotations

from claim_support import claim, judge
from support import PROXY_SERVER, fixture_text

from watcher.claims.common import default_scope

SOURCE = f"https://github.com/BerriAI/litellm/blob/main/{PROXY_SERVER}"
ROUTE = {"path": "/v1/chat/completions", "methods": ["POST"], "mechanism": "any"}


def test_by_default_the_note_scans_the_cited_files_package() -> None:
    extractors = [(r.extractor, dict(r.params).get("scope")) for r in claim(
        "route-declared", SOURCE, **ROUTE).requests()]  # fmt: skip
    assert extractors == [("routes", None), ("routes-scope", default_scope(PROXY_SERVER)[0])]
    assert default_scope(PROXY_SERVER) == ("litellm/proxy/**/*.py",)


def test_an_empty_scope_asks_for_the_cited_file_only() -> None:
    requests = claim("route-declared", SOURCE, scope=[], **ROUTE).requests()
    assert [r.extractor for r in requests] == ["routes"]


def test_a_scope_narrows_the_note_to_its_globs() -> None:
    globs = ["litellm/proxy/proxy_server.py", "litellm/proxy/openai_endpoints/*.py"]
    requests = claim("route-declared", SOURCE, scope=globs, **ROUTE).requests()
    assert dict(requests[1].params)["scope"] == "\n".join(globs)


def test_without_the_scan_the_claim_still_judges_its_route() -> None:
    verdict = judge(
        claim("route-declared", SOURCE, scope=[], **ROUTE), fixture_text("proxy_server.py")
    )
    assert verdict.status == "pass", verdict.message
    assert (
        verdict.message
        == "/v1/chat/completions [POST] -> chat_completion, decorator user_api_key_auth"
    )
