"""`watcher history` end to end on a small upstream history built here (branches and a merge)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import AUTH, MACHINERY, PASSTHROUGH, Project, Upstream, git

ROUTES = "passthrough-routes-authenticated"
DISPATCH = "custom-auth-dispatch-order"
COHERE = "DELETE,GET,PATCH,POST,PUT cohere_proxy_route"
COHERE_AUTH = "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n"


def drop_cohere_auth(text: str) -> str:
    cohere = text.index("async def cohere_proxy_route(")
    head, tail = text[:cohere], text[cohere:]
    return head + tail.replace(COHERE_AUTH, "", 1).replace("user_api_key_dict)", "None)", 1)


def commit_at(upstream: Upstream, files: dict[str, str], message: str, date: str) -> str:
    for rel, content in files.items():
        (upstream.path / rel).write_text(content, encoding="utf-8")
    git(upstream.path, "add", "-A")
    stamp = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git(upstream.path, "commit", "-q", "-m", message, env=stamp)
    return git(upstream.path, "rev-parse", "HEAD")


def timeline(project: Project, *args: str) -> dict[str, object]:
    result = project.run("history", "--cache-dir", str(project.cache), *args, "--json", "-")
    assert result.code == 0, result.err
    cards = json.loads(result.out)["cards"]
    assert len(cards) == 1
    card: dict[str, object] = cards[0]
    return card


def statuses(entry: dict[str, object]) -> dict[str, str]:
    claims = entry["claims"]
    assert isinstance(claims, list)
    return {claim["id"]: claim["status"] for claim in claims}


@pytest.fixture
def history(project: Project) -> dict[str, str]:
    """c0 (start) -> readme -> drop auth -> comment -> merge of a branch that restores auth."""
    upstream = project.upstream
    ids = {"start": git(upstream.path, "rev-parse", "HEAD")}
    ids["readme"] = upstream.commit({"README.md": "docs\n"}, "docs only")
    original = upstream.read(PASSTHROUGH)
    ids["drop"] = upstream.commit({PASSTHROUGH: drop_cohere_auth(original)}, "drop cohere auth")
    auth = upstream.read(AUTH)
    ids["comment"] = upstream.commit({AUTH: "# a comment\n" + auth}, "comment only")
    git(upstream.path, "checkout", "-q", "-b", "fix")
    ids["fix"] = upstream.commit({PASSTHROUGH: original}, "restore cohere auth")
    git(upstream.path, "checkout", "-q", "main")
    ids["other"] = upstream.commit({"README.md": "more docs\n"}, "docs again")
    git(upstream.path, "merge", "-q", "--no-ff", "-m", "Merge branch 'fix'", "fix")
    ids["merge"] = git(upstream.path, "rev-parse", "HEAD")
    return ids


pytestmark = pytest.mark.core_claims  # the first card's three core claims (conftest)


def test_history_lists_first_parent_commits_touching_the_files_oldest_first(
    project: Project, history: dict[str, str]
) -> None:
    card = timeline(project, "--since", history["start"])
    commits = card["commits"]
    assert isinstance(commits, list)
    assert [c["commit"] for c in commits] == [history["drop"], history["comment"], history["merge"]]
    drop, comment, merge = commits
    assert statuses(drop)[ROUTES] == "drift" and drop["changed"] is True
    assert drop["changed_paths"] == [PASSTHROUGH]
    routes = next(c for c in drop["claims"] if c["id"] == ROUTES)
    assert routes["changed"] is True
    assert routes["diff"] == [
        f"routes[/cohere/{{endpoint:path}} {COHERE}].auth.{field}: {change}"
        for field, change in [
            ("function", '"user_api_key_auth" -> ""'),
            ("mechanism", '"depends" -> ""'),
            ("status", '"authenticated" -> "none"'),
        ]
    ]
    assert comment["changed"] is False  # a comment changes the blob, not the facts
    assert merge["merge"] is True and merge["parents"][1] == history["fix"]
    assert statuses(merge) == {
        ROUTES: "pass",
        "anthropic-passthrough-route": "pass",
        DISPATCH: "pass",
    }
    since = card["since"]
    assert isinstance(since, dict) and since["commit"] == history["start"]
    assert card["upstream"] == {
        "url": project.upstream.url,
        "ref": "main",
        "commit": history["merge"],
    }
    assert merge["permalink"] == f"https://github.com/BerriAI/litellm/commit/{history['merge']}"


def test_claim_narrows_the_walk_to_that_claims_files(
    project: Project, history: dict[str, str]
) -> None:
    card = timeline(project, "--since", history["start"], "--claim", DISPATCH)
    commits = card["commits"]
    assert isinstance(commits, list)
    # Only the auth module's commits: the passthrough changes are not this claim's business.
    assert [c["commit"] for c in commits] == [history["comment"]]
    assert list(statuses(commits[0])) == [DISPATCH]


def test_a_second_walk_parses_nothing(project: Project, history: dict[str, str]) -> None:
    first = timeline(project, "--since", history["start"])
    parsed = first["stats"]["parsed"]  # type: ignore[index]
    versions = {(p["path"], p["blob"]) for p in parsed}
    assert len(versions) == len(parsed) == 4  # each file version parsed exactly once
    second = timeline(project, "--since", history["start"])
    assert second["stats"]["parsed"] == []  # type: ignore[index]
    assert second["commits"] == first["commits"]


def test_the_table_is_for_people(project: Project, history: dict[str, str]) -> None:
    result = project.run("history", "--cache-dir", str(project.cache), "--since", history["start"])
    assert result.code == 0, result.err
    assert f"[1] {ROUTES}" in result.out
    rows = {
        row.group(1): row.group(0)
        for row in re.finditer(r"(?m)^\d{4}-\d\d-\d\d  ([0-9a-f]{12}) .*$", result.out)
    }
    assert "DRIFT" in rows[history["drop"][:12]]
    assert "(merge) Merge branch 'fix'" in rows[history["merge"][:12]]
    assert "(since)" in rows[history["start"][:12]]
    # What changed in the facts, under the commit that changed it.
    assert f"[1] routes[/cohere/{{endpoint:path}} {COHERE}].auth.status" in result.out


def test_since_defaults_to_the_baseline_commit(project: Project, history: dict[str, str]) -> None:
    head = git(project.upstream.path, "rev-parse", "HEAD")
    git(project.upstream.path, "reset", "-q", "--hard", history["drop"])
    accepted = project.run("accept", "--cache-dir", str(project.cache))
    assert accepted.code == 0, accepted.err
    git(project.upstream.path, "reset", "-q", "--hard", head)
    card = timeline(project)
    assert [c["commit"] for c in card["commits"]] == [history["comment"], history["merge"]]  # type: ignore[union-attr]


def test_since_a_date(project: Project) -> None:
    upstream = project.upstream
    auth = upstream.read(AUTH)
    old = commit_at(upstream, {AUTH: "# 1\n" + auth}, "old", "2024-05-20T10:00:00+00:00")
    new = commit_at(upstream, {AUTH: "# 2\n" + auth}, "new", "2024-06-02T10:00:00+00:00")
    card = timeline(project, "--since", "2024-06")
    assert [c["commit"] for c in card["commits"]] == [new]  # type: ignore[union-attr]
    assert card["since"]["commit"] == old  # type: ignore[index]


def test_many_versions_are_parsed_in_workers_with_the_same_outcome(project: Project) -> None:
    upstream = project.upstream
    start = git(upstream.path, "rev-parse", "HEAD")
    auth = upstream.read(AUTH)
    made = [upstream.commit({AUTH: f"# version {n}\n" + auth}, f"v{n}") for n in range(6)]
    swapped = auth.replace(
        "await user_custom_auth(request=request, api_key=api_key)",
        "await user_custom_auth(request=request)",
    )
    assert swapped != auth
    drift = upstream.commit({AUTH: swapped}, "break the dispatch")
    card = timeline(project, "--since", start)
    commits = card["commits"]
    assert [c["commit"] for c in commits] == [*made, drift]  # type: ignore[union-attr]
    assert [statuses(c)[DISPATCH] for c in commits] == ["pass"] * 6 + ["drift"]  # type: ignore[union-attr]
    parsed = card["stats"]["parsed"]  # type: ignore[index]
    assert len(parsed) == len({(p["path"], p["blob"]) for p in parsed}) == 7 + 2  # + the start's


def test_history_fetches_the_blobs_it_needs_in_one_batch(
    project: Project, history: dict[str, str], tmp_path: Path
) -> None:
    # Clone while upstream is at the start, so only the later versions are missing locally.
    git(project.upstream.path, "reset", "-q", "--hard", history["start"])
    assert project.run("verify", "--dry-run").code == 0
    git(project.upstream.path, "reset", "-q", "--hard", history["merge"])
    trace = tmp_path / "trace.json"
    result = project.run_process(
        "history", "--since", history["start"], "--json", "-",
        env={"GIT_TRACE2_EVENT": str(trace)},
    )  # fmt: skip
    assert result.code == 0, result.err
    fetches = []
    for line in trace.read_text().splitlines():
        event = json.loads(line)
        argv = event.get("argv", [])
        if event.get("event") == "start" and "fetch" in argv[1:4]:
            fetches.append(
                [a for a in argv if len(a) == 40 and all(c in "0123456789abcdef" for c in a)]
            )
    with_blobs = [oids for oids in fetches if oids]
    expected = {
        git(project.upstream.path, "rev-parse", f"{history['drop']}:{PASSTHROUGH}"),
        git(project.upstream.path, "rev-parse", f"{history['comment']}:{AUTH}"),
    }
    # The claims' own files: one batch. The route claim's scope (the rest of the package) is read
    # as the extractors ask for it: only its files' versions come later.
    assert set(with_blobs[0]) == expected
    machinery = git(project.upstream.path, "rev-parse", f"{history['start']}:{MACHINERY}")
    assert all(set(oids) <= {machinery} for oids in with_blobs[1:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13"], "--since '2024-13': not a date"),
        (["--since", "0123456789abcdef0123"], "is not a commit in"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project: Project, args: list[str], message: str) -> None:
    result = project.run("history", "--cache-dir", str(project.cache), *args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_a_walk_that_reaches_the_root_commit(project: Project) -> None:
    """The upstream's first commit touches the card's files: it has no parent (issue 12)."""
    root = git(project.upstream.path, "rev-list", "--max-parents=0", "HEAD")
    card = timeline(project, "--all")
    commits = card["commits"]
    assert isinstance(commits, list)
    assert [c["commit"] for c in commits] == [root]
    assert commits[0]["parents"] == []
    assert set(statuses(commits[0]).values()) == {"pass"}


def test_without_a_baseline_the_walk_is_bounded_and_says_so(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watcher.commands import history as command

    monkeypatch.setattr(command, "DEFAULT_WINDOW", 2)
    upstream = project.upstream
    auth = upstream.read(AUTH)
    made = [upstream.commit({AUTH: f"# version {n}\n" + auth}, f"v{n}") for n in range(4)]
    result = project.run("history", "--cache-dir", str(project.cache), "--json", "-")
    assert result.code == 0, result.err
    assert [c["commit"] for c in json.loads(result.out)["cards"][0]["commits"]] == made[-2:]
    assert "no baseline yet; walking the newest 2 of the 5 commits" in result.err
    assert "--all walks every one" in result.err
    whole = project.run("history", "--cache-dir", str(project.cache), "--all", "--json", "-")
    assert whole.code == 0, whole.err
    assert len(json.loads(whole.out)["cards"][0]["commits"]) == 5
    assert "walking all 5 commits that touched its files (--all)" in whole.err


def test_a_ref_or_date_with_a_trailing_newline_is_refused(project: Project) -> None:
    for args in (["--ref", "main\n"], ["--since", "2024-06\n"]):
        result = project.run("history", "--cache-dir", str(project.cache), *args)
        assert result.code == 2, args
        assert len(result.err.strip().splitlines()) == 1, result.err
