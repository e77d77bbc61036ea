"""The card's references, checked with no configuration (issue 13, item 4).

What a card names upstream (imports, calls and their keywords in Python blocks, YAML setting
keys, backticked names and paths) is read from the card and resolved in a real upstream served
over file://. A reference that resolved at the baseline and no longer does drifts, naming where
the card says it; one that never resolved is listed, never an alarm.
"""

from __future__ import annotations

import json

import pytest
from claim_support import NoTree
from support import AUTH, PROXY_SERVER, ROWS, Project

from watcher.card.document import read_document
from watcher.card.references import card_references
from watcher.claims import Extracted, FactRequest, build_claim
from watcher.claims.card_references import judge
from watcher.config import load_config
from watcher.facts import Location, ReferenceFacts, Resolution

TYPES = "litellm/proxy/_types.py"
TYPES_UTILS = "litellm/proxy/types_utils/utils.py"
PROXY_EXCEPTION_CALL = "call litellm.proxy._types:ProxyException(code, message, param, type)"


def claims_of(result_out: str) -> dict[str, dict[str, object]]:
    return {c["id"]: c for c in json.loads(result_out)["claims"]}


def references_of(result_out: str) -> dict[str, dict[str, object]]:
    entries = json.loads(result_out)["coverage"]
    return {e["reference"]: e for e in entries if e["kind"] == "reference"}


CARD_TEXT = """---
name: x
---
# Example

Uses `user_api_key_auth`, `get_instance_fn()`, `litellm/proxy/auth/user_api_key_auth.py`,
`/anthropic/{endpoint:path}`, `str`, `auth: true`, `Authorization: Bearer ...` and
`proxy_logging_obj.pre_call_hook(..., call_type="x")`.

```yaml
general_settings:
  custom_auth: mymodule.fn
```

```python
from fastapi import Request
from litellm.proxy._types import ProxyException
raise ProxyException(message="m", type="t", param=None, code=401)
```

```
pseudo code
```

```python
def broken(:
```

| Hook | A |
|---|---|
| `custom_auth` | YES |
"""


def test_the_card_side_reads_every_kind_of_reference_and_says_why_it_skips_the_rest() -> None:
    found = card_references(read_document(CARD_TEXT), ["litellm"])
    keys = {ref.key for ref in found.references}
    assert keys == {
        "name user_api_key_auth",
        "name get_instance_fn",
        "path litellm/proxy/auth/user_api_key_auth.py",
        "setting auth",
        "call proxy_logging_obj.pre_call_hook(call_type)",
        "setting general_settings",
        "setting general_settings.custom_auth",
        "import litellm.proxy._types:ProxyException",  # fastapi is not upstream: not listed
        PROXY_EXCEPTION_CALL,
        "name custom_auth",
    }
    assert not [r for r in found.references if r.kind == "value"]  # no quoted word in the YAML
    skipped = {s.text: s.reason for s in found.skipped}
    assert skipped["/anthropic/{endpoint:path}"] == "a URL path, not a code name"
    assert skipped["str"] == "a Python builtin or keyword"
    assert "Authorization: Bearer ..." in skipped  # prose with a colon is not a setting
    blocks = [(b.language, b.checked, b.reason) for b in found.blocks]
    assert blocks == [
        ("yaml", True, ""),
        ("python", True, ""),
        ("", False, "no language given"),
        ("python", False, "not valid Python"),
    ]
    custom_auth = next(r for r in found.references if r.key == "name custom_auth")
    assert [(p.table, p.row, p.column) for p in custom_auth.places] == [  # table: its heading
        ("Example", "`custom_auth`", "Hook")
    ]


def test_the_first_card_references_pass_and_are_listed_with_their_status(project: Project) -> None:
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    assert result.code == 0, result.err
    claim = claims_of(result.out)["card-references"]
    assert claim["status"] == "pass"
    refs = references_of(result.out)
    assert refs[PROXY_EXCEPTION_CALL]["status"] == "resolved"
    assert refs["name get_instance_fn"]["status"] == "resolved"
    assert refs["name proxy_logging_obj.pre_call_hook"]["status"] == "resolved"
    # The user's own module is nowhere upstream: listed as unresolved, and the claim still passes.
    assert refs["path request_transformer.py"]["status"] == "unresolved"
    assert "Migrating from async_pre_call_hook" in refs["path request_transformer.py"]["places"][0]
    # verify's one-line summary counts statements, code blocks and references.
    assert "code blocks checked;" in result.err and "references resolved" in result.err

    coverage = project.run("coverage")
    assert "  References (card-references)" in coverage.out
    assert f"    {PROXY_EXCEPTION_CALL}: resolved at accept" in coverage.out


