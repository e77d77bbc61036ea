"""Two generations of upstream: a baseline accepted on the 2025 layout, then litellm's 2026 shape.

In 2026 upstream moved provider routes into modules of their own (`anthropic_passthrough_endpoints.py`
with a `Final` router and a handler that imports the old one inside its body), added routes that
never lived in `llm_passthrough_endpoints.py`, registered configured endpoints from a factory,
and put body-parsing plumbing in front of the custom-auth dispatch. Every claim of the card must
still answer its own question. Real git upstream over file://, the real card and config; the
modules of the second generation are stand-ins we wrote (tests/fixtures/upstream_today).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from support import AUTH, FIXTURES, MACHINERY, PASSTHROUGH, PROXY_SERVER, Project

PACKAGE = "litellm/proxy/pass_through_endpoints"
ANTHROPIC_HOME = f"{PACKAGE}/anthropic_passthrough_endpoints.py"
OPENAI_HOME = f"{PACKAGE}/openai_passthrough_endpoints.py"
FACTORY = f"{PACKAGE}/endpoint_factory.py"
PARSING = "litellm/proxy/common_utils/http_parsing_utils.py"
TODAY = FIXTURES / "upstream_today"
HOOK = (
    "    {var} = await proxy_logging_obj.pre_call_hook(\n"
    '        user_api_key_dict=user_api_key_dict, data={var}, call_type="pass_through_endpoint"\n'
    "    )\n"
)


def today(name: str) -> str:
    return (TODAY / name).read_text(encoding="utf-8")


def without_anthropic_decorator(text: str) -> str:
    """The handler stays in the old module (the new route calls it); its registration goes."""
    decorator = re.search(
        r'@router\.api_route\(\n    "/anthropic/\{endpoint:path\}".*?\)\n', text, re.S
    )
    assert decorator is not None
    return text[: decorator.start()] + text[decorator.end() :]


def with_hooks(text: str) -> str:
    """Both forwarding paths run the pre-call hook, as upstream's do."""
    text = text.replace(
        "    ### CALL HOOKS ###\n", "    ### CALL HOOKS ###\n" + HOOK.format(var="_parsed_body")
    )
    return text.replace(
        "    ### ADAPTER HOOKS ###\n",
        "    ### ADAPTER HOOKS ###\n"
        "    from litellm.proxy.proxy_server import proxy_logging_obj\n\n"
        + HOOK.format(var="data"),
    )


def serving_new_routers(text: str) -> str:
    """proxy_server.py includes the new provider routers before the old one, as upstream did."""
    text = text.replace(
        "from litellm.proxy.types_utils.utils import",
        "from litellm.proxy.pass_through_endpoints.anthropic_passthrough_endpoints import (\n"
        "    router as anthropic_passthrough_router,\n)\n"
        "from litellm.proxy.pass_through_endpoints.openai_passthrough_endpoints import (\n"
        "    router as openai_passthrough_router,\n)\n"
        "from litellm.proxy.types_utils.utils import",
    )
    return text.replace(
        "app.include_router(llm_passthrough_router)\n",
        "app.include_router(openai_passthrough_router)\n"
        "app.include_router(anthropic_passthrough_router)\n"
        "app.include_router(llm_passthrough_router)\n",
    )


def second_generation(project: Project) -> str:
    upstream = project.upstream
    return upstream.commit(
        {
            PASSTHROUGH: without_anthropic_decorator(upstream.read(PASSTHROUGH)),
            ANTHROPIC_HOME: today("anthropic_passthrough_endpoints.py"),
            OPENAI_HOME: today("openai_passthrough_endpoints.py"),
            f"{PACKAGE}/common_utils.py": today("common_utils.py"),
            FACTORY: today("endpoint_factory.py"),
            AUTH: today("user_api_key_auth.py"),
            PARSING: today("http_parsing_utils.py"),
            MACHINERY: with_hooks(upstream.read(MACHINERY)),
            PROXY_SERVER: serving_new_routers(upstream.read(PROXY_SERVER)),
        },
        "2026 layout: provider routes in their own modules",
    )


def verify(project: Project) -> tuple[int, dict[str, dict[str, Any]]]:
    result = project.run("verify", "--today", "2026-12-02", "--json", "-")
    report = json.loads(result.out)
    return result.code, {claim["id"]: claim for claim in report["claims"]}


def accepted_first_generation(project: Project) -> None:
    result = project.run("accept")
    assert result.code == 0, result.err
    code, claims = verify(project)
    assert code == 0, {k: v["message"] for k, v in claims.items()}


