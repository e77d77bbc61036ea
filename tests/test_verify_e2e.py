"""`watcher verify` end to end: a real upstream over file://, the real card, the real config."""

from __future__ import annotations

import json
import re

from support import (
    AUTH,
    CARD_ID,
    HELPERS,
    MACHINERY,
    MESSAGES,
    PASSTHROUGH,
    PROXY_SERVER,
    ROWS,
    Project,
    git,
)

TODAY = "2026-11-27"
ROW_LLM = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
ROW_AUTH = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/auth/user_api_key_auth.py"
ROW_MESSAGES = (
    "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/anthropic_endpoints/endpoints.py"
)
ROW_PROXY = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/proxy_server.py"
ROW_DOCS = "https://docs.litellm.ai/docs/proxy/custom_auth"
ALL_ROWS = [ROW_DOCS, ROW_LLM, ROW_AUTH, ROW_MESSAGES, ROW_PROXY]


def expected_card(before: str, rows: list[str], date: str) -> str:
    """The card with exactly these rows' Last Verified cells set to `date`."""
    out = before
    for row in rows:
        out, count = re.subn(
            rf"(\| {re.escape(row)} \| [^|]+ \| )\d{{4}}-\d{{2}}-\d{{2}}( \|)",
            rf"\g<1>{date}\2",
            out,
        )
        assert count == 1
    return out


def test_verify_passes_and_moves_exactly_the_bound_dates(project: Project) -> None:
    before = project.card.read_bytes()
    result = project.run("verify", "--today", TODAY)
    assert result.code == 0, result.err
    assert re.search(
        r"PASS\s+passthrough-routes-authenticated\s+8 routes in 1 file\(s\), all reach user_api_key_auth",
        result.out,
    )
    assert re.search(r"PASS\s+anthropic-passthrough-route", result.out)
    assert re.search(r"PASS\s+custom-auth-dispatch-order\s+enterprise_custom_auth", result.out)
    assert re.search(
        r"PASS\s+custom-auth-loaded-from-config\s+user_custom_auth = get_instance_fn", result.out
    )
    assert re.search(r"PASS\s+messages-endpoint-authenticated\s+/v1/messages \[POST\]", result.out)
    assert re.search(r"PASS\s+passthrough-skips-pre-call-hook\s+no call path", result.out)
    assert re.search(
        r"PASS\s+custom-auth-docs-page\s+http://127.0.0.1:\d+/docs/proxy/custom_auth answers 200",
        result.out,
    )
    after = project.card.read_bytes()
    assert after == expected_card(before.decode(), ALL_ROWS, TODAY).encode()
    assert "not machine-checked (no claim)" not in result.out  # every Sources row has a claim
    snapshot = json.loads(project.snapshot.read_text())
    assert snapshot["verified_on"] == TODAY
    assert snapshot["upstream"]["commit"] == git(project.upstream.path, "rev-parse", "HEAD")
    # Every file read, the modules the call-path search followed calls into included.
    assert set(snapshot["blobs"]) == {
        PASSTHROUGH,
        AUTH,
        MACHINERY,
        MESSAGES,
        PROXY_SERVER,
        *HELPERS,
    }
    assert [b["call"] for b in snapshot["claims"]["custom-auth-dispatch-order"]["branches"]] == [
        "enterprise_custom_auth",
        "user_custom_auth",
    ]