def test_proxy_exception_losing_param_drifts_the_statements_that_call_it(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    types = project.upstream.read(TYPES)
    assert "        param: Optional[str],\n" in types
    project.upstream.commit({TYPES: types.replace("        param: Optional[str],\n", "")}, "drop")

    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 1, result.err
    claims = claims_of(result.out)
    assert claims["card-references"]["status"] == "drift"
    message = str(claims["card-references"]["message"])
    assert PROXY_EXCEPTION_CALL in message
    assert "Custom Auth Function Signature (line 74)" in message  # where the card says it
    assert f"the signature at {TYPES}:" in message and "does not accept param=" in message
    evidence = claims["card-references"]["evidence"]  # what no longer holds, not all 43
    assert [e["path"] for e in evidence] == [TYPES]
    assert evidence[0]["note"].startswith(f"{PROXY_EXCEPTION_CALL}: drift: ")
    assert {c["status"] for i, c in claims.items() if i != "card-references"} == {"pass"}
    # _types.py is no Sources row: every row bound to a claim that passed is dated.
    assert project.row_dates()["auth"] == "2026-11-28"


def test_get_instance_fn_renamed_drifts_naming_the_dispatch_flow_sentence(
    project: Project,
) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    utils = project.upstream.read(TYPES_UTILS).replace("get_instance_fn", "load_instance")
    server = project.upstream.read(PROXY_SERVER).replace("get_instance_fn", "load_instance")
    project.upstream.commit({TYPES_UTILS: utils, PROXY_SERVER: server}, "rename")

    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 1
    claims = claims_of(result.out)
    message = str(claims["card-references"]["message"])
    assert "name get_instance_fn (Dispatch Flow (line 109)): no longer defined upstream" in message
    assert f"(was in {TYPES_UTILS})" in message
    assert claims["custom-auth-loaded-from-config"]["status"] == "drift"  # its own claim too


CALLBACK = "callback general_settings.custom_auth(request, api_key)"


def test_the_custom_auth_example_must_take_what_upstream_calls_it_with(project: Project) -> None:
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    assert references_of(result.out)[CALLBACK]["status"] == "resolved"
    auth = project.upstream.read(AUTH)
    call = "await user_custom_auth(request=request, api_key=api_key)"
    assert call in auth
    wider = "await user_custom_auth(request=request, api_key=api_key, route=route)"
    project.upstream.commit({AUTH: auth.replace(call, wider)}, "pass the route too")

    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 1
    message = str(claims_of(result.out)["card-references"]["message"])
    assert (
        f"{CALLBACK} (Custom Auth Function Signature (line 68)): upstream calls it with route="
        in message
    )
    assert project.row_dates()["auth"] == "2026-11-27"  # the call is in the auth module's row


def test_an_import_moved_into_a_function_is_no_drift_where_the_name_still_lives(
    project: Project,
) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    server = project.upstream.read(PROXY_SERVER)
    top = "from litellm.proxy.types_utils.utils import get_instance_fn\n"
    assert top in server
    lazy = server.replace(top, "").replace(
        "    global master_key, user_custom_auth, user_custom_key_generate\n",
        "    global master_key, user_custom_auth, user_custom_key_generate\n"
        "    from litellm.proxy.types_utils.utils import get_instance_fn\n",
        1,
    )
    project.upstream.commit({PROXY_SERVER: lazy}, "import lazily")
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    refs = references_of(result.out)
    assert refs["name get_instance_fn"]["status"] == "resolved"
    assert claims_of(result.out)["card-references"]["status"] == "pass"


MODES = """

def custom_auth_mode(general_settings):
    settings = general_settings.get("custom_auth_settings") or {}
    if settings["mode"] == "on":
        return "custom"
    if settings["mode"] == "auto":
        return "both"
    if settings["mode"] == "off":
        return "litellm"
"""
MODE = "value general_settings.custom_auth_settings.mode={}"


def test_yaml_values_the_card_lists_are_read_upstream(project: Project) -> None:
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    refs = references_of(result.out)
    assert refs[MODE.format("auto")]["status"] == "unresolved"  # this upstream has no modes
    server = project.upstream.read(PROXY_SERVER)
    project.upstream.commit({PROXY_SERVER: server + MODES}, "custom auth modes")
    assert project.run("accept", "--claim", "card-references").code == 0
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    refs = references_of(result.out)
    assert {refs[MODE.format(w)]["status"] for w in ("on", "auto", "off")} == {"resolved"}

    gone = server + MODES.replace(
        '    if settings["mode"] == "off":\n        return "litellm"\n', ""
    )
    project.upstream.commit({PROXY_SERVER: gone}, "no off mode")
    result = project.run("verify", "--today", "2026-11-29", "--json", "-")
    assert result.code == 1
    message = str(claims_of(result.out)["card-references"]["message"])
    assert f"{MODE.format('off')} (Configuration (line 59)): no longer defined upstream" in message


def test_formatting_and_a_move_behind_a_re_export_do_not_alarm(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    types = project.upstream.read(TYPES)
    start = types.index("class ProxyException(Exception):")
    moved = types[start:]
    reexport = types[:start] + "from litellm.proxy.exceptions import ProxyException  # noqa\n"
    reformatted = moved.replace("        message: str,\n", "        message: str,  # text\n")
    project.upstream.commit(
        {
            TYPES: reexport,
            "litellm/proxy/exceptions.py": "from typing import Dict, Optional, Union\n\n\n"
            + reformatted,
        },
        "move ProxyException, keep the import working",
    )
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 0, result.err
    refs = references_of(result.out)
    assert refs[PROXY_EXCEPTION_CALL]["status"] == "resolved"
    assert refs["import litellm.proxy._types:ProxyException"]["status"] == "resolved"


def test_a_run_where_nothing_upstream_changed_parses_nothing(project: Project) -> None:
    assert project.run("verify", "--today", "2026-11-27").code == 0
    again = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert again.code == 0
    assert json.loads(again.out)["cards"][0]["parsed"] == []
    assert claims_of(again.out)["card-references"]["status"] == "pass"


def test_references_can_be_turned_off_per_card(project: Project) -> None:
    config = (project.root / "watcher.toml").read_text(encoding="utf-8")
    head, _, rest = config.partition("[[cards]]\n")
    (project.root / "watcher.toml").write_text(
        head + "[[cards]]\nreferences = false\n" + rest, encoding="utf-8"
    )
    card = load_config(project.root / "watcher.toml").cards[0]
    assert "card-references" not in [c.id for c in card.claims]
    assert "messages-endpoint-runs-pre-call-hook" in [c.id for c in card.claims]


def test_a_cited_file_that_does_not_parse_is_an_error_not_a_pass(project: Project) -> None:
    project.upstream.commit({AUTH: "def broken(:\n"}, "syntax error")
    result = project.run("verify", "--today", "2026-11-28", "--json", "-")
    assert result.code == 2
    assert claims_of(result.out)["card-references"]["status"] == "error"
    assert project.row_dates()["auth"] == "2026-04-19"


@pytest.mark.parametrize(
    ("found", "base", "status"),
    [
        ((Location(AUTH, 3, "function"),), {"status": "resolved", "path": AUTH}, "resolved"),
        ((), {"status": "resolved", "path": AUTH}, "drift"),
        ((), {"status": "unresolved"}, "unresolved"),
        ((), None, "unresolved"),
        ((Location(TYPES, 9, "class"),), {"status": "resolved", "path": AUTH}, "resolved"),
    ],
)
def test_judging_one_reference_against_its_baseline(
    found: tuple[Location, ...], base: dict[str, str] | None, status: str
) -> None:
    assert judge(Resolution("name x", found), "name x", base).status == status


def test_a_reference_found_in_a_cited_file_holds_back_that_row_only(project: Project) -> None:
    config = load_config(project.root / "watcher.toml")
    claim = build_claim(next(c for c in config.cards[0].claims if c.id == "card-references"))
    request: FactRequest = claim.requests()[0]
    key = "name user_api_key_auth"
    resolutions = tuple(
        Resolution(ref["key"], () if ref["key"] == key else (Location(TYPES, 1, "class"),))
        for ref in json.loads(str(claim.values["refs"]))
    )
    facts = {request: Extracted(ReferenceFacts(resolutions), None, "blob")}
    baseline = {"references": {key: {"status": "resolved", "path": AUTH}}}
    verdict = claim.evaluate(facts, baseline, NoTree())  # where it was: not there either
    assert verdict.status == "drift"
    assert dict(verdict.rows) == {ROWS["auth"]: "drift"}
