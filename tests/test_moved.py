"""When a tracked route or function leaves its file: watcher says where it went, and never passes.

Real upstream repositories built by the tests, served over file://, the real card and config.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import AUTH, PASSTHROUGH, Project

TODAY = "2026-11-27"
LATER = "2026-12-01"
ANTHROPIC_NEW_HOME = "litellm/proxy/pass_through_endpoints/anthropic_passthrough_endpoints.py"
MODULE_HEAD = """from fastapi import APIRouter, Depends, Request, Response

from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth

router = APIRouter()

"""


def split_anthropic(text: str) -> tuple[str, str]:
    """The passthrough module without the /anthropic route, and that route's source."""
    start = text.index('@router.api_route(\n    "/anthropic/{endpoint:path}"')
    end = text.index('@router.api_route(\n    "/assemblyai/')
    return text[:start] + text[end:], text[start:end]


def claims(project: Project) -> tuple[int, dict[str, Any]]:
    result = project.run("verify", "--today", LATER, "--json", "-")
    report = json.loads(result.out)
    return result.code, {claim["id"]: claim for claim in report["claims"]}


def assert_rows_of_failed_claims_held(
    project: Project, found: dict[str, Any], dates: dict[str, str], snapshot: bytes
) -> None:
    project.assert_only_failed_rows_held(list(found.values()), dates, snapshot, LATER)


pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


