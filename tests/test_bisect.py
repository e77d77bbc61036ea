"""`watcher bisect` (and the first commit named in verify's report) on small histories built here,
straight ones and ones where the change came in through a merge."""

from __future__ import annotations

import json

import pytest
from support import AUTH, PASSTHROUGH, Project, Upstream, git

DISPATCH = "custom-auth-dispatch-order"
ENTERPRISE = "        if enterprise_custom_auth is not None:"
USER = "        elif user_custom_auth is not None:"
LITELLM = "        ### LITELLM-DEFINED"


def reorder(text: str) -> str:
    """The dispatch with user_custom_auth before enterprise_custom_auth (real drift)."""
    enterprise = text[text.index(ENTERPRISE) : text.index(USER)]
    user = text[text.index(USER) : text.index(LITELLM)]
    swapped = user.replace("elif", "if", 1) + enterprise.replace("if", "elif", 1)
    return text.replace(enterprise + user, swapped)


def comment(text: str, note: str) -> str:
    return f"# {note}\n" + text


def bisect(project: Project, *args: str) -> tuple[int, dict[str, object], str]:
    result = project.run("bisect", "--cache-dir", str(project.cache), *args, "--json", "-")
    document = json.loads(result.out) if result.out else {}
    return result.code, document, result.err


@pytest.fixture
def baseline(project: Project) -> str:
    """The accepted baseline: verify at the first commit writes the snapshot."""
    assert project.run("verify", "--cache-dir", str(project.cache)).code == 0
    return git(project.upstream.path, "rev-parse", "HEAD")


def test_bisect_names_the_commit_that_changed_the_dispatch(project: Project, baseline: str) -> None:
    upstream = project.upstream
    auth = upstream.read(AUTH)
    upstream.commit({AUTH: comment(auth, "one")}, "comment")
    upstream.commit({PASSTHROUGH: comment(upstream.read(PASSTHROUGH), "x")}, "other file")
    upstream.commit({AUTH: comment(reorder(auth), "one")}, "Reorder custom auth (#42)")
    culprit = git(upstream.path, "rev-parse", "HEAD")
    for n in range(3):
        upstream.commit({AUTH: comment(reorder(auth), f"after {n}")}, f"later {n}")
    code, found, err = bisect(project, "--claim", DISPATCH)
    assert code == 0, err
    assert found["status"] == "found"
    first = found["first_commit"]
    assert isinstance(first, dict)
    assert first["commit"] == culprit
    assert first["subject"] == "Reorder custom auth (#42)"
    assert first["permalink"] == f"https://github.com/BerriAI/litellm/commit/{culprit}"
    assert (first["before"], first["after"]) == ("pass", "drift")
    assert first["merge"] is False and first["merged_from"] is None
    assert found["good"]["commit"] == baseline  # type: ignore[index]
    assert found["candidates"] == 5  # commits touching the claim's own file only
    assert any("branches[0].call" in line for line in found["diff"])  # type: ignore[union-attr]
    assert f"first changed in {culprit[:12]}" in err  # the human summary, on stderr with --json -


def test_a_change_merged_from_a_branch_names_the_branch_commit(
    project: Project, baseline: str
) -> None:
    upstream = project.upstream
    auth = upstream.read(AUTH)
    upstream.commit({AUTH: comment(auth, "main 1")}, "main 1")
    git(upstream.path, "checkout", "-q", "-b", "feature")
    upstream.commit({"README.md": "feature docs\n"}, "feature docs")
    upstream.commit({AUTH: comment(auth, "feature 1")}, "feature comment")
    upstream.commit({AUTH: comment(reorder(auth), "feature 1")}, "feature: reorder dispatch")
    introduced = git(upstream.path, "rev-parse", "HEAD")
    upstream.commit({AUTH: comment(reorder(auth), "feature 2")}, "feature: tidy")
    git(upstream.path, "checkout", "-q", "main")
    upstream.commit({PASSTHROUGH: comment(upstream.read(PASSTHROUGH), "m")}, "main 2")
    git(upstream.path, "merge", "-q", "--no-ff", "-X", "theirs", "-m", "Merge feature", "feature")
    merge = git(upstream.path, "rev-parse", "HEAD")
    upstream.commit({AUTH: comment(reorder(auth), "main 3")}, "main 3")

    code, found, err = bisect(project, "--claim", DISPATCH)
    assert code == 0, err
    first = found["first_commit"]
    assert isinstance(first, dict)
    assert first["commit"] == merge and first["merge"] is True
    assert first["merged_from"]["commit"] == introduced
    assert first["merged_from"]["subject"] == "feature: reorder dispatch"
    assert "introduced on the merged branch by" in err

    # verify names the same commits in its report, for the drift issue and the console.
    result = project.run("verify", "--cache-dir", str(project.cache), "--json", "-")
    assert result.code == 1
    claim = next(c for c in json.loads(result.out)["claims"] if c["id"] == DISPATCH)
    assert claim["first_commit"]["commit"] == merge
    assert claim["first_commit"]["merged_from"]["commit"] == introduced
    assert f"first changed in {merge[:12]}" in result.err


