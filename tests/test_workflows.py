"""GitHub Actions: the workflows pass actionlint (with shellcheck on every `run:` script), the
verify step maps exit codes as documented, and `verify` writes the job summary and annotations."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import AUTH, PASSTHROUGH, REPO_ROOT, Project

from watcher.scheduling.cron import parse_cron

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
VERIFY_YML = WORKFLOWS / "verify.yml"
TODAY = "2026-11-27"
CARD_FILE = "knowledge/litellm-proxy-authentication-hooks.md"
ROW_LINE = {"llm": 169, "auth": 170}  # the card's Sources rows the claims vouch for


pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


@pytest.fixture(autouse=True)
def _not_inside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the same inside a GitHub runner (where CI sets these) as anywhere."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def tool(name: str) -> str:
    """A tool from the test extra: next to this Python first, else on PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-shellcheck", tool("shellcheck"), "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_workflow_passes_actionlint() -> None:
    workflows = sorted(WORKFLOWS.glob("*.y*ml"))
    assert [path.name for path in workflows] == ["ci.yml", "verify.yml"]
    done = actionlint(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_and_shellcheck_do_catch_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        textwrap.dedent(
            """\
            on:
              push:
                branch: main
            permissions:
              contents: write
            jobs:
              x:
                runs-on: ubuntu-latest
                steps:
                  - run: |
                      args=(a b)
                      echo ${args[@]}
            """
        ),
        encoding="utf-8",
    )
    done = actionlint(broken)
    assert done.returncode == 1
    assert 'unexpected key "branch" for "push" section' in done.stdout
    assert "SC2068" in done.stdout  # shellcheck really runs on `run:` scripts


def workflow() -> str:
    return VERIFY_YML.read_text(encoding="utf-8")


def test_verify_workflow_schedule_triggers_and_permissions() -> None:
    text = workflow()
    cron = re.search(r'schedule:\n(?:\s+#.*\n)*\s+- cron: "([^"]+)"', text)
    assert cron, "no schedule cron"
    minute = int(cron[1].split()[0])
    assert minute % 2 == 1  # an odd minute, off the top-of-hour rush
    times = list(
        itertools.islice(parse_cron(cron[1]).fire_times(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), 3)
    )
    assert [b - a for a, b in itertools.pairwise(times)] == [dt.timedelta(days=1)] * 2  # daily
    for name in ("card", "ref", "dry_run"):
        assert re.search(rf"workflow_dispatch:\n(?:.*\n)*?      {name}:\n", text), name
    assert re.search(r"concurrency:\n\s+group: .+\n\s+cancel-in-progress: false\n", text)
    permissions = re.search(r"\npermissions:\n((?:  .*\n)+)", text)
    assert permissions
    granted = [line.split("#")[0].strip() for line in permissions[1].splitlines()]
    assert granted == ["contents: write", "issues: write"]
    assert "permissions" not in text.split("jobs:", 1)[1]  # no job widens them


PINNED = r"@[0-9a-f]{40} # v\d+\.\d+\.\d+"


def test_verify_workflow_caches_installs_and_uploads() -> None:
    text = workflow()
    # No pip cache in the job that holds a write token: CI (any push or pull request) shares it.
    assert "cache: pip" not in text
    cache = re.search(rf"uses: actions/cache{PINNED}\n\s+with:\n((?:\s{{10}}.*\n)+)", text)
    assert cache
    block = cache[1]
    path = re.search(r"path: (\S+)", block)
    assert path and path[1] == "~/.cache/watcher"
    assert 'WATCHER_CACHE_DIR=$HOME/.cache/watcher" >> "$GITHUB_ENV"' in text  # the same place
    assert "github.run_id" in re.search(r"key: (.+)", block)[1]  # type: ignore[index]
    assert re.search(r"restore-keys: \|\n\s+watcher-upstream-\$\{\{ runner.os \}\}-\n", block)
    assert "python -m pip install --constraint constraints.txt ." in text
    upload = re.search(
        rf"- name: Upload the JSON report\n\s+if: always\(\)\n\s+uses: actions/upload-artifact{PINNED}",
        text,
    )
    assert upload
    # watcher writes the summary and commits itself; the workflow must not re-implement it.
    assert "GITHUB_STEP_SUMMARY" not in text and "git push" not in text and "git commit" not in text


def verify_step_script() -> str:
    lines = workflow().splitlines()
    start = lines.index("      - name: Verify cards")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    body = list(
        itertools.takewhile(lambda line: not line or line.startswith(" " * 10), lines[run + 1 :])
    )
    return textwrap.dedent("\n".join(body)) + "\n"