def test_json_report_shape_on_stdout_only(project: Project) -> None:
    result = project.run("verify", "--today", TODAY, "--json", "-")
    assert result.code == 0
    report = json.loads(result.out)  # stdout holds the JSON document and nothing else
    assert report["status"] == "verified"
    assert report["upstream"]["url"] == project.upstream.url
    assert report["upstream"]["ref"] == "main"
    assert re.fullmatch(r"[0-9a-f]{40}", report["upstream"]["commit"])
    claims = {c["id"]: c for c in report["claims"]}
    assert set(claims) == {
        "passthrough-routes-authenticated",
        "anthropic-passthrough-route",
        "custom-auth-dispatch-order",
        "custom-auth-loaded-from-config",
        "messages-endpoint-authenticated",
        "passthrough-skips-pre-call-hook",
        "messages-endpoint-runs-pre-call-hook",
        "chat-completions-authenticated",
        "chat-completions-runs-pre-call-hook",
        "chat-completions-served-by-app",
        "messages-endpoint-served-by-app",
        "anthropic-passthrough-served-by-app",
        "custom-auth-docs-page",
        "card-references",  # built from the card itself
        "anthropic-passthrough-docs-page",
        "pass-through-endpoints-docs-page",
        "config-settings-docs-page",
        "passthrough-routes-source-file",
        "user-api-key-auth-source-file",
    }
    for claim in claims.values():
        assert claim["card"] == CARD_ID and claim["status"] == "pass" and claim["message"]
        assert set(claim) >= {"card", "id", "source", "status", "message", "evidence"}
    link = claims["anthropic-passthrough-route"]["evidence"][0]["permalink"]
    commit = report["upstream"]["commit"]
    assert link == f"https://github.com/BerriAI/litellm/blob/{commit}/{PASSTHROUGH}#L65"
    assert "PASS" in result.err  # the human summary went to stderr


