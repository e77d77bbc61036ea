"""`router-included`: each fixture directory is a small upstream tree (files we wrote) and what the
claim must conclude there: the facts, the verdict, its message and the lines it cites.

The tree is read through `SourceTree` (the seam the orchestrator's RunTree implements) from disk;
the parsing, the extraction and the verdict are watcher's own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from claim_support import claim
from support import FIXTURES, FixtureTree

from watcher.claims import Extracted, Verdict
from watcher.facts import EXTRACTORS, FactsError, to_json

INCLUSION = FIXTURES / "inclusion"
CASES = sorted(p.name for p in INCLUSION.iterdir() if (p / "expected.json").is_file())
MESSAGES = "litellm/proxy/anthropic_endpoints/endpoints.py"
APP_FILE = "litellm/proxy/proxy_server.py"


def judge(
    root: Path, file: str, route: str, overrides: dict[str, str] | None = None, **params: str
) -> tuple[object, Verdict]:
    """Extract the claim's facts from the tree at `root` and evaluate them, as a run does."""
    tree = FixtureTree(root, overrides)
    kind = claim("router-included", f"https://github.com/BerriAI/litellm/blob/main/{file}",
                 route=route, **params)  # fmt: skip
    (request,) = kind.requests()
    parsed = tree.modules([request.path])[request.path]
    assert not isinstance(parsed, str), parsed
    try:
        facts: object = EXTRACTORS[request.extractor](parsed, dict(request.params), tree)
        extracted = Extracted(facts, None, "blob")
    except FactsError as exc:
        facts, extracted = None, Extracted(None, str(exc))
    return facts, kind.evaluate({request: extracted}, None, tree)


@pytest.mark.parametrize("case", CASES)
def test_fixture_gives_the_expected_facts_and_verdict(case: str) -> None:
    expected: dict[str, Any] = json.loads((INCLUSION / case / "expected.json").read_text())
    facts, verdict = judge(INCLUSION / case, expected["file"], expected["route"])
    assert to_json(facts) == expected["facts"]
    assert verdict.status == expected["status"]
    assert verdict.message == expected["message"]
    assert [[e.path, e.line] for e in verdict.evidence] == expected["evidence"]


def test_cases_cover_what_the_issue_asks_for() -> None:
    assert {
        "alias_import",  # `from m import router as x_router` then `app.include_router(x_router)`
        "helper_function",  # in a helper handed the app, router imported inside it
        "on_app",  # `@app.post(...)`: served without any include
        "never_included",  # drift
        "uncalled_helper",  # an include nothing runs: drift, not a pass
        "unresolved_loop",  # an include we cannot resolve: error, not drift
        "lazy_feature",  # the app handed to code that may include routers later: error
        "moved_route",  # the route left the claim's file: found where it went
        "included_elsewhere",  # its file's router is not included, another module's is: pass
    } <= set(CASES)


def test_formatting_and_comments_do_not_change_the_facts() -> None:
    root = INCLUSION / "alias_import"
    text = (root / APP_FILE).read_text()
    reformatted = text.replace(
        "app.include_router(anthropic_router)",
        "# the anthropic routes\napp.include_router(\n    anthropic_router,  # beta\n)",
    ).replace('"http"', "'http'")
    before, _ = judge(root, MESSAGES, "/v1/messages")
    after, verdict = judge(root, MESSAGES, "/v1/messages", {APP_FILE: "\n\n" + reformatted})
    assert to_json(after) == to_json(before)
    assert verdict.status == "pass"
    assert verdict.evidence[1].line == 26  # the evidence follows the include where it is now


def test_a_missing_app_file_is_an_error_never_a_pass() -> None:
    facts, verdict = judge(
        INCLUSION / "alias_import", MESSAGES, "/v1/messages", app_file="litellm/proxy/app.py"
    )
    assert facts is None
    assert verdict.status == "error"
    assert "litellm/proxy/app.py (the app file) could not be read: missing" in verdict.message


def test_an_app_file_that_does_not_parse_is_an_error() -> None:
    root = INCLUSION / "alias_import"
    broken = (root / APP_FILE).read_text() + "\ndef (:\n"
    _, verdict = judge(root, MESSAGES, "/v1/messages", {APP_FILE: broken})
    assert verdict.status == "error"
    assert "the app file" in verdict.message


def test_an_app_file_without_the_app_is_an_error() -> None:
    _, verdict = judge(INCLUSION / "alias_import", MESSAGES, "/v1/messages", app="application")
    assert verdict.status == "error"
    assert verdict.message.startswith(f"{APP_FILE}: binds no `application`")


def test_a_route_registered_nowhere_is_an_error() -> None:
    _, verdict = judge(INCLUSION / "alias_import", MESSAGES, "/v1/nothing")
    assert verdict.status == "error"
    assert "/v1/nothing is registered neither here nor elsewhere" in verdict.message