def run_step(tmp_path: Path, exit_code: int, **inputs: str) -> tuple[int, str, list[str], str]:
    """Run the workflow's verify script as the runner does (bash -eo pipefail), with a
    stand-in `watcher` that exits `exit_code`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "watcher"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\nexit {exit_code}\n')
    fake.chmod(0o755)
    output = tmp_path / "github_output"
    output.write_text("")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "REPORT": str(tmp_path / "report.json"),
        "CARD": inputs.get("card", ""),
        "REF": inputs.get("ref", ""),
        "DRY_RUN": inputs.get("dry_run", ""),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", verify_step_script()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    args = (tmp_path / "args").read_text().splitlines()
    return done.returncode, done.stdout, args, output.read_text()


@pytest.mark.parametrize(("code", "red"), [(0, False), (1, False), (2, True)])
def test_the_verify_step_is_red_only_when_watcher_could_not_verify_or_save(
    tmp_path: Path, code: int, red: bool
) -> None:
    step, out, args, output = run_step(tmp_path, code)
    assert (step != 0) == red
    assert output == f"exit-code={code}\n"
    assert args == ["verify", "--json", str(tmp_path / "report.json"), "--commit", "--push"]
    if code == 1:
        assert "Drift reported" in out
    if red:
        assert step == code and "::error title=watcher could not verify or save::" in out


def test_the_verify_step_passes_dispatch_inputs(tmp_path: Path) -> None:
    _, _, args, _ = run_step(tmp_path, 0, card="my-card", ref="v1.2 3", dry_run="true")
    assert args[3:] == ["--card", "my-card", "--ref", "v1.2 3", "--dry-run"]


# --- what `verify` itself writes inside Actions -------------------------------------------


@pytest.fixture
def actions_env(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def drop_cohere_auth(project: Project) -> None:
    text = project.upstream.read(PASSTHROUGH)
    cohere = text.index("async def cohere_proxy_route(")
    tail = text[cohere:].replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    project.upstream.commit(
        {PASSTHROUGH: text[:cohere] + tail.replace("user_api_key_dict)", "None)", 1)}, "drop auth"
    )


def test_drift_becomes_warnings_on_the_card_row_and_a_summary_table(
    project: Project, actions_env: dict[str, str]
) -> None:
    drop_cohere_auth(project)
    result = project.run("verify", "--today", TODAY, env=actions_env)
    assert result.code == 1
    lines = result.out.splitlines()
    # The console report sits between stop-commands markers: nothing in it acts as a command.
    token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert token
    resume = lines.index(f"::{token[1]}::")
    assert any("DRIFT  passthrough-routes-authenticated" in line for line in lines[1:resume])
    annotations = [
        line for line in lines[resume + 1 :] if line.startswith(("::warning", "::error"))
    ]
    assert annotations == [
        f"::warning file={CARD_FILE},line={ROW_LINE['llm']},title=watcher drift%3A passthrough-routes-authenticated"
        "::litellm-proxy-authentication-hooks: 1 of 8 routes in scope do not always reach user_api_key_auth: "
        "/cohere/{endpoint:path} in litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py:50 (none)"
    ]
    summary = Path(actions_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("## watcher verify: ⚠️ drift\n")
    assert "| status | claim | result |\n|---|---|---|\n" in summary
    assert "| ⚠️ DRIFT | `passthrough-routes-authenticated` | 1 of 8 routes" in summary
    assert "| ✅ PASS | `anthropic-passthrough-route` |" in summary
    assert "(https://github.com/BerriAI/litellm/blob/" in summary  # evidence permalinks
    # The drift holds back its own row only: the user_api_key_auth row is dated.
    assert (
        "- Last Verified https://github.com/BerriAI/litellm/blob/main/litellm/proxy/auth/user\\_api\\_key\\_auth.py: 2026-04-19 → "
        in summary
    )


def test_errors_become_error_annotations_and_the_run_is_exit_2(
    project: Project, actions_env: dict[str, str]
) -> None:
    project.upstream.commit({AUTH: None}, "move the auth module away")
    result = project.run("verify", "--today", TODAY, "--json", "-", env=actions_env)
    assert result.code == 2
    # With --json -, stdout is the JSON alone; the commands go to the human stream (stderr).
    assert result.out.lstrip().startswith("{") and "::" not in result.out
    errors = [line for line in result.err.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(
        f"::error file={CARD_FILE},line={ROW_LINE['auth']},title=watcher could not verify%3A custom-auth-dispatch-order::"
    )
    summary = Path(actions_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "## watcher verify: ❌ could not verify" in summary
    assert "| ❌ ERROR | `custom-auth-dispatch-order` |" in summary


def outside_stopped_regions(lines: list[str]) -> list[str]:
    """The lines the runner would read as commands: those outside every ::stop-commands:: region."""
    out: list[str] = []
    token = None
    for line in lines:
        if token is None and line.startswith("::stop-commands::"):
            token = line.removeprefix("::stop-commands::")
        elif token is not None and line == f"::{token}::":
            token = None
        elif token is None:
            out.append(line)
    assert token is None, "a stopped region was never closed"
    return out


def test_hostile_upstream_text_cannot_break_out(
    project: Project, actions_env: dict[str, str]
) -> None:
    evil = "/x|<img src=y>`@octocat``` %0A\\n::error::pwned/{p:path}"
    text = project.upstream.read(PASSTHROUGH)
    text += f'\n\n@router.api_route("{evil}", methods=["GET"])\nasync def evil_route(request: Request):\n    return None\n'
    project.upstream.commit({PASSTHROUGH: text}, "hostile route")
    result = project.run("verify", "--today", TODAY, env=actions_env)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("::stop-commands::")
    after = outside_stopped_regions(lines)
    # Outside the stopped regions the only commands are our annotations, each on one line.
    assert len(after) == 1 and after[0].startswith("::warning file=")
    assert "%250A%0A::error::pwned" in after[0]  # % and the newline escaped as data
    summary = Path(actions_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    row = next(line for line in summary.splitlines() if "DRIFT" in line and "|" in line)
    assert row.count(" | ") == 2 and row.endswith(" |")  # the table row stays one row
    assert "<img" not in summary and "&lt;img src=y&gt;" in summary
    assert "@octocat" not in summary and "@\u2060octocat" in summary
    assert "\\\\n::error::pwned" in row  # the newline shown, not taken


def test_outside_actions_nothing_of_this_is_written(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    drop_cohere_auth(project)
    result = project.run("verify", "--today", TODAY)
    assert result.code == 1
    assert "::" not in result.out and "::" not in result.err
    assert not (tmp_path / "summary.md").exists()


def test_an_unwritable_summary_is_one_line_not_a_failure(project: Project, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")}
    result = project.run("verify", "--today", TODAY, env=env)
    assert result.code == 0
    assert "watcher: could not write the job summary to" in result.err