def test_a_route_moved_to_its_own_module_is_drift_with_the_new_location(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    dates, snapshot = project.row_dates(), project.snapshot.read_bytes()
    remaining, anthropic = split_anthropic(project.upstream.read(PASSTHROUGH))
    project.upstream.commit(
        {PASSTHROUGH: remaining, ANTHROPIC_NEW_HOME: MODULE_HEAD + "\n" + anthropic},
        "move /anthropic into its own module",
    )
    code, found = claims(project)
    assert code == 1
    declared = found["anthropic-passthrough-route"]
    assert declared["status"] == "drift"
    assert (
        f"/anthropic/{{endpoint:path}} moved to {ANTHROPIC_NEW_HOME}, still authenticates via Depends (user_api_key_auth)"
        in declared["message"]
    )
    assert declared["evidence"][0]["path"] == ANTHROPIC_NEW_HOME
    assert declared["evidence"][0]["line"] == 18  # the Depends(user_api_key_auth) line there
    # The security claim is about the package: the route moved within it and still authenticates.
    routes = found["passthrough-routes-authenticated"]
    assert routes["status"] == "pass", routes["message"]
    assert (
        f"/anthropic/{{endpoint:path}} moved from {PASSTHROUGH} to {ANTHROPIC_NEW_HOME}, still authenticates via Depends (user_api_key_auth)"
        in routes["message"]
    )
    assert (
        f"~ route /anthropic/{{endpoint:path}} [DELETE,GET,PATCH,POST,PUT] anthropic_proxy_route: file {PASSTHROUGH} -> {ANTHROPIC_NEW_HOME}"
        in routes["diff"]
    )
    assert found["custom-auth-dispatch-order"]["status"] == "pass"
    # The drifted claim holds back its row (and keeps its baseline); the auth row is dated.
    assert_rows_of_failed_claims_held(project, found, dates, snapshot)
    assert project.row_dates()["auth"] == LATER


def test_a_moved_route_that_lost_its_auth_says_so(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    remaining, anthropic = split_anthropic(project.upstream.read(PASSTHROUGH))
    unauthenticated = anthropic.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", ""
    ).replace("fastapi_response, user_api_key_dict)", "fastapi_response, None)")
    project.upstream.commit(
        {PASSTHROUGH: remaining, ANTHROPIC_NEW_HOME: MODULE_HEAD + "\n" + unauthenticated},
        "move /anthropic and drop its auth",
    )
    code, found = claims(project)
    assert code == 1
    message = found["anthropic-passthrough-route"]["message"]
    assert f"moved to {ANTHROPIC_NEW_HOME}, NOT authenticated" in message
    assert "has no authentication" in message
    routes = found["passthrough-routes-authenticated"]
    assert routes["status"] == "drift"
    assert f"/anthropic/{{endpoint:path}} in {ANTHROPIC_NEW_HOME}:" in routes["message"]
    assert routes["evidence"][0]["path"] == ANTHROPIC_NEW_HOME


def test_a_route_merged_into_a_module_no_name_gives_away_is_still_found(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    remaining, anthropic = split_anthropic(project.upstream.read(PASSTHROUGH))
    elsewhere = "litellm/proxy/provider_routes.py"
    project.upstream.commit(
        {PASSTHROUGH: remaining, elsewhere: MODULE_HEAD + "\n" + anthropic},
        "merge /anthropic into the provider routes",
    )
    code, found = claims(project)
    assert code == 1
    assert (
        f"moved to {elsewhere}, still authenticates via Depends (user_api_key_auth)"
        in (found["anthropic-passthrough-route"]["message"])
    )


def test_a_route_gone_from_everywhere_is_an_error_that_says_what_was_searched(
    project: Project,
) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    dates, snapshot = project.row_dates(), project.snapshot.read_bytes()
    remaining, _ = split_anthropic(project.upstream.read(PASSTHROUGH))
    project.upstream.commit({PASSTHROUGH: remaining}, "remove /anthropic")
    code, found = claims(project)
    assert code == 2
    declared = found["anthropic-passthrough-route"]
    assert declared["status"] == "error"
    assert "/anthropic/{endpoint:path} is not registered in" in declared["message"]
    assert "not found elsewhere (searched" in declared["message"]
    # Every route left in the package still authenticates: the security claim holds, and says
    # which route is gone.
    routes = found["passthrough-routes-authenticated"]
    assert routes["status"] == "pass"
    assert "/anthropic/{endpoint:path} removed from the scope" in routes["message"]
    assert "not found elsewhere" in routes["message"]
    assert_rows_of_failed_claims_held(project, found, dates, snapshot)


def test_the_auth_module_moved_is_drift_with_the_dispatch_found_there(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    moved_to = "litellm/proxy/auth/api_key_auth.py"
    project.upstream.commit(
        {AUTH: None, moved_to: project.upstream.read(AUTH)}, "rename the auth module"
    )
    code, found = claims(project)
    assert code == 1
    dispatch = found["custom-auth-dispatch-order"]
    assert dispatch["status"] == "drift"
    assert f"user_api_key_auth() moved to {moved_to}" in dispatch["message"]
    assert "as accepted" in dispatch["message"]  # same dispatch as the baseline, elsewhere
    assert dispatch["evidence"][0]["path"] == moved_to


def test_the_entry_function_gone_from_everywhere_is_an_error(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    text = project.upstream.read(AUTH).replace(
        "async def user_api_key_auth(", "async def authenticate_request("
    )
    project.upstream.commit({AUTH: text}, "rename the entry function")
    code, found = claims(project)
    assert code == 2
    dispatch = found["custom-auth-dispatch-order"]
    assert dispatch["status"] == "error"
    assert "entry point user_api_key_auth() not found" in dispatch["message"]
    assert "not found elsewhere (searched" in dispatch["message"]


def test_a_history_walk_notes_a_route_gone_from_the_scope_without_searching_the_tree(
    project: Project,
) -> None:
    """At commits older than the baseline most "gone" routes are not born yet: a walk that
    searched the tree at every commit spent minutes parsing candidates. verify still searches."""
    assert project.run("verify", "--today", TODAY).code == 0
    start = json.loads(project.snapshot.read_text(encoding="utf-8"))["upstream"]["commit"]
    remaining, _ = split_anthropic(project.upstream.read(PASSTHROUGH))
    project.upstream.commit({PASSTHROUGH: remaining}, "remove /anthropic")
    walked = project.run("history", "--since", start, "--json", "-")
    assert walked.code == 0, walked.err
    (entry,) = json.loads(walked.out)["cards"][0]["commits"]
    routes = next(c for c in entry["claims"] if c["id"] == "passthrough-routes-authenticated")
    assert (
        "not in the scope: /anthropic/{endpoint:path} (not searched for in a history walk)"
        in routes["message"]
    )
    _, found = claims(project)
    assert "not found elsewhere (searched" in found["passthrough-routes-authenticated"]["message"]
