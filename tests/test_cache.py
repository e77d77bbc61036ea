"""The facts cache: an unchanged blob is parsed once, across runs and across commits, and the
daily run where no watched blob changed parses nothing (libcst is not even imported)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support import AUTH, PASSTHROUGH, Project, git

TODAY = "2026-11-27"

# Runs `watcher verify` in a fresh interpreter and says whether libcst was ever imported.
PROBE = """
import contextlib, io, json, sys
from watcher.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "libcst": "libcst" in sys.modules, "report": out.getvalue()}))
"""


def parsed(result_out: str) -> list[str]:
    report = json.loads(result_out)
    return [path for card in report["cards"] for path in card["parsed"]]


def without_permalinks(out: str) -> list[dict[str, object]]:
    """The claims of a report, permalinks (which name the commit) left out."""
    claims = json.loads(out)["claims"]
    for claim in claims:
        for evidence in claim["evidence"]:
            evidence.pop("permalink")
    return list(claims)


pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


def test_a_blob_is_parsed_once_across_runs_and_commits(project: Project) -> None:
    # --dry-run keeps the baseline out, so the first and the last report can be compared whole.
    first = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
    assert first.code == 0, first.err
    assert sorted(parsed(first.out)) == sorted([PASSTHROUGH, AUTH])

    # Only the passthrough module changes: the auth module's blob is the same, not parsed again.
    text = project.upstream.read(PASSTHROUGH)
    project.upstream.commit({PASSTHROUGH: text + "\n# a comment\n"}, "touch passthrough")
    second = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
    assert second.code == 0, second.err
    assert parsed(second.out) == [PASSTHROUGH]

    # Back to the first version of the file: that blob was seen before, so nothing is parsed.
    project.upstream.commit({PASSTHROUGH: text}, "revert")
    third = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
    assert third.code == 0, third.err
    assert parsed(third.out) == []
    assert without_permalinks(third.out) == without_permalinks(first.out)


def test_cached_facts_keep_their_evidence_lines(project: Project) -> None:
    first = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
    again = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
    assert parsed(again.out) == []
    before, after = json.loads(first.out)["claims"], json.loads(again.out)["claims"]
    assert after == before  # messages, evidence lines and permalinks, all from the cache
    lines = [e["line"] for claim in after for e in claim["evidence"]]
    assert lines and all(isinstance(line, int) and line > 0 for line in lines)


def probe(project: Project, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args, "--cache-dir", str(project.cache)],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_no_change_run_parses_nothing_and_never_imports_libcst(project: Project) -> None:
    cold = probe(project, "verify", "--today", TODAY)
    assert cold["code"] == 0 and cold["libcst"] is True  # the first run had to parse

    # Upstream did not move.
    still = probe(project, "verify", "--today", "2026-11-28")
    assert still["code"] == 0 and still["libcst"] is False

    # Upstream moved without touching a watched file: new commit, same blobs.
    moved = project.upstream.commit({"README.md": "litellm stand-in, v2\n"}, "docs only")
    after = probe(project, "verify", "--today", "2026-11-29", "--json", "-")
    assert after["code"] == 0 and after["libcst"] is False
    report = json.loads(str(after["report"]))
    assert report["upstream"]["commit"] == moved  # the ref was still fetched and resolved
    assert report["status"] == "verified"
    assert all(claim["status"] == "pass" for claim in report["claims"])  # still evaluated
    assert "2026-11-29" in project.card_text()  # and still acted on
    assert json.loads(project.snapshot.read_text())["upstream"]["commit"] == moved


def test_a_changed_blob_is_still_noticed_on_the_fast_path(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    text = project.upstream.read(AUTH)
    swapped = text.replace("        if enterprise_custom_auth is not None:", "        if False:", 1)
    assert swapped != text
    project.upstream.commit({AUTH: swapped}, "change the dispatch")
    result = project.run("verify", "--today", "2026-12-01", "--json", "-")
    assert result.code == 1, result.err
    assert parsed(result.out) == [AUTH]
    claims = {c["id"]: c["status"] for c in json.loads(result.out)["claims"]}
    assert claims["custom-auth-dispatch-order"] == "drift"


def test_a_damaged_cache_entry_is_a_miss_not_a_failure(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    entries = sorted((project.cache / "facts").rglob("*.json"))
    # One per (extractor, params, file): the route claim reads its scope, the declared route its
    # file, the dispatch claim its file.
    assert len(entries) == 3
    for entry in entries:
        entry.write_text("{not json", encoding="utf-8")
    result = project.run("verify", "--today", TODAY, "--json", "-")
    assert result.code == 0, result.err
    assert sorted(parsed(result.out)) == sorted([PASSTHROUGH, AUTH])
    assert all(json.loads(e.read_text())["variants"] for e in entries)  # rewritten whole


def test_the_cache_lives_under_the_cache_dir_by_version(project: Project) -> None:
    assert project.run("verify", "--today", TODAY).code == 0
    versions = [p for p in (project.cache / "facts").iterdir() if p.is_dir()]
    assert len(versions) == 1
    head = git(project.upstream.path, "rev-parse", "HEAD")
    stored = [json.loads(p.read_text()) for p in versions[0].rglob("*.json")]
    blobs = {entry["key"]["blob"] for entry in stored}
    assert blobs == {
        git(project.upstream.path, "rev-parse", f"{head}:{PASSTHROUGH}"),
        git(project.upstream.path, "rev-parse", f"{head}:{AUTH}"),
    }


def test_a_cache_that_cannot_be_written_only_costs_time(project: Project) -> None:
    # A file where the facts directory should be: every read and write fails, even as root.
    project.cache.mkdir(parents=True)
    (project.cache / "facts").write_text("not a directory\n", encoding="utf-8")
    for _ in range(2):
        result = project.run("verify", "--today", TODAY, "--dry-run", "--json", "-")
        assert result.code == 0, result.err
        assert sorted(parsed(result.out)) == sorted([PASSTHROUGH, AUTH])  # parsed every time
    assert (project.cache / "facts").read_text(encoding="utf-8") == "not a directory\n"