def test_a_change_made_by_the_merge_itself(project: Project, baseline: str) -> None:
    upstream = project.upstream
    auth = upstream.read(AUTH)
    git(upstream.path, "checkout", "-q", "-b", "feature")
    upstream.commit({AUTH: comment(auth, "feature")}, "feature comment")
    git(upstream.path, "checkout", "-q", "main")
    git(upstream.path, "merge", "-q", "--no-ff", "--no-commit", "feature")
    (upstream.path / AUTH).write_text(comment(reorder(auth), "feature"), encoding="utf-8")
    git(upstream.path, "add", "-A")
    git(upstream.path, "commit", "-q", "-m", "Merge feature, resolving by hand")
    merge = git(upstream.path, "rev-parse", "HEAD")
    code, found, err = bisect(project, "--claim", DISPATCH)
    assert code == 0, err
    first = found["first_commit"]
    assert isinstance(first, dict)
    assert first["commit"] == merge and first["merge"] is True and first["merged_from"] is None
    assert "the change is the merge's own" in err


def test_nothing_changed_exits_1(project: Project, baseline: str) -> None:
    project.upstream.commit({AUTH: comment(project.upstream.read(AUTH), "c")}, "comment only")
    code, found, _err = bisect(project, "--claim", DISPATCH)
    assert code == 1
    assert found["status"] == "unchanged" and found["first_commit"] is None
    assert found["candidates"] == 1


def test_good_and_bad_can_be_given(project: Project, baseline: str) -> None:
    upstream = project.upstream
    auth = upstream.read(AUTH)
    broken = upstream.commit({AUTH: reorder(auth)}, "break")
    fixed = upstream.commit({AUTH: auth}, "fix")
    upstream.commit({AUTH: reorder(auth)}, "break again")
    code, found, _err = bisect(project, "--claim", DISPATCH, "--good", fixed[:10])
    assert code == 0
    assert found["good"]["commit"] == fixed  # type: ignore[index]
    code, found, _err = bisect(
        project, "--claim", DISPATCH, "--good", baseline, "--bad", f"{fixed[:12]}~1"
    )
    assert code == 0
    assert found["first_commit"]["commit"] == broken  # type: ignore[index]


def other_branch_commit(upstream: Upstream) -> str:
    git(upstream.path, "checkout", "-q", "-b", "elsewhere")
    made = upstream.commit({"README.md": "elsewhere\n"}, "not on main")
    git(upstream.path, "checkout", "-q", "main")
    return made


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "no-such-claim"], "--claim no-such-claim: no such claim (known: "),
        (["--claim", DISPATCH, "--good", "0123456789abcdef"], "is not a commit in"),
        (["--claim", DISPATCH, "--good", "main..x"], "is not a commit id, branch or tag"),
        (["--claim", DISPATCH, "--good", "OTHER"], "is not an ancestor of bad"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    project: Project, baseline: str, args: list[str], message: str
) -> None:
    args = [other_branch_commit(project.upstream) if a == "OTHER" else a for a in args]
    result = project.run("bisect", "--cache-dir", str(project.cache), *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_without_a_baseline_good_is_required(project: Project) -> None:
    result = project.run("bisect", "--cache-dir", str(project.cache), "--claim", DISPATCH)
    assert result.code == 2
    assert "has no baseline in snapshots/; give --good COMMIT" in result.err
