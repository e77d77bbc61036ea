"""The card's YES/NO cell is what a `call-path` claim must find (issue 13, item 1).

Correcting the card and running `watcher accept` resolves a drift; flipping the cell back makes it
drift again. The expectation lives in one place: the cell, or `reaches` in watcher.toml.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import Project
from test_callpath_e2e import CLAIM, add_hook_in_pass_through_request

from watcher.card.tables import cell_answer

PASSTHROUGH_ROW = (
    "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/pass_through_endpoints/"
    "llm_passthrough_endpoints.py"
)
CELL = "Hook Coverage / async_pre_call_hook (CustomLogger) / /anthropic/v1/messages (passthrough)"


def verify(project: Project, day: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    result = project.run("verify", "--today", day, "--json", "-")
    report = json.loads(result.out)
    return result.code, next(c for c in report["claims"] if c["id"] == CLAIM), report


def edit_config(project: Project, old: str, new: str) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")


def row_date(project: Project, source: str) -> str:
    line = next(
        line for line in project.card_text().splitlines() if line.startswith(f"| {source} ")
    )
    return line.rstrip(" |").rsplit("| ", 1)[-1]


def test_correcting_the_cell_and_accepting_resolves_the_drift(project: Project) -> None:
    assert verify(project, "2026-11-27")[0] == 0
    add_hook_in_pass_through_request(project)
    code, claim, _ = verify(project, "2026-11-28")
    assert code == 1 and claim["status"] == "drift"
    assert claim["message"].endswith(f"; the card's cell {CELL} says NO")

    # The README's recipe: correct the card, then `watcher accept`.
    project.set_pre_call_hook_cell("YES")
    accepted = project.run("accept")
    assert accepted.code == 0, accepted.err
    assert "against the card" not in accepted.out
    code, claim, _ = verify(project, "2026-11-29")
    assert code == 0, claim
    assert claim["status"] == "pass"
    assert claim["message"].startswith(
        "/anthropic/{endpoint:path} (anthropic_proxy_route) reaches proxy_logging_obj.pre_call_hook"
    )
    assert claim["evidence"][-1]["note"] == (
        "pass_through_request calls proxy_logging_obj.pre_call_hook"
    )
    assert row_date(project, PASSTHROUGH_ROW) == "2026-11-29"

    # Flipping the cell back is a drift again: the cell, not watcher.toml, decides.
    project.set_pre_call_hook_cell("NO")
    code, claim, _ = verify(project, "2026-11-30")
    assert code == 1 and claim["status"] == "drift"
    assert row_date(project, PASSTHROUGH_ROW) == "2026-11-29"


@pytest.mark.parametrize("word", ["YES", "yes", "✓", "**Yes**", "true"])
def test_a_yes_cell_with_no_path_upstream_is_drift(project: Project, word: str) -> None:
    project.set_pre_call_hook_cell(word)
    code, claim, _ = verify(project, "2026-11-27")
    assert code == 1
    assert claim["status"] == "drift"
    assert claim["message"].startswith(
        "no call path from /anthropic/{endpoint:path} (anthropic_proxy_route) reaches "
        "proxy_logging_obj.pre_call_hook or ProxyLogging.pre_call_hook ("
    )
    assert claim["message"].endswith(f"; the card's cell {CELL} says YES")


@pytest.mark.parametrize("word", ["NO", "no", "✗", "false"])
def test_a_no_cell_spelled_any_way_holds_where_no_path_exists(project: Project, word: str) -> None:
    project.set_pre_call_hook_cell(word)
    code, claim, _ = verify(project, "2026-11-27")
    assert (code, claim["status"]) == (0, "pass")


def test_a_cell_and_an_explicit_expectation_is_a_config_error(project: Project) -> None:
    edit_config(
        project,
        'route = "/anthropic/{endpoint:path}"\ntargets',
        ('route = "/anthropic/{endpoint:path}"\nreaches = true\ntargets'),
    )
    result = project.run("verify", "--today", "2026-11-27")
    assert result.code == 2
    assert (
        f"cards[0].claims[5].reaches: the card's cell {CELL} (NO) already states what this "
        "claim must find; remove `reaches` (edit the cell to change it)"
    ) in result.err
    assert row_date(project, PASSTHROUGH_ROW) == "2026-04-19"


def drop_cell_from_covers(project: Project) -> None:
    edit_config(
        project,
        '    { table = "Hook Coverage", row = "async_pre_call_hook (CustomLogger)", '
        'column = "/anthropic/v1/messages (passthrough)" },\n',
        "",
    )


def test_no_cell_and_no_expectation_is_a_config_error(project: Project) -> None:
    drop_cell_from_covers(project)
    result = project.run("verify", "--today", "2026-11-27")
    assert result.code == 2
    assert (
        "cards[0].claims[5].reaches: missing (the claim covers no YES/NO cell of the card; "
        "cover exactly one cell or set reaches = true/false)"
    ) in result.err


def test_without_a_cell_the_expectation_comes_from_watcher_toml(project: Project) -> None:
    drop_cell_from_covers(project)
    edit_config(
        project, 'targets = ["proxy_logging_obj', 'reaches = true\ntargets = ["proxy_logging_obj'
    )
    code, claim, _ = verify(project, "2026-11-27")
    assert code == 1
    assert claim["message"].endswith("; watcher.toml (reaches = true) says YES")
    add_hook_in_pass_through_request(project)
    assert verify(project, "2026-11-28")[1]["status"] == "pass"


def test_no_call_path_is_an_alias_that_cannot_also_have_a_cell(project: Project) -> None:
    edit_config(project, 'kind = "call-path"', 'kind = "no-call-path"')
    result = project.run("verify", "--today", "2026-11-27")
    assert result.code == 2
    assert (
        f"cards[0].claims[5].kind: 'no-call-path' states the answer (NO) and so does the card's "
        f'cell {CELL} (NO); use kind = "call-path" so the cell decides'
    ) in result.err
    drop_cell_from_covers(project)
    assert verify(project, "2026-11-27")[1]["status"] == "pass"
    add_hook_in_pass_through_request(project)
    code, claim, _ = verify(project, "2026-11-28")
    assert code == 1
    assert claim["message"].endswith("; the claim kind no-call-path says NO")


def test_a_cell_that_is_neither_yes_nor_no_is_refused_naming_covers(project: Project) -> None:
    project.set_pre_call_hook_cell("partial")
    for command in ("coverage", "verify"):
        result = project.run(command)
        assert result.code == 2
        assert (
            f"cards[0].claims[5].covers: the cell {CELL} says 'partial'; a call-path claim reads "
            "YES or NO there (also yes/no, true/false, ✓/✗)"
        ) in result.err


def test_coverage_refuses_a_cell_and_an_explicit_expectation_too(project: Project) -> None:
    edit_config(
        project, 'targets = ["proxy_logging_obj', 'reaches = false\ntargets = ["proxy_logging_obj'
    )
    result = project.run("coverage")
    assert result.code == 2
    assert "cards[0].claims[5].reaches: the card's cell" in result.err


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("YES", True),
        ("yes", True),
        ("✓", True),
        ("✔", True),
        ("true", True),
        ("**YES**", True),
        ("NO", False),
        ("no", False),
        ("✗", False),
        ("✘", False),
        ("False", False),
        ("`NO`", False),
        ("partial", None),
        ("n/a", None),
        ("", None),
        ("maybe", None),
    ],
)
def test_cell_answer_reads_the_spellings_of_yes_and_no(text: str, answer: bool | None) -> None:
    assert cell_answer(text) is answer


DISPATCH = "custom-auth-dispatch-order"
FLOW_IF = "└── if enterprise_custom_auth: call it\n└── elif user_custom_auth:"
FLOW_SWAPPED = "└── if user_custom_auth: call it\n└── elif enterprise_custom_auth:"


def edit_card(project: Project, old: str, new: str) -> None:
    text = project.card_text()
    assert old in text
    project.card.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_dispatch_order_is_read_from_the_cards_dispatch_flow_block(project: Project) -> None:
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    dispatch = next(c for c in json.loads(result.out)["claims"] if c["id"] == DISPATCH)
    assert dispatch["status"] == "pass", dispatch
    edit_card(project, FLOW_IF, FLOW_SWAPPED)  # the card now states the other order
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 1
    dispatch = next(c for c in json.loads(result.out)["claims"] if c["id"] == DISPATCH)
    assert dispatch["status"] == "drift"
    assert (
        "branch order is enterprise_custom_auth -> user_custom_auth, "
        "the card says user_custom_auth -> enterprise_custom_auth"
    ) in dispatch["message"]
    edit_card(
        project,
        "await user_custom_auth(request=request, api_key=api_key)",
        "await user_custom_auth(request=request, token=api_key)",
    )
    edit_card(project, FLOW_SWAPPED, FLOW_IF)
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    dispatch = next(c for c in json.loads(result.out)["claims"] if c["id"] == DISPATCH)
    assert (
        dispatch["status"] == "drift" and "user_custom_auth is awaited with" in dispatch["message"]
    )


def test_an_order_in_watcher_toml_and_a_readable_block_is_a_config_error(project: Project) -> None:
    edit_config(
        project,
        'marker = "user_custom_auth"\n',
        'marker = "user_custom_auth"\norder = ["enterprise_custom_auth", "user_custom_auth"]\n',
    )
    result = project.run("verify", "--today", "2026-11-27")
    assert result.code == 2
    assert ".order: the card's Dispatch Flow block already states the dispatch" in result.err
    assert "remove `order` (edit the block to change it)" in result.err


def test_without_a_readable_block_the_order_must_be_in_watcher_toml(project: Project) -> None:
    edit_card(project, "└── elif user_custom_auth:", "└── otherwise user_custom_auth:")
    edit_card(project, "## Dispatch Flow", "## Dispatch")  # and under another heading
    result = project.run("verify", "--today", "2026-11-27")
    assert result.code == 2
    assert ".order: missing (the card has no block under 'Dispatch Flow'" in result.err
