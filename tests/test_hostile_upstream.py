"""Upstream files are untrusted input (issue 11): a file that would crash libcst or exhaust the
run is refused with a message that names the limit. Only the claims that need it error; the
others are still judged, and the report is still written.

Each hostile file here crashed or exhausted watcher before parse limits existed (libcst's native
parser segfaults on 1,300 nested parentheses), so these tests run watcher in a subprocess: a
regression fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import AUTH, PASSTHROUGH, Project, git

from watcher.facts.limits import ParseLimits, configure
from watcher.upstream.git_sync import GitUpstream

TODAY = "2026-11-27"
DISPATCH = "custom-auth-dispatch-order"  # the core claim that reads AUTH
PASSTHROUGH_CLAIMS = ("passthrough-routes-authenticated", "anthropic-passthrough-route")

pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    """In-process runs set the run's limits from the config; later tests start from defaults."""
    yield
    configure(ParseLimits())


def set_limits(project: Project, **limits: int) -> None:
    table = "".join(f"{key} = {value}\n" for key, value in limits.items())
    config = project.root / "watcher.toml"
    config.write_text(f"[limits]\n{table}\n" + config.read_text(encoding="utf-8"))


def hostile_auth(project: Project, tail: str) -> None:
    """The auth module with hostile code appended: the dispatch claim needs that file."""
    project.upstream.commit({AUTH: project.upstream.read(AUTH) + "\n" + tail}, "hostile")


def verify(project: Project, *, in_process: bool = False) -> tuple[int, dict[str, object]]:
    report = project.root / "report.json"
    args = ("verify", "--today", TODAY, "--dry-run", "--no-issues", "--json", str(report))
    result = project.run(*args) if in_process else project.run_process(*args)
    assert result.code in (0, 1, 2), (result.code, result.err[-2000:])
    assert "Traceback" not in result.err, result.err
    return result.code, json.loads(report.read_text(encoding="utf-8"))


def claims(report: dict[str, object]) -> dict[str, dict[str, str]]:
    listed = report["claims"]
    assert isinstance(listed, list)
    return {claim["id"]: claim for claim in listed}


def assert_only_dispatch_errors(report: dict[str, object], says: str) -> str:
    found = claims(report)
    assert found[DISPATCH]["status"] == "error"
    message = found[DISPATCH]["message"]
    assert AUTH in message and says in message, message
    for claim in PASSTHROUGH_CLAIMS:  # judged as before: they do not need the hostile file
        assert found[claim]["status"] == "pass", found[claim]
    assert report["status"] == "error"
    return message


