"""`passthrough-skips-pre-call-hook` through `watcher verify`, on a real git upstream.

The test upstream's forwarding machinery starts without the hook call (the claim holds); these
tests add it the ways upstream did or could, and take it away again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from support import AUTH, MACHINERY, MESSAGES, PASSTHROUGH, PROXY_SERVER, Project

from watcher.claims import build_claim
from watcher.config import load_config
from watcher.orchestrator import check_card
from watcher.upstream import FileBlob, Upstream, UpstreamSpec, open_upstream
from watcher.upstream.interface import CommitInfo

CLAIM = "passthrough-skips-pre-call-hook"
HOOK = (
    "    _parsed_body = await proxy_logging_obj.pre_call_hook(\n"
    '        user_api_key_dict=user_api_key_dict, data=_parsed_body, call_type="pass_through_endpoint"\n'
    "    )\n"
)
GUARDRAILS = "litellm/proxy/pass_through_endpoints/passthrough_guardrails.py"


def verify(project: Project, day: str) -> tuple[int, dict[str, Any]]:
    result = project.run("verify", "--today", day, "--json", "-")
    report = json.loads(result.out)
    return result.code, next(c for c in report["claims"] if c["id"] == CLAIM)


def add_hook_in_pass_through_request(project: Project) -> None:
    text = project.upstream.read(MACHINERY)
    project.upstream.commit(
        {MACHINERY: text.replace("    ### CALL HOOKS ###\n", "    ### CALL HOOKS ###\n" + HOOK)},
        "run pre-call hooks on passthrough (as upstream did in July 2024)",
    )


def test_hook_call_on_the_path_is_drift_with_the_path_as_evidence(project: Project) -> None:
    code, claim = verify(project, "2026-11-27")
    assert code == 0 and claim["status"] == "pass"
    card, snapshot = project.card.read_bytes(), project.snapshot.read_bytes()
    add_hook_in_pass_through_request(project)
    code, claim = verify(project, "2026-11-28")
    assert code == 1
    assert claim["status"] == "drift"
    assert claim["message"] == (
        "/anthropic/{endpoint:path} (anthropic_proxy_route) reaches proxy_logging_obj.pre_call_hook: "
        "anthropic_proxy_route -> create_pass_through_route -> endpoint_func#2 -> "
        "pass_through_request -> proxy_logging_obj.pre_call_hook; the card's cell "
        "Hook Coverage / async_pre_call_hook (CustomLogger) / /anthropic/v1/messages (passthrough) "
        "says NO"
    )
    hops = [(e["path"], e["line"], e["note"]) for e in claim["evidence"]]
    assert hops == [
        (
            PASSTHROUGH,
            78,
            "anthropic_proxy_route calls create_pass_through_route in pass_through_endpoints.py",
        ),
        (
            MACHINERY,
            87,
            "create_pass_through_route hands out the closure "
            "create_pass_through_route.endpoint_func#2 (under a condition)",
        ),
        (
            MACHINERY,
            87,
            "selected when create_pass_through_route falls back to endpoint_func#2 in its "
            "`except Exception` arm, when its try block (get_instance_fn(value=target); "
            "str(id(adapter))) raises; the route passes a string (str(updated_url)), "
            "the path a URL target takes",
        ),
        (MACHINERY, 92, "create_pass_through_route.endpoint_func#2 calls pass_through_request"),
        (MACHINERY, 52, "pass_through_request calls proxy_logging_obj.pre_call_hook"),
    ]
    commit = json.loads(project.run("verify", "--json", "-", "--dry-run").out)["upstream"]["commit"]
    assert claim["evidence"][4]["permalink"] == (
        f"https://github.com/BerriAI/litellm/blob/{commit}/{MACHINERY}#L52"
    )
    # The drift holds back its own row only; the snapshot keeps the claim's accepted baseline.
    assert project.card.read_bytes() != card
    assert project.row_dates()["passthrough"] == "2026-11-27"
    assert project.row_dates()["auth"] == "2026-11-28"
    before, after = json.loads(snapshot), json.loads(project.snapshot.read_bytes())
    assert after["claims"][CLAIM] == before["claims"][CLAIM]


def test_hook_in_a_helper_module_under_a_branch_is_drift(project: Project) -> None:
    text = project.upstream.read(MACHINERY)
    text = text.replace(
        "from litellm.proxy.types_utils.utils import get_instance_fn\n",
        "from litellm.proxy.types_utils.utils import get_instance_fn\n\n"
        "from .passthrough_guardrails import PassthroughGuardrailHandler as Guardrails\n",
    )
    text = text.replace(
        "    ### CALL HOOKS ###\n",
        "    ### CALL HOOKS ###\n"
        '    if user_api_key_dict.metadata.get("guardrails"):\n'
        "        _parsed_body = await Guardrails.run(user_api_key_dict, _parsed_body)\n",
    )
    helper = (
        "class PassthroughGuardrailHandler:\n"
        "    @staticmethod\n"
        "    async def run(user_api_key_dict, data):\n"
        "        from litellm.proxy.proxy_server import proxy_logging_obj\n\n"
        "        return await proxy_logging_obj.pre_call_hook(\n"
        '            user_api_key_dict=user_api_key_dict, data=data, call_type="pass_through_endpoint"\n'
        "        )\n"
    )
    project.upstream.commit({MACHINERY: text, GUARDRAILS: helper}, "guardrails on passthrough")
    code, claim = verify(project, "2026-11-27")
    assert code == 1
    notes = [(e["path"], e["line"], e["note"]) for e in claim["evidence"]]
    assert notes[-2:] == [
        (
            MACHINERY,
            55,
            "pass_through_request calls PassthroughGuardrailHandler.run in passthrough_guardrails.py "
            "(under a condition)",
        ),
        (GUARDRAILS, 6, "PassthroughGuardrailHandler.run calls proxy_logging_obj.pre_call_hook"),
    ]


def test_claim_passes_again_once_the_hook_call_is_gone(project: Project) -> None:
    clean = project.upstream.read(MACHINERY)
    add_hook_in_pass_through_request(project)
    assert verify(project, "2026-11-27")[0] == 1
    project.upstream.commit({MACHINERY: clean}, "stop running hooks on passthrough")
    code, claim = verify(project, "2026-11-28")
    assert code == 0
    assert claim["status"] == "pass"
    assert claim["message"].startswith(
        "no call path from /anthropic/{endpoint:path} (anthropic_proxy_route) reaches "
        "proxy_logging_obj.pre_call_hook or ProxyLogging.pre_call_hook ("
    )
    assert "2026-11-28" in project.card_text()


def test_forwarding_module_gone_is_an_error_not_a_pass(project: Project) -> None:
    project.upstream.commit({MACHINERY: None}, "move the machinery away")
    code, claim = verify(project, "2026-11-27")
    assert code == 2
    assert claim["status"] == "error"
    assert claim["message"].startswith(
        "could not rule out a path from anthropic_proxy_route to proxy_logging_obj.pre_call_hook "
        f"or ProxyLogging.pre_call_hook: {PASSTHROUGH}: anthropic_proxy_route calls "
        "litellm.proxy.pass_through_endpoints.pass_through_endpoints.create_pass_through_route, "
        "whose module is not in the tree"
    )


def test_start_route_gone_is_an_error(project: Project) -> None:
    text = project.upstream.read(PASSTHROUGH).replace(
        '"/anthropic/{endpoint:path}"', '"/claude/{endpoint:path}"'
    )
    project.upstream.commit({PASSTHROUGH: text}, "rename the route")
    code, claim = verify(project, "2026-11-27")
    assert code == 2
    assert claim["status"] == "error"
    # Gone everywhere searched: an error that says where it looked.
    assert claim["message"] == (
        f"{PASSTHROUGH}: no handler registered for /anthropic/{{endpoint:path}}, here or elsewhere "
        "(searched 2 candidate file(s) near the original): the search has no start"
    )


class RecordingUpstream(Upstream):
    """A real git upstream, with every batch of reads recorded."""

    def __init__(self, real: Upstream) -> None:
        self.real = real
        self.spec = real.spec
        self.reads: list[list[str]] = []

    def resolve(self) -> str:
        return self.real.resolve()

    def read(
        self, commit: str, paths: Sequence[str], known: Mapping[str, str | None] | None = None
    ) -> Mapping[str, FileBlob | None]:
        self.reads.append(list(paths))
        return self.real.read(commit, paths, known)

    def list_files(self, commit: str, suffix: str, under: str = "") -> Mapping[str, str]:
        return self.real.list_files(commit, suffix, under)

    def commit_info(self, commit: str) -> CommitInfo:
        return self.real.commit_info(commit)


def test_each_file_is_read_and_parsed_once_per_run(project: Project, tmp_path: Path) -> None:
    config = load_config(project.root / "watcher.toml")
    card = config.cards[0]
    claims = [build_claim(c) for c in card.claims]
    with open_upstream(UpstreamSpec(project.upstream.url, "main"), tmp_path / "c") as real:
        upstream = RecordingUpstream(real)
        result = check_card(card, claims, upstream, {})
    assert result.status == "verified"
    read = [path for batch in upstream.reads for path in batch]
    assert len(read) == len(set(read)), (
        upstream.reads
    )  # proxy_server.py and the rest: one read, one parse each
    # The claims' own files come in the first batch; the search adds one batch per hop after it.
    assert set(upstream.reads[0]) == {PASSTHROUGH, AUTH, MESSAGES, PROXY_SERVER}
    assert MACHINERY in upstream.reads[1]


def test_both_closures_reaching_the_hook_give_two_labelled_paths(project: Project) -> None:
    text = project.upstream.read(MACHINERY)
    adapter_hook = HOOK.replace("_parsed_body", "data")
    text = text.replace("    ### CALL HOOKS ###\n", "    ### CALL HOOKS ###\n" + HOOK)
    text = text.replace(
        "    ### ADAPTER HOOKS ###\n",
        "    ### ADAPTER HOOKS ###\n"
        "    from litellm.proxy.proxy_server import proxy_logging_obj\n\n" + adapter_hook,
    )
    project.upstream.commit({MACHINERY: text}, "hooks on both forwarding paths (as upstream has)")
    code, claim = verify(project, "2026-11-27")
    assert code == 1
    # The route passes a URL string: the evidence leads with the except-arm fallback it takes.
    assert (
        "(1 of 2 paths found: the one a URL target takes): anthropic_proxy_route -> "
        "create_pass_through_route -> endpoint_func#2 -> pass_through_request ->"
    ) in claim["message"]
    notes = [e["note"] for e in claim["evidence"]]
    assert (
        notes[0]
        == "path 1: anthropic_proxy_route calls create_pass_through_route in pass_through_endpoints.py"
    )
    assert notes[1:5] == [
        "path 1: create_pass_through_route hands out the closure create_pass_through_route.endpoint_func#2 (under a condition)",
        "path 1: selected when create_pass_through_route falls back to endpoint_func#2 in its "
        "`except Exception` arm, when its try block (get_instance_fn(value=target); "
        "str(id(adapter))) raises; the route passes a string (str(updated_url)), the path a URL "
        "target takes",
        "path 1: create_pass_through_route.endpoint_func#2 calls pass_through_request",
        "path 1: pass_through_request calls proxy_logging_obj.pre_call_hook",
    ]
    assert notes[5:] == [
        "path 2: create_pass_through_route hands out the closure create_pass_through_route.endpoint_func",
        "path 2: selected when create_pass_through_route hands out endpoint_func from its try "
        "block, when get_instance_fn(value=target); str(id(adapter)) succeeds; not for a string "
        "target (str(updated_url)) that cannot be loaded",
        "path 2: create_pass_through_route.endpoint_func calls chat_completion_pass_through_endpoint",
        "path 2: chat_completion_pass_through_endpoint calls proxy_logging_obj.pre_call_hook",
    ]
