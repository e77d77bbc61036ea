"""Upstream text in every command's output is inert inside GitHub Actions: no forged commands."""

from __future__ import annotations

import json
import re

import pytest
from support import PASSTHROUGH, Project, git
from test_workflows import outside_stopped_regions

from watcher.actions.summary import MAX_SUMMARY_BYTES, markdown

pytestmark = pytest.mark.core_claims
TODAY = "2026-11-27"
ACTIONS = {"GITHUB_ACTIONS": "true"}
# A route path with a real newline (the \n escape in the upstream source) and workflow commands.
EVIL = "/x\\n::add-mask::leak\\n::stop-commands::zz\\n##[warning]forged/{p:path}"


def add_hostile_route(project: Project) -> str:
    text = project.upstream.read(PASSTHROUGH)
    text += (
        f'\n\n@router.api_route("{EVIL}", methods=["GET"])\n'
        "async def evil_route(request: Request):\n    return None\n"
    )
    return project.upstream.commit({PASSTHROUGH: text}, "hostile route")


def no_command_lines(text: str) -> bool:
    return not any(line.lstrip().startswith("::") or "##[" in line for line in text.splitlines())


def test_verify_json_on_stdout_forges_no_command_and_parses_the_same(project: Project) -> None:
    add_hostile_route(project)
    result = project.run("verify", "--today", TODAY, "--json", "-", "--no-issues", env=ACTIONS)
    assert result.code == 1
    assert no_command_lines(result.out)
    document = json.loads(result.out)
    messages = " ".join(c["message"] for c in document["claims"])
    assert "\n::add-mask::leak" in messages  # the data is all there, only its text is shielded


def test_accept_output_is_shielded(project: Project) -> None:
    add_hostile_route(project)
    result = project.run("accept", env=ACTIONS)
    assert result.code == 0, result.err
    assert "::add-mask::leak" in result.out  # shown, as text
    assert outside_stopped_regions(result.out.splitlines()) == []
    assert outside_stopped_regions(result.err.splitlines()) == []
    # Outside Actions, the route path is still one line.
    plain = project.run("accept")
    assert not any(line.startswith("::") for line in plain.out.splitlines())


def test_bisect_and_history_output_is_shielded(project: Project) -> None:
    assert project.run("verify", "--today", TODAY, "--no-issues").code == 0
    good = git(project.upstream.path, "rev-parse", "HEAD")
    add_hostile_route(project)
    project.upstream.commit({"README.md": "later\n"}, "::warning::subject")
    args = ["--cache-dir", str(project.cache)]
    bisect = project.run(
        "bisect", "--claim", "passthrough-routes-authenticated", "--good", good, *args, env=ACTIONS
    )
    assert bisect.code in (0, 1), bisect.err
    assert outside_stopped_regions(bisect.out.splitlines()) == []
    as_json = project.run(
        "bisect",
        "--claim",
        "passthrough-routes-authenticated",
        "--good",
        good,
        "--json",
        "-",
        *args,
        env=ACTIONS,
    )
    assert no_command_lines(as_json.out)
    json.loads(as_json.out)
    history = project.run("history", *args, env=ACTIONS)
    assert history.code == 0, history.err
    assert outside_stopped_regions(history.out.splitlines()) == []
    history_json = project.run("history", "--json", "-", *args, env=ACTIONS)
    assert no_command_lines(history_json.out)
    assert re.search(r"add-mask", history_json.out) is None or "\\u003a" in history_json.out
    json.loads(history_json.out)


def test_the_step_summary_is_capped_by_utf8_bytes() -> None:
    wide = ["漢字" * 500] * 400  # 400k characters, 1.2 MB of UTF-8
    text = markdown([], saved=wide)
    assert len(text.encode("utf-8")) <= MAX_SUMMARY_BYTES + 200
    assert len(text.encode("utf-8")) < 1024 * 1024
    assert "Summary cut at 900,000 bytes" in text
