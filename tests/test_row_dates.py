"""A date per Sources row (issue 13, item 9): a row is dated when every claim bound to it passed.

One drift or one unreachable docs page holds back its own row, not the card; the snapshot records
the facts of the claims that passed and keeps the accepted baseline of the others, written in the
same atomic step as the card.
"""

from __future__ import annotations

import json

import pytest
from support import (
    DOCS_PATH,
    PASSTHROUGH,
    RESOURCE_DOCS_CLAIMS,
    ROWS,
    DocsServer,
    Page,
    Project,
)
from test_callpath_e2e import CLAIM, add_hook_in_pass_through_request

from watcher.actions.card_dates import rows_to_date

NEW_ROUTE = """

@router.api_route("/newprov/{endpoint:path}", methods=["GET", "POST"])
async def newprov_proxy_route(
    endpoint: str,
    request: Request,
    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),
):
    return None
"""


@pytest.mark.parametrize("down", ["server error", "closed port"])
def test_a_drift_and_an_unreachable_docs_page_hold_back_their_rows_only(
    project: Project, docs: DocsServer, down: str
) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    before = json.loads(project.snapshot.read_text(encoding="utf-8"))
    add_hook_in_pass_through_request(project)  # passthrough-skips-pre-call-hook drifts
    text = project.upstream.read(PASSTHROUGH)
    project.upstream.commit({PASSTHROUGH: text + NEW_ROUTE}, "a new authenticated route")
    if down == "server error":
        docs.pages[DOCS_PATH] = Page(500, "upstream trouble")
    else:
        docs.close()  # the claim's url now points to a closed port

    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 2, result.err  # an error is still exit 2, a drift alone would be 1
    report = json.loads(result.out)
    statuses = {c["id"]: c["status"] for c in report["claims"]}
    assert statuses.pop(CLAIM) == "drift"
    assert statuses.pop("custom-auth-docs-page") == "error"
    if down == "closed port":  # the Resources links' pages are down too: they date no row
        assert [statuses.pop(claim) for claim in RESOURCE_DOCS_CLAIMS] == ["error"] * 3
    assert set(statuses.values()) == {"pass"}

    assert project.row_dates() == {
        "docs": "2026-11-27",
        "passthrough": "2026-11-27",
        "auth": "2026-11-28",
        "messages": "2026-11-28",
        "proxy_server": "2026-11-28",
    }
    card = report["cards"][0]
    assert [d["source"] for d in card["dates"]] == [
        ROWS["auth"],
        ROWS["messages"],
        ROWS["proxy_server"],
    ]
    assert card["not_dated"] == [
        {"source": ROWS["passthrough"], "reason": f"{CLAIM} drifted"},
        {"source": ROWS["docs"], "reason": "custom-auth-docs-page could not be checked"},
    ]
    human = project.run("verify", "--today", "2026-11-28", "--dry-run").out
    assert f"  held   {ROWS['passthrough']}: not dated ({CLAIM} drifted)\n" in human

    after = json.loads(project.snapshot.read_text(encoding="utf-8"))
    # The claims that passed: this run's facts (the new route is in them).
    routes = json.dumps(after["claims"]["passthrough-routes-authenticated"])
    assert "/newprov/{endpoint:path}" in routes
    assert (
        after["claims"]["passthrough-routes-authenticated"]
        != before["claims"]["passthrough-routes-authenticated"]
    )
    # The others: their accepted baseline, and the commit it was taken at (bisect starts there).
    assert after["claims"][CLAIM] == before["claims"][CLAIM]
    assert after["claims"]["custom-auth-docs-page"] == before["claims"]["custom-auth-docs-page"]
    assert after["upstream"] == before["upstream"]
    assert after["verified_on"] == "2026-11-27"  # the last run in which the whole card verified


def test_drift_alone_is_still_exit_1_and_the_card_verifies_again_once_fixed(
    project: Project,
) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    clean = project.upstream.read("litellm/proxy/pass_through_endpoints/pass_through_endpoints.py")
    add_hook_in_pass_through_request(project)
    assert project.run("verify", "--today", "2026-11-28").code == 1
    project.upstream.commit(
        {"litellm/proxy/pass_through_endpoints/pass_through_endpoints.py": clean}, "hooks gone"
    )
    result = project.run("verify", "--today", "2026-11-29", "--json", "-")
    assert result.code == 0
    assert set(project.row_dates().values()) == {"2026-11-29"}
    after = json.loads(project.snapshot.read_text(encoding="utf-8"))
    assert after["verified_on"] == "2026-11-29"
    assert after["upstream"]["commit"] == json.loads(result.out)["upstream"]["commit"]
    assert json.loads(result.out)["cards"][0]["not_dated"] == []


def test_a_partial_run_writes_card_and_snapshot_together_or_not_at_all(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    add_hook_in_pass_through_request(project)
    card, snapshot = project.card.read_bytes(), project.snapshot.read_bytes()
    project.snapshot.chmod(0o444)
    result = project.run("verify", "--today", "2026-11-28")
    assert result.code == 2
    assert "read-only; not replaced" in result.out
    assert project.card.read_bytes() == card  # no date moved without its snapshot
    assert project.snapshot.read_bytes() == snapshot


def test_a_first_run_with_a_drift_records_only_the_claims_that_passed(project: Project) -> None:
    add_hook_in_pass_through_request(project)
    result = project.run("verify", "--today", "2026-11-28")
    assert result.code == 1
    snapshot = json.loads(project.snapshot.read_text(encoding="utf-8"))
    assert CLAIM not in snapshot["claims"]  # no accepted baseline yet: nothing to keep
    assert len(snapshot["claims"]) == 18  # the nineteen claims but the drifted one
    assert snapshot["verified_on"] is None
    assert project.row_dates()["passthrough"] == "2026-04-19"
    assert project.row_dates()["auth"] == "2026-11-28"


def test_rows_to_date_holds_a_row_for_any_claim_that_did_not_pass() -> None:
    passed, held = rows_to_date(
        [
            ("a", "row1", "pass"),
            ("b", "row1", "drift"),
            ("c", "row2", "pass"),
            ("d", "row3", "error"),
            ("e", "row3", "drift"),
        ]
    )
    assert passed == {"row2"}
    assert [(row.source, row.reason) for row in held] == [
        ("row1", "b drifted"),
        ("row3", "d could not be checked; e drifted"),
    ]
