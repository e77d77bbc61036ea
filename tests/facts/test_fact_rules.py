"""The small rules the analysis rests on: check names, rendering, import resolution, candidates."""

from __future__ import annotations

import libcst as cst
import pytest

from watcher.facts import parse_file
from watcher.facts.checks import check_rule, is_check_name
from watcher.facts.locate import candidates, route_words
from watcher.facts.render import Renderer


@pytest.mark.parametrize(
    "name",
    [
        "check_if_request_size_is_safe",  # litellm 2024-07
        "litellm.proxy.auth.auth_checks.is_request_body_safe",  # 2024-08
        "litellm.proxy.auth.auth_utils.pre_db_read_auth_checks",  # 2024-09 to today
        "litellm.proxy.auth.route_checks.RouteChecks.should_call_route",  # judged by its class
        "_check_valid_ip",
        "enforce_rbac",
        "_get_and_check_budget",  # a getter that also checks
        "verifyToken",
    ],
)
def test_names_that_decide_access_are_checks(name: str) -> None:
    assert is_check_name(name)


def test_a_check_by_name_says_which_rule_made_it() -> None:
    assert check_rule("pre_db_read_auth_checks") == "name rule: decision word 'checks'"
    assert check_rule("is_request_body_safe") == "name rule: predicate 'safe'"
    assert check_rule("_safe_set_request_parsed_body") is None


@pytest.mark.parametrize(
    "name",
    [
        "litellm.proxy.common_utils.http_parsing_utils._safe_get_request_query_params",
        "litellm.proxy.auth.auth_utils.get_request_route",  # "auth" in the module, not the name
        "get_api_key",
        "get_api_key_from_custom_header",
        "UserAPIKeyAuth.model_validate",
        "litellm._logging.verbose_proxy_logger.debug",
        "asyncio.ensure_future",
        "open_telemetry_logger.create_litellm_proxy_request_started_span",
        "litellm.proxy.common_utils.http_parsing_utils._read_request_body",
        "populate_request_with_path_params",
        "checkpoint_writer.flush",  # a word that contains "check" is not the word
        # upstream 2026: body caching before the dispatch says "safe" but decides nothing
        "litellm.proxy.common_utils.http_parsing_utils._safe_set_request_parsed_body",
        "is_opaque_audio_request",  # a predicate with no verdict word: what kind of body
        "get_auth_token",  # a getter about auth
        "update_request_metadata",
        "prometheus_logger.increment_metric",
    ],
)
def test_getters_logging_and_plumbing_are_not_checks(name: str) -> None:
    assert not is_check_name(name)


FUNCTION = """
from litellm.proxy.proxy_server import user_custom_auth as uca
from litellm.proxy.auth.auth_utils import _check_valid_ip

async def builder(request, api_key):
    {ok} = _check_valid_ip(request)
    {key} = api_key
    {key} = {key}.strip()
    return not {ok} and uca is not None and {key} == request
"""


def _rendered(ok: str, key: str) -> str:
    source = FUNCTION.format(ok=ok, key=key)
    parsed = parse_file("litellm/proxy/auth/x.py", "", source.encode())
    ret = parsed.functions["builder"].body.body[-1]
    assert isinstance(ret, cst.SimpleStatementLine)
    small = ret.body[0]
    assert isinstance(small, cst.Return) and small.value is not None
    return Renderer(parsed, "builder").expression(small.value)


def test_rendering_reads_the_same_after_locals_are_renamed() -> None:
    first = _rendered("is_valid_ip", "token")
    assert first == _rendered("ip_allowed", "bearer")
    # Locals bound once from a call read as that call; import aliases as the imported name;
    # parameters keep their names; other locals become `_`.
    assert first == "not _check_valid_ip(...) and user_custom_auth is not None and (_ == request)"


def test_relative_imports_resolve_against_the_module_package() -> None:
    source = b"from ..auth.user_api_key_auth import user_api_key_auth as a\nfrom . import sibling\n"
    parsed = parse_file("litellm/proxy/pass_through_endpoints/x.py", "", source)
    assert (
        parsed.imports.resolve_name("a") == "litellm.proxy.auth.user_api_key_auth.user_api_key_auth"
    )
    assert parsed.imports.resolve_name("sibling") == "litellm.proxy.pass_through_endpoints.sibling"


def test_a_def_after_an_import_of_the_same_name_shadows_it() -> None:
    source = b"from a import f\nfrom a import g\n\ndef f():\n    pass\n\ndef g():\n    pass\n\nfrom b import g\n"
    parsed = parse_file("m.py", "", source)
    assert parsed.local_function(cst.Name("f")) == "f"
    assert parsed.local_function(cst.Name("g")) is None  # re-imported after the def


def test_candidates_prefer_named_files_then_the_same_directory_and_skip_tests() -> None:
    origin = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
    paths = [
        origin,
        "litellm/proxy/pass_through_endpoints/common_utils.py",
        "litellm/proxy/pass_through_endpoints/anthropic_passthrough_endpoints.py",
        "litellm/proxy/anthropic_endpoints/endpoints.py",
        "litellm/proxy/management_endpoints/key_management_endpoints.py",
        "litellm/llms/anthropic/chat.py",  # outside the parent package
        "tests/proxy/test_anthropic_passthrough.py",
        "litellm/proxy/tests/test_anthropic.py",
    ]
    found = candidates(paths, origin, route_words("/anthropic/{endpoint:path}"))
    assert found == [
        "litellm/proxy/pass_through_endpoints/anthropic_passthrough_endpoints.py",
        "litellm/proxy/anthropic_endpoints/endpoints.py",
        "litellm/proxy/pass_through_endpoints/common_utils.py",
    ]


def test_route_words_are_the_literal_segments() -> None:
    assert route_words("/vertex_ai/discovery/{endpoint:path}") == {"vertex", "ai", "discovery"}


def test_a_local_unpacked_from_a_call_reads_as_that_call() -> None:
    # Upstream 2024-08: `is_valid_ip = _check_valid_ip(...)` became a tuple unpacking; same check.
    texts = []
    for binding in ("ok = check_ip(request)", "ok, address = check_ip(request)"):
        source = f"def f(request):\n    {binding}\n    return not ok\n".encode()
        parsed = parse_file("m.py", "", source)
        ret = parsed.functions["f"].body.body[-1]
        assert isinstance(ret, cst.SimpleStatementLine)
        small = ret.body[0]
        assert isinstance(small, cst.Return) and small.value is not None
        texts.append(Renderer(parsed, "f").expression(small.value))
    assert texts == ["not check_ip(...)", "not check_ip(...)"]
