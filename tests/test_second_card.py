"""The second card (issue 13 item 7): config-defined pass-through endpoints and their `auth`.

Its claims run against a hand-written upstream shaped like litellm's 2025 module (the management
routes under /config/pass_through_endpoint, `create_pass_through_route`, the registration of
`general_settings.pass_through_endpoints`) and the first card's `user_api_key_auth.py` stand-in.
"""

from __future__ import annotations

import json
from pathlib import Path

from support import (
    AUTH,
    CARD_ID,
    FIXTURES,
    MACHINERY,
    PT_CARD_ID,
    Project,
    Upstream,
    fixture_text,
)

TODAY = "2026-12-03"
CARD_DATE = "2026-12-02"
ROW_MACHINERY = f"https://github.com/BerriAI/litellm/blob/main/{MACHINERY}"
ROW_AUTH = f"https://github.com/BerriAI/litellm/blob/main/{AUTH}"
ROW_PROXY = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/proxy_server.py"
ROW_TYPES = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/_types.py"
CLAIMS = (
    "pass-through-management-routes-authenticated",
    "pass-through-config-route-authenticated",
    "pass-through-custom-auth-dispatch",
)
# The management route whose auth a test removes, as the fixture writes it.
CREATE_ROUTE = """@router.post(
    "/config/pass_through_endpoint",
    dependencies=[Depends(user_api_key_auth)],
)
async def create_pass_through_endpoints(
    request: Request,
    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),
):"""
CREATE_ROUTE_NO_AUTH = """@router.post("/config/pass_through_endpoint")
async def create_pass_through_endpoints(
    request: Request,
):"""


def machinery() -> str:
    return (FIXTURES / "pass_through_config" / "pass_through_endpoints.py").read_text(
        encoding="utf-8"
    )


def pass_through_upstream(root: Path) -> Upstream:
    upstream = Upstream(root / "upstream")
    upstream.commit(
        {
            MACHINERY: machinery(),
            AUTH: fixture_text("user_api_key_auth.py"),
            "README.md": "litellm stand-in\n",
        },
        "initial import",
    )
    return upstream


def second_card_project(tmp_path: Path) -> Project:
    return Project(tmp_path, pass_through_upstream(tmp_path), cards=(PT_CARD_ID,))


def dates(project: Project) -> dict[str, str]:
    from watcher.card import parse_sources

    text = (project.root / "knowledge" / f"{PT_CARD_ID}.md").read_text(encoding="utf-8")
    return {row.source: row.last_verified for row in parse_sources(text, PT_CARD_ID).rows}


def claims(report: dict[str, object]) -> dict[str, dict[str, object]]:
    listed = report["claims"]
    assert isinstance(listed, list)
    return {str(c["id"]): c for c in listed}


def test_the_second_card_verifies_on_a_fixture_upstream(tmp_path: Path) -> None:
    project = second_card_project(tmp_path)
    result = project.run("verify", "--today", TODAY, "--no-issues", "--json", "-")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    found = claims(report)
    assert set(found) == {*CLAIMS, "card-references"}  # and the references read from the card
    assert all(c["status"] == "pass" for c in found.values())
    routes = found["pass-through-management-routes-authenticated"]["message"]
    assert str(routes).startswith("4 routes in 1 file(s), all reach user_api_key_auth")
    # The registration of a config entry has a computed path: listed, never judged.
    assert "1 registration(s) with a computed path, not judged as routes" in str(routes)
    route = str(found["pass-through-config-route-authenticated"]["message"])
    assert route.startswith("/config/pass_through_endpoint [DELETE,GET,POST] ->")
    # Only the rows a claim vouches for are dated; proxy_server.py and _types.py are not.
    assert dates(project) == {
        ROW_MACHINERY: TODAY,
        ROW_AUTH: TODAY,
        ROW_PROXY: CARD_DATE,
        ROW_TYPES: CARD_DATE,
    }
    assert (project.root / "snapshots" / f"{PT_CARD_ID}.json").exists()


def test_removing_the_auth_dependency_from_a_pass_through_route_drifts(tmp_path: Path) -> None:
    project = second_card_project(tmp_path)
    assert project.run("accept").code == 0
    text = project.upstream.read(MACHINERY)
    assert text.count(CREATE_ROUTE) == 1
    project.upstream.commit({MACHINERY: text.replace(CREATE_ROUTE, CREATE_ROUTE_NO_AUTH)}, "oops")
    result = project.run("verify", "--today", TODAY, "--no-issues", "--json", "-")
    assert result.code == 1, result.out + result.err
    found = claims(json.loads(result.out))
    routes = found["pass-through-management-routes-authenticated"]
    assert routes["status"] == "drift"
    assert "1 of 4 routes in scope do not always reach user_api_key_auth" in str(routes["message"])
    assert "/config/pass_through_endpoint in " in str(routes["message"])
    route = found["pass-through-config-route-authenticated"]
    assert route["status"] == "drift"
    assert "(create_pass_through_endpoints) has no authentication" in str(route["message"])
    assert found["pass-through-custom-auth-dispatch"]["status"] == "pass"
    # The drifted row keeps its date; user_api_key_auth.py's row is dated.
    assert dates(project)[ROW_MACHINERY] == CARD_DATE
    assert dates(project)[ROW_AUTH] == TODAY


def test_the_auth_gate_of_the_registration_is_not_machine_checked(tmp_path: Path) -> None:
    """The card's central statement (`auth: true` adds `Depends(user_api_key_auth)` to a config
    route's dependencies) has no claim kind: dropping it upstream is not drift. The coverage
    report says so, and the verify message lists the registration as not judged."""
    project = second_card_project(tmp_path)
    assert project.run("accept").code == 0
    text = project.upstream.read(MACHINERY)
    gate = "            _dependencies = [Depends(user_api_key_auth)]\n"
    assert text.count(gate) == 1
    project.upstream.commit({MACHINERY: text.replace(gate, "")}, "no auth dependency")
    result = project.run("verify", "--today", TODAY, "--no-issues", "--dry-run")
    assert result.code == 0, result.out + result.err
    assert "not judged as routes" in result.out
    coverage = project.run("coverage")
    assert coverage.code == 0, coverage.err
    assert "10 of 20 table statements machine-checked" in coverage.out
    assert (
        "`auth` omitted or `false` / route dependencies include user_api_key_auth: NO  "
        "not machine-checked"
    ) in coverage.out


def test_the_project_config_loads_with_both_cards(tmp_path: Path) -> None:
    """watcher.toml as committed: both cards, every `covers` valid against its card."""
    project = Project(tmp_path, pass_through_upstream(tmp_path), cards=(CARD_ID, PT_CARD_ID))
    result = project.run("coverage")
    assert result.code == 0, result.err
    assert f"{CARD_ID}: " in result.out
    assert f"{PT_CARD_ID}: 10 of 20 table statements machine-checked" in result.out
