"""The Hook Coverage table's middleware row through `watcher verify`, on a real git upstream.

The test upstream's proxy_server.py (a stand-in we wrote) creates the app, adds a middleware and
includes the routers of `/v1/chat/completions` (its own), `/anthropic/...` and `/v1/messages`.
Taking one include away must drift exactly the claim about that route, naming what is missing.
"""

from __future__ import annotations

import json
from typing import Any

from support import MESSAGES, PROXY_SERVER, Project

INCLUDED = {
    "chat-completions-served-by-app": "/v1/chat/completions",
    "messages-endpoint-served-by-app": "/v1/messages",
    "anthropic-passthrough-served-by-app": "/anthropic/{endpoint:path}",
}


def verify(project: Project, day: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = project.run("verify", "--today", day, "--json", "-")
    report = json.loads(result.out)
    return result.code, {claim["id"]: claim for claim in report["claims"]}


def test_every_route_of_the_table_is_served_by_the_app(project: Project) -> None:
    code, claims = verify(project, "2026-11-27")
    assert code == 0, {k: v["message"] for k, v in claims.items() if v["status"] != "pass"}
    chat = claims["chat-completions-served-by-app"]
    assert chat["message"] == (
        f"/v1/chat/completions: `router` of {PROXY_SERVER} is included into `app` at "
        f"{PROXY_SERVER}:117; app-level middleware: fastapi.middleware.cors.CORSMiddleware"
    )
    messages = claims["messages-endpoint-served-by-app"]
    assert messages["message"].startswith(
        f"/v1/messages: `router` of {MESSAGES} is included into `app` (as anthropic_router) at "
        f"{PROXY_SERVER}:119"
    )
    assert [(e["path"], e["line"]) for e in messages["evidence"]] == [
        (MESSAGES, 15),
        (PROXY_SERVER, 119),
        (PROXY_SERVER, 85),
    ]
    for claim in ("chat-completions-authenticated", "chat-completions-runs-pre-call-hook"):
        assert claims[claim]["status"] == "pass", claims[claim]["message"]


def test_removing_an_include_drifts_exactly_that_route_and_names_the_statement(
    project: Project,
) -> None:
    code, before = verify(project, "2026-11-27")
    assert code == 0
    text = project.upstream.read(PROXY_SERVER)
    assert "app.include_router(anthropic_router)\n" in text
    project.upstream.commit(
        {PROXY_SERVER: text.replace("app.include_router(anthropic_router)\n", "")},
        "stop serving the beta /v1/messages",
    )
    code, after = verify(project, "2026-11-28")
    assert code == 1
    changed = {cid for cid in after if after[cid]["status"] != before[cid]["status"]}
    assert changed == {"messages-endpoint-served-by-app"}
    drift = after["messages-endpoint-served-by-app"]
    assert drift["status"] == "drift"
    assert drift["message"] == (
        f"/v1/messages is registered on `router` in {MESSAGES}, which {PROXY_SERVER} never "
        "includes into `app` (it imports it as anthropic_router; no "
        "`app.include_router(anthropic_router)` runs): app-level middleware does not wrap it"
    )
    assert drift["diff"] == [
        'registrations[0].how: "included" -> "never included"',
        "registrations[0].included: true -> false",
    ]


def test_reformatting_the_app_file_changes_nothing(project: Project) -> None:
    code, _ = verify(project, "2026-11-27")
    assert code == 0
    text = project.upstream.read(PROXY_SERVER)
    reformatted = text.replace(
        "app.include_router(router)\n",
        "# the proxy's own routes\napp.include_router(\n    router,\n)\n",
    ).replace("from fastapi.middleware.cors import CORSMiddleware\n", "")
    reformatted = reformatted.replace(
        "import litellm\n", "import litellm\nfrom fastapi.middleware.cors import CORSMiddleware\n"
    )
    project.upstream.commit({PROXY_SERVER: reformatted}, "style")
    code, claims = verify(project, "2026-11-28")
    assert code == 0
    for claim in INCLUDED:
        assert claims[claim]["status"] == "pass"
        assert claims[claim]["diff"] == [], claims[claim]["diff"]
    assert f"{PROXY_SERVER}:118" in claims["chat-completions-served-by-app"]["message"]


def test_all_nine_hook_coverage_cells_are_machine_checked(project: Project) -> None:
    result = project.run("coverage", "--json", "-")
    assert result.code == 0, result.err
    cells = [
        e
        for e in json.loads(result.out)["coverage"]
        if e["kind"] == "statement" and e["table"] == "Hook Coverage"
    ]
    assert len(cells) == 9
    unchecked = [(e["row"], e["column"]) for e in cells if not e["machine_checked"]]
    assert unchecked == []
    middleware = {
        e["column"]: [c["id"] for c in e["claims"]]
        for e in cells
        if e["row"] == "FastAPI BaseHTTPMiddleware"
    }
    assert middleware == {
        "/v1/chat/completions": ["chat-completions-served-by-app"],
        "/v1/messages (beta)": ["messages-endpoint-served-by-app"],
        "/anthropic/v1/messages (passthrough)": ["anthropic-passthrough-served-by-app"],
    }