def test_one_line_of_deep_parentheses_is_refused_by_depth(project: Project) -> None:
    hostile_auth(project, "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    code, report = verify(project)
    assert code == 2
    message = assert_only_dispatch_errors(report, "nesting depth 1500 exceeds the limit 100")
    assert "(limits.max_depth)" in message


def test_many_lines_of_deeply_nested_lists_are_refused_by_depth(project: Project) -> None:
    # 20 lines of lists nested 1,200 deep (48 kB) took 23 GB before the kernel killed the run.
    hostile_auth(project, ("x = " + "[" * 1200 + "]" * 1200 + "\n") * 20)
    code, report = verify(project)
    assert code == 2
    assert_only_dispatch_errors(report, "nesting depth 1200 exceeds the limit 100")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_limits(project, max_bytes=100_000)
    hostile_auth(project, "# padding\n" * 12_000)
    oversized = git(project.upstream.path, "rev-parse", f"HEAD:{AUTH}")
    read: list[str] = []
    real_blob = GitUpstream._blob

    def recording_blob(self: GitUpstream, oid: str) -> bytes:
        read.append(oid)
        return real_blob(self, oid)

    monkeypatch.setattr(GitUpstream, "_blob", recording_blob)
    code, report = verify(project, in_process=True)
    assert code == 2
    message = assert_only_dispatch_errors(report, "exceeds the limit 100000 (limits.max_bytes)")
    assert f"{AUTH}: {len(project.upstream.read(AUTH))} bytes" in message
    assert read and oversized not in read
    assert [path for card in report["cards"] for path in card["parsed"]] == [PASSTHROUGH]


def test_a_long_operator_chain_on_one_line_is_refused_by_line_length(project: Project) -> None:
    hostile_auth(project, "x = " + "-" * 30_000 + "1\n")
    code, report = verify(project)
    assert code == 2
    assert_only_dispatch_errors(report, "exceeds the limit 20000 (limits.max_line)")


def test_a_file_that_segfaults_libcst_only_crashes_the_child(project: Project) -> None:
    # With the depth limit raised, 1,500 parentheses reach the child process and crash it there.
    set_limits(project, max_depth=5000)
    hostile_auth(project, "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    code, report = verify(project)
    assert code == 2
    assert_only_dispatch_errors(report, "libcst crashed parsing it (SIGSEGV")


def test_a_multi_line_chain_under_every_hard_limit_crashes_only_the_child(
    project: Project,
) -> None:
    # 100,000 `not` inside parentheses: short lines, depth 1; libcst overflows its stack.
    hostile_auth(project, "x = (\n" + "not\n" * 100_000 + "1)\n")
    code, report = verify(project)
    assert code == 2
    assert_only_dispatch_errors(report, "libcst crashed parsing it (SIGSEGV")


def test_a_long_elif_chain_crashes_only_the_child(project: Project) -> None:
    # Every line is short and flat, but each elif nests the rest of the if statement: libcst
    # overflows its stack between 7,000 and 10,000 of them.
    hostile_auth(project, "if a: pass\n" + "elif a: pass\n" * 10_000)
    code, report = verify(project)
    assert code == 2
    assert_only_dispatch_errors(report, "libcst crashed parsing it (SIGSEGV")


def test_a_parse_over_the_memory_limit_is_refused(project: Project) -> None:
    # 3,000 unary minus: under every hard limit, and libcst needs about 500 MB for the line.
    set_limits(project, parse_memory_mb=200)
    hostile_auth(project, "x = " + "-" * 3000 + "1\n")
    code, report = verify(project, in_process=True)
    assert code == 2
    assert_only_dispatch_errors(report, "needs more than 200 MB (limits.parse_memory_mb)")


def test_a_parse_over_the_cpu_limit_is_refused(project: Project) -> None:
    # A 3,000-long call chain `a()()...`: libcst needs about 6 s of CPU for it.
    set_limits(project, parse_seconds=1)
    hostile_auth(project, "x = a" + "()" * 3000 + "\n")
    code, report = verify(project, in_process=True)
    assert code == 2
    assert_only_dispatch_errors(report, "takes longer than 1 s (limits.parse_seconds)")


def test_the_run_stops_spawning_children_when_its_budget_is_spent(project: Project) -> None:
    # The passthrough module needs a child and takes it 2 s or more: with a 1 s budget for the
    # run, the auth module, which needs one too, is refused; the passthrough claims are judged.
    set_limits(project, parse_budget_seconds=1)
    passthrough = project.upstream.read(PASSTHROUGH) + "\nx = a" + "()" * 2500 + "\n"
    project.upstream.commit({PASSTHROUGH: passthrough}, "slow")
    hostile_auth(project, "x = " + "(" * 60 + "1" + ")" * 60 + "\n")
    code, report = verify(project, in_process=True)
    assert code == 2
    assert_only_dispatch_errors(report, "s budget (limits.parse_budget_seconds)")


def test_a_file_outside_the_safe_envelope_is_checked_in_a_child_and_then_judged(
    project: Project,
) -> None:
    # Depth 60 is under the limit but outside the envelope parsed in-process without a check.
    hostile_auth(project, "x = " + "(" * 60 + "1" + ")" * 60 + "\n")
    code, report = verify(project, in_process=True)
    assert code == 0, report
    assert all(claim["status"] == "pass" for claim in claims(report).values())


def test_a_refusal_is_not_cached_raising_the_limit_takes_effect(project: Project) -> None:
    hostile_auth(project, "x = " + "(" * 150 + "1" + ")" * 150 + "\n")
    code, report = verify(project, in_process=True)
    assert code == 2
    assert_only_dispatch_errors(report, "nesting depth 150 exceeds the limit 100")

    set_limits(project, max_depth=200)
    code, report = verify(project, in_process=True)
    assert code == 0, report
    assert [path for card in report["cards"] for path in card["parsed"]] == [AUTH]


# Runs `watcher verify` in a fresh interpreter and lists the parse-limit modules it imported.
PROBE = """
import contextlib, io, json, sys
from watcher.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
loaded = [name for name in ("watcher.facts.sandbox", "watcher.facts.guards", "libcst")
          if name in sys.modules]
print(json.dumps({"code": code, "loaded": loaded}))
"""


def test_a_warm_run_neither_measures_nor_spawns(project: Project) -> None:
    args = [
        "verify",
        "--today",
        TODAY,
        "--dry-run",
        "--no-issues",
        "--cache-dir",
        str(project.cache),
    ]
    assert project.run(*args).code == 0  # cold: fills the facts cache
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe == {"code": 0, "loaded": []}


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('max_depth = "deep"', "limits.max_depth: expected int, got str"),
        ("max_depth = 0", "limits.max_depth: must be at least 1"),
        ("colour = 1", "limits.colour: unknown key (known: max_bytes, max_depth, max_line, "),
    ],
)
def test_limits_are_validated_with_breadcrumbs(project: Project, table: str, says: str) -> None:
    config = project.root / "watcher.toml"
    config.write_text(f"[limits]\n{table}\n\n" + config.read_text(encoding="utf-8"))
    result = project.run("verify", "--today", TODAY, "--dry-run")
    assert result.code == 2
    assert says in result.err, result.err


def test_the_default_limits_are_the_documented_ones() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name, value in vars(ParseLimits()).items():
        assert f"| `{name}` | {value:,} |" in readme, name
