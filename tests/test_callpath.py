"""Call paths across modules: each fixture directory is a small upstream tree plus the expected path.

The tree is read through `SourceTree`, the seam the orchestrator's RunTree implements; here it
reads the fixture files from disk (and counts the batches), the parsing is watcher's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from support import FIXTURES, FixtureTree

from watcher.facts import FactsError, ParsedModule, parse_file
from watcher.facts.callpath import find_call_path
from watcher.facts.callsites import scan_function
from watcher.facts.interface import CallPath
from watcher.facts.parse import dotted

CALLPATH = FIXTURES / "callpath"
ROUTE = "/anthropic/{endpoint:path}"
TARGETS = ("proxy_logging_obj.pre_call_hook", "ProxyLogging.pre_call_hook")


def search(
    scenario: str, overrides: Mapping[str, str] | None = None, **bounds: int
) -> tuple[CallPath, FixtureTree]:
    tree = FixtureTree(CALLPATH / scenario, overrides)
    start = json.loads((CALLPATH / scenario / "expected.json").read_text())["start"]
    parsed = tree.modules([start])[start]
    assert isinstance(parsed, ParsedModule)
    return find_call_path(parsed, ROUTE, TARGETS, tree, **bounds), tree


SCENARIOS = sorted(p.name for p in CALLPATH.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_fixture_gives_the_expected_path(scenario: str) -> None:
    expected = json.loads((CALLPATH / scenario / "expected.json").read_text())
    found, _ = search(scenario)
    assert found.reached is expected["reached"]
    assert not found.incomplete
    got = [
        [[h.path, h.line, h.kind, h.caller, h.callee, h.conditional] for h in path]
        for path in found.paths
    ]
    assert got == expected["paths"]


def test_scenarios_cover_what_the_issue_asks_for() -> None:
    assert {
        "closure_factory",
        "helper_module",
        "import_alias",
        "branch_only",
        "no_path",
        "url_fallback",
        "local_instance",
    } <= set(SCENARIOS)


def test_the_path_a_url_target_takes_leads_and_each_path_says_what_selects_it() -> None:
    """Both closures of the factory reach the hook; the URL fallback's path is longer (a nested
    `_relay`), is still found, and comes first because the route passes a string target."""
    found, _ = search("url_fallback")
    assert [path[1].callee for path in found.paths] == [
        "create_route.endpoint_func#2",
        "create_route.endpoint_func",
    ]
    assert found.selectors == (
        "create_route falls back to endpoint_func#2 in its `except Exception` arm, when its try "
        "block (if isinstance(target, CustomLogger) / else load_adapter(value=target)) raises; "
        "the route passes a string (str(url)), the path a URL target takes",
        "create_route hands out endpoint_func from its try block, when if isinstance(target, "
        "CustomLogger) / else load_adapter(value=target) succeeds; not for a string target "
        "(str(url)) that cannot be loaded",
    )


def test_modules_are_read_in_one_batch_per_hop() -> None:
    _, tree = search("helper_module")
    # start file, then preparation.py (hop 1), then hooks/runner.py (hop 2)
    assert tree.batches == [
        ["litellm/proxy/routes.py"],
        ["litellm/proxy/preparation.py"],
        ["litellm/proxy/hooks/runner.py"],
    ]


def test_removing_the_hook_call_means_no_path() -> None:
    text = (CALLPATH / "closure_factory/litellm/proxy/machinery.py").read_text()
    text = text.replace(
        '    data = await proxy_logging_obj.pre_call_hook(user_api_key_dict=key, data=data, call_type="pass_through_endpoint")\n',
        "",
    )
    found, _ = search("closure_factory", {"litellm/proxy/machinery.py": text})
    assert not found.reached and not found.incomplete
    assert "litellm/proxy/machinery.py" in found.modules


def test_a_module_that_does_not_parse_on_the_way_leaves_the_search_incomplete() -> None:
    broken = {"litellm/proxy/hooks/runner.py": "def run_hooks(:\n"}
    found, _ = search("helper_module", broken)
    assert not found.reached
    assert "could not read a module on the way" in found.incomplete
    assert "litellm/proxy/hooks/runner.py" in found.incomplete


def test_an_imported_package_module_missing_from_the_tree_leaves_it_incomplete() -> None:
    missing = {"litellm/proxy/preparation.py": None}
    tree = FixtureTree(CALLPATH / "helper_module", missing)  # type: ignore[arg-type]
    parsed = tree.modules(["litellm/proxy/routes.py"])["litellm/proxy/routes.py"]
    assert isinstance(parsed, ParsedModule)
    found = find_call_path(parsed, ROUTE, TARGETS, tree)
    assert not found.reached
    assert "litellm.proxy.preparation" in found.incomplete


def test_a_path_found_elsewhere_still_counts_when_a_module_is_unreadable() -> None:
    broken = {"litellm/proxy/never_read.py": "def x(:\n"}
    found, _ = search("closure_factory", broken)
    assert found.reached


def test_depth_bound_makes_an_unfinished_search_incomplete() -> None:
    found, _ = search("closure_factory", max_hops=2)
    assert not found.reached
    assert found.incomplete == "depth limit reached (2 calls)"


def test_module_bound_makes_an_unfinished_search_incomplete() -> None:
    found, _ = search("helper_module", max_modules=2)
    assert not found.reached
    assert found.incomplete.startswith("module limit reached (2 read")


def test_missing_start_handler_is_an_error() -> None:
    tree = FixtureTree(CALLPATH / "no_path")
    parsed = tree.modules(["litellm/proxy/routes.py"])["litellm/proxy/routes.py"]
    assert isinstance(parsed, ParsedModule)
    with pytest.raises(FactsError, match=r"no handler registered for /cohere/\{endpoint:path\}"):
        find_call_path(parsed, "/cohere/{endpoint:path}", TARGETS, tree)


def test_call_sites_know_which_calls_run_only_on_some_paths() -> None:
    source = """
async def handler(request, flag):
    always()
    if flag:
        in_if()
    else:
        in_else()
    try:
        in_try()
    except Exception:
        in_except()
    for item in source_of_items():
        in_loop()
    x = left() or right()
    y = body() if test() else other()
    z = [element() for _ in range(3)]
    callback = lambda: in_lambda()
    if flag:
        return early()
    after_early_return()

    def closure():
        inside_closure()

    return closure
"""
    parsed = parse_file("m.py", "blob", source.encode())
    body = scan_function(parsed.functions["handler"])
    marks = {dotted(call.func): cond for call, cond in body.calls}
    assert marks == {
        "always": False,
        "in_if": True,
        "in_else": True,
        "in_try": False,
        "in_except": True,
        "source_of_items": False,
        "in_loop": True,
        "left": False,
        "right": True,
        "test": False,
        "body": True,
        "other": True,
        "element": True,
        "range": True,
        "in_lambda": True,
        "early": True,
        "after_early_return": True,
    }
    assert list(body.nested) == ["closure"]
    assert "closure" in body.names  # returned: the search follows it as a closure