def test_the_second_generation_gets_every_verdict_right(project: Project) -> None:
    accepted_first_generation(project)
    dates, snapshot = project.row_dates(), project.snapshot.read_bytes()
    second_generation(project)
    code, claims = verify(project)
    assert code == 1

    routes = claims["passthrough-routes-authenticated"]
    assert routes["status"] == "pass", routes["message"]
    assert routes["message"].startswith("9 routes in 3 file(s), all reach user_api_key_auth")
    assert (
        f"/anthropic/{{endpoint:path}} moved from {PASSTHROUGH} to {ANTHROPIC_HOME}, "
        "still authenticates via Depends (user_api_key_auth)" in routes["message"]
    )
    assert (
        "1 new route(s) since the baseline, all authenticated: "
        f"/openai_passthrough/{{endpoint:path}} in {OPENAI_HOME}" in routes["message"]
    )
    # The factory's registration is reported with its endpoint's auth, never as a route `{path}`.
    assert (
        "1 registration(s) with a computed path, not judged as routes: "
        f"{{config['route_prefix']}} in {FACTORY}:"
    ) in routes["message"]
    assert "{config" not in routes["message"].split("[")[0]

    declared = claims["anthropic-passthrough-route"]
    assert declared["status"] == "drift"
    assert f"moved to {ANTHROPIC_HOME}, still authenticates via Depends" in declared["message"]
    assert declared["evidence"][0]["path"] == ANTHROPIC_HOME

    dispatch = claims["custom-auth-dispatch-order"]
    assert dispatch["status"] == "pass", dispatch["message"]
    assert dispatch["message"].endswith("matches the accepted baseline")

    hook = claims["passthrough-skips-pre-call-hook"]
    assert hook["status"] == "drift"
    assert hook["message"].startswith(
        "/anthropic/{endpoint:path} (anthropic_passthrough_route) reaches proxy_logging_obj.pre_call_hook"
    )
    assert f"[the route is now registered in {ANTHROPIC_HOME}]" in hook["message"]
    # Both forwarding closures reach the hook; the evidence leads with the one a URL target takes.
    assert (
        "(1 of 2 paths found: the one a URL target takes): anthropic_passthrough_route -> "
        "anthropic_proxy_route -> create_pass_through_route -> endpoint_func#2 -> pass_through_request"
    ) in hook["message"]
    notes = [e["note"] for e in hook["evidence"]]
    assert (
        "path 1: selected when create_pass_through_route falls back to endpoint_func#2 in its "
        "`except Exception` arm, when its try block (get_instance_fn(value=target); str(id(adapter))) "
        "raises; the route passes a string (str(updated_url)), the path a URL target takes"
    ) in notes
    assert (
        "path 2: selected when create_pass_through_route hands out endpoint_func from its try block, "
        "when get_instance_fn(value=target); str(id(adapter)) succeeds; not for a string target "
        "(str(updated_url)) that cannot be loaded"
    ) in notes
    first = hook["evidence"][0]
    assert (first["path"], first["note"].split(": ", 1)[-1]) == (
        ANTHROPIC_HOME,
        "anthropic_passthrough_route calls anthropic_proxy_route in llm_passthrough_endpoints.py",
    )

    served = claims["anthropic-passthrough-served-by-app"]
    assert served["status"] == "pass", served["message"]
    assert served["message"].startswith(
        f"/anthropic/{{endpoint:path}}: `router` of {ANTHROPIC_HOME} is included into `app` "
        f"(as anthropic_passthrough_router) at {PROXY_SERVER}:"
    )
    assert served["message"].endswith(f"[the route is now registered in {ANTHROPIC_HOME}]")

    for other in ("custom-auth-loaded-from-config", "messages-endpoint-authenticated"):
        assert claims[other]["status"] == "pass", claims[other]["message"]
    # Only the rows of the claims that did not pass keep their dates (and those claims their
    # baselines); the rows whose claims all passed are dated.
    project.assert_only_failed_rows_held(list(claims.values()), dates, snapshot, "2026-12-02")