def test_dropping_an_auth_dependency_is_drift_and_holds_back_its_row_only(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    card, snapshot = project.card.read_bytes(), project.snapshot.read_bytes()
    text = project.upstream.read(PASSTHROUGH)
    cohere = text.index("async def cohere_proxy_route(")
    head, tail = text[:cohere], text[cohere:]
    tail = tail.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    project.upstream.commit(
        {PASSTHROUGH: head + tail.replace("user_api_key_dict)", "None)", 1)}, "drop auth"
    )
    result = project.run("verify", "--today", "2026-12-01", "--json", "-")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["status"] == "drift"
    routes = next(c for c in report["claims"] if c["id"] == "passthrough-routes-authenticated")
    assert routes["status"] == "drift"
    assert f"/cohere/{{endpoint:path}} in {PASSTHROUGH}:50 (none)" in routes["message"]
    assert routes["evidence"][0]["line"] == 50
    # The drifted claim's row keeps its date; rows whose claims all passed are dated.
    assert project.card.read_bytes() != card
    dates = project.row_dates()
    assert dates.pop("passthrough") == TODAY
    assert set(dates.values()) == {"2026-12-01"}
    assert report["cards"][0]["not_dated"] == [
        {"source": ROWS["passthrough"], "reason": "passthrough-routes-authenticated drifted"}
    ]
    # The snapshot keeps the drifted claim's accepted baseline (and the commit it was taken at).
    before, after = json.loads(snapshot), json.loads(project.snapshot.read_bytes())
    assert after["claims"] == before["claims"]  # the claims that passed have the same facts
    assert after["upstream"] == before["upstream"]


def test_reordering_the_dispatch_is_drift_and_holds_back_its_row_only(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    card, snapshot = project.card.read_bytes(), project.snapshot.read_bytes()
    text = project.upstream.read(AUTH)
    enterprise = text[
        text.index("        if enterprise_custom_auth is not None:") : text.index(
            "        elif user_custom_auth is not None:"
        )
    ]
    user = text[
        text.index("        elif user_custom_auth is not None:") : text.index(
            "        ### LITELLM-DEFINED"
        )
    ]
    swapped = user.replace("elif", "if", 1) + enterprise.replace("if", "elif", 1) + "\n"
    project.upstream.commit({AUTH: text.replace(enterprise + user, swapped)}, "reorder dispatch")
    result = project.run("verify", "--today", "2026-12-01")
    assert result.code == 1, result.out + result.err
    assert re.search(
        r"DRIFT\s+custom-auth-dispatch-order\s+branch order is user_custom_auth -> enterprise_custom_auth",
        result.out,
    )
    assert (
        f"  held   {ROWS['auth']}: not dated (custom-auth-dispatch-order drifted)\n" in result.out
    )
    assert project.row_dates()["auth"] == TODAY
    assert project.row_dates()["passthrough"] == "2026-12-01"
    # The accepted dispatch stays the baseline until a person accepts the new one.
    before, after = json.loads(snapshot), json.loads(project.snapshot.read_bytes())
    assert (
        after["claims"]["custom-auth-dispatch-order"]
        == before["claims"]["custom-auth-dispatch-order"]
    )
    assert project.card.read_bytes() != card


def test_comments_formatting_and_a_move_into_a_helper_are_not_drift(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    text = project.upstream.read(AUTH)
    text = text.replace(
        "if enterprise_custom_auth is not None:",
        "if (enterprise_custom_auth is not None):  # type: ignore",
    )
    text = text.replace(
        "response = await user_custom_auth(request=request, api_key=api_key)",
        "resp = await user_custom_auth(\n                api_key=api_key,\n                request=request,\n            )",
    )
    text = text.replace(
        "return UserAPIKeyAuth.model_validate(response)\n\n        ###",
        "return UserAPIKeyAuth.model_validate(resp)\n\n        ###",
    )
    # Move the builder's body one helper deeper, as upstream did in 2025-01.
    text = text.replace(
        "    return await _user_api_key_auth_builder(", "    return await _auth_entry("
    )
    text += "\n\nasync def _auth_entry(**kwargs):\n    return await _user_api_key_auth_builder(**kwargs)\n"
    project.upstream.commit({AUTH: text}, "refactor without behaviour change")
    result = project.run("verify", "--today", "2026-12-01")
    assert result.code == 0, result.out + result.err
    assert "matches the accepted baseline" in result.out


def test_dry_run_writes_nothing_and_says_what_it_would_do(project: Project) -> None:
    before = project.card.read_bytes()
    result = project.run("verify", "--today", TODAY, "--dry-run")
    assert result.code == 0
    assert "dry run: would move 5 date(s)" in result.out
    assert project.card.read_bytes() == before
    assert not project.snapshot.exists()


def test_console_script_runs_as_a_user_would(project: Project) -> None:
    result = project.run_process("verify", "--today", TODAY, "--json", "-")
    assert result.code == 0, result.err
    assert json.loads(result.out)["status"] == "verified"


def test_messages_endpoint_losing_its_auth_is_drift(project: Project) -> None:
    text = project.upstream.read(MESSAGES)
    text = text.replace("    dependencies=[Depends(user_api_key_auth)],\n", "", 1)
    text = text.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    text = text.replace("user_api_key_dict=user_api_key_dict,", "user_api_key_dict=None,", 1)
    project.upstream.commit({MESSAGES: text}, "drop auth from /v1/messages")
    result = project.run("verify", "--today", TODAY, "--json", "-")
    assert result.code == 1
    claim = next(
        c for c in json.loads(result.out)["claims"] if c["id"] == "messages-endpoint-authenticated"
    )
    assert claim["status"] == "drift"
    assert (
        claim["message"] == "/v1/messages: /v1/messages (anthropic_response) has no authentication"
    )


def test_messages_endpoint_with_auth_on_the_decorator_only_still_passes(project: Project) -> None:
    text = project.upstream.read(MESSAGES)
    text = text.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    text = text.replace("user_api_key_dict=user_api_key_dict,", "user_api_key_dict=None,", 1)
    project.upstream.commit({MESSAGES: text}, "auth only on the decorator")
    result = project.run("verify", "--today", TODAY)
    assert result.code == 0, result.out
    assert re.search(
        r"PASS\s+messages-endpoint-authenticated\s+/v1/messages \[POST\] -> anthropic_response, decorator user_api_key_auth",
        result.out,
    )


def test_hostile_route_paths_cannot_fake_console_lines(project: Project) -> None:
    evil = "/x\\n  PASS   passthrough-routes-authenticated  all good\\x1b[2J\\u202e/{p:path}"
    text = project.upstream.read(PASSTHROUGH)
    text += f'\n\n@router.api_route("{evil}", methods=["GET"])\nasync def evil_route(request: Request):\n    return None\n'
    project.upstream.commit({PASSTHROUGH: text}, "hostile route")
    result = project.run("verify", "--today", TODAY)
    assert result.code == 1
    lines = result.out.splitlines()
    assert not any(line.startswith("  PASS   passthrough-routes-authenticated") for line in lines)
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert (
        "/x\\n  PASS   passthrough-routes-authenticated  all good\\x1b[2J\\u202e/{p:path}"
        in result.out
    )
