"""`custom-auth-loaded-from-config`: where user_custom_auth gets its value, flag and don't-flag cases.

Each fixture file starts with `# expect: pass|drift: <part of the message>`.
"""

from __future__ import annotations

import pytest
from claim_support import claim, judge
from support import FIXTURES

from watcher.facts import Assignments, parse_file
from watcher.facts.assignments import find_assignments

CASES = FIXTURES / "assignments"
SOURCE = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/proxy_server.py"


def custom_auth_claim() -> object:
    return claim(
        "assigned-from",
        SOURCE,
        name="user_custom_auth",
        call="get_instance_fn",
        setting="custom_auth",
    )


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.glob("*.py")))
def test_fixture_verdict(name: str) -> None:
    text = (CASES / name).read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header.startswith("# expect: ")
    status, _, fragment = header.removeprefix("# expect: ").partition(": ")
    kind = custom_auth_claim()
    verdict = judge(kind, text)  # type: ignore[arg-type]
    assert verdict.status == status, verdict.message
    assert fragment in verdict.message


def test_both_outcomes_are_covered() -> None:
    names = [p.name for p in CASES.glob("*.py")]
    assert sum(n.startswith("pass_") for n in names) >= 5
    assert sum(n.startswith("drift_") for n in names) >= 5


def test_facts_ignore_formatting_and_where_the_code_lives() -> None:
    one = (CASES / "pass_litellm_shape.py").read_text()
    two = (CASES / "pass_moved_into_helper.py").read_text()

    def facts(text: str) -> Assignments:
        return find_assignments(
            parse_file("p.py", "b", text.encode()), "user_custom_auth", "general_settings"
        )

    first, second = facts(one), facts(two)
    wanted = [a for a in first.assignments if a.call]
    moved = [a for a in second.assignments if a.call]
    assert wanted == moved  # function name, value text and line are evidence, not facts
    assert wanted[0].function == "ProxyConfig.load_config"
    assert moved[0].function == "_load_custom_auth"
    assert wanted[0].line == 22 and wanted[0].binds_global
    assert wanted[0].call == "litellm.proxy.types_utils.utils.get_instance_fn"
    assert wanted[0].settings == ("custom_auth",)


def test_evidence_points_at_the_assignment() -> None:
    text = (CASES / "pass_litellm_shape.py").read_text()
    verdict = judge(custom_auth_claim(), text)  # type: ignore[arg-type]
    assert [(e.path, e.line) for e in verdict.evidence] == [("litellm/proxy/proxy_server.py", 22)]
    assert (
        "get_instance_fn(value=custom_auth, config_file_path=config_file_path)"
        in verdict.evidence[0].note
    )


def test_a_file_that_does_not_parse_is_an_error() -> None:
    verdict = judge(custom_auth_claim(), "def broken(:\n")  # type: ignore[arg-type]
    assert verdict.status == "error"
    assert "does not parse" in verdict.message