def test_the_moved_route_whose_new_router_is_not_included_drifts(project: Project) -> None:
    """The route left for a module whose router proxy_server.py does not include: the app serves
    it nowhere, and app-level middleware wraps nothing of it."""
    accepted_first_generation(project)
    second_generation(project)
    text = project.upstream.read(PROXY_SERVER)
    project.upstream.commit(
        {PROXY_SERVER: text.replace("app.include_router(anthropic_passthrough_router)\n", "")},
        "forget the new router",
    )
    code, claims = verify(project)
    assert code == 1
    served = claims["anthropic-passthrough-served-by-app"]
    assert served["status"] == "drift"
    assert served["message"] == (
        f"/anthropic/{{endpoint:path}} is registered on `router` in {ANTHROPIC_HOME}, which "
        f"{PROXY_SERVER} never includes into `app` (it imports it as anthropic_passthrough_router; "
        "no `app.include_router(anthropic_passthrough_router)` runs): app-level middleware does "
        f"not wrap it [the route is now registered in {ANTHROPIC_HOME}]"
    )


def test_an_open_route_in_a_brand_new_module_drifts_naming_it(project: Project) -> None:
    accepted_first_generation(project)
    second_generation(project)
    newcomer = f"{PACKAGE}/bedrock_passthrough_endpoints.py"
    module = today("openai_passthrough_endpoints.py").replace("openai_passthrough", "bedrock")
    module = module.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", ""
    )
    module = module.replace("user_api_key_dict=user_api_key_dict", "user_api_key_dict=None")
    project.upstream.commit({newcomer: module}, "a bedrock passthrough")
    code, claims = verify(project)
    assert code == 1
    routes = claims["passthrough-routes-authenticated"]
    assert routes["status"] == "drift"
    line = next(i for i, text in enumerate(module.splitlines(), 1) if "@router.api_route(" in text)
    assert routes["message"].startswith(
        "1 of 10 routes in scope do not always reach user_api_key_auth: "
        f"/bedrock/{{endpoint:path}} in {newcomer}:{line} (none)"
    )
    assert routes["evidence"][0]["path"] == newcomer


def test_the_moved_route_losing_its_auth_drifts_naming_its_new_file(project: Project) -> None:
    accepted_first_generation(project)
    second_generation(project)
    opened = today("anthropic_passthrough_endpoints.py").replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", ""
    )
    opened = opened.replace("user_api_key_dict=user_api_key_dict", "user_api_key_dict=None")
    project.upstream.commit({ANTHROPIC_HOME: opened}, "drop the dependency")
    code, claims = verify(project)
    assert code == 1
    routes = claims["passthrough-routes-authenticated"]
    assert routes["status"] == "drift"
    assert f"/anthropic/{{endpoint:path}} in {ANTHROPIC_HOME}:" in routes["message"]
    assert claims["anthropic-passthrough-route"]["status"] == "drift"


def test_a_narrowed_scope_in_watcher_toml_leaves_the_new_modules_out(project: Project) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            'auth = ["user_api_key_auth"]\n',
            f'auth = ["user_api_key_auth"]\nscope = ["{PASSTHROUGH}"]\n',
            1,
        ),
        encoding="utf-8",
    )
    accepted_first_generation(project)
    second_generation(project)
    code, claims = verify(project)
    assert code == 1  # the declared route and the call path still drift
    routes = claims["passthrough-routes-authenticated"]
    assert routes["status"] == "pass"
    assert routes["message"].startswith("7 routes in 1 file(s)")
    # The route that left the narrowed scope is looked for, and found authenticated.
    assert (
        f"left the scope: /anthropic/{{endpoint:path}} moved to {ANTHROPIC_HOME}"
        in routes["message"]
    )


def test_a_route_registered_in_both_generations_says_where_else(project: Project) -> None:
    """Upstream registered /anthropic in its new module while the old decorator was still there."""
    accepted_first_generation(project)
    upstream = project.upstream
    upstream.commit({ANTHROPIC_HOME: today("anthropic_passthrough_endpoints.py")}, "new module")
    code, claims = verify(project)
    routes = claims["passthrough-routes-authenticated"]
    assert routes["status"] == "pass"
    assert (
        f"/anthropic/{{endpoint:path}} is now also registered in {ANTHROPIC_HOME}, still "
        "authenticates via Depends (user_api_key_auth)" in routes["message"]
    )
    declared = claims["anthropic-passthrough-route"]
    assert declared["status"] == "pass"
    assert f"also registered in {ANTHROPIC_HOME}" in declared["message"]
    assert code == 0


def test_fixture_modules_are_ours(tmp_path: Path) -> None:
    """The second generation is written by hand: every module says it is a stand-in."""
    for module in TODAY.glob("*.py"):
        assert "stand-in written for watcher's tests" in module.read_text(encoding="utf-8")
