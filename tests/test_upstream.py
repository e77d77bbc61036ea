"""The upstream stage against real repositories: partial clone, incremental fetch, lock, URL safety."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import AUTH, PASSTHROUGH, Project, Upstream, git

from watcher.upstream import UpstreamError, UpstreamSpec, open_upstream
from watcher.upstream.urls import check_url, redact


def cached_repo(cache: Path) -> Path:
    repos = list((cache / "repos").iterdir())
    repos = [r for r in repos if r.is_dir() and not r.name.startswith(".")]
    assert len(repos) == 1
    return repos[0]


def blobs_in(repo: Path) -> set[str]:
    listing = git(
        repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)"
    )
    return {line.split()[1] for line in listing.splitlines() if line.startswith("blob ")}


def test_blobless_partial_clone_reads_only_the_needed_blobs(
    upstream: Upstream, tmp_path: Path
) -> None:
    for index in range(5):
        upstream.commit({f"litellm/other_{index}.py": f"x = {index}\n"}, f"unrelated {index}")
    cache = tmp_path / "cache"
    with open_upstream(UpstreamSpec(upstream.url, "main"), cache) as up:
        commit = up.resolve()
        files = up.read(commit, [PASSTHROUGH, AUTH, "missing.py"])
    assert files["missing.py"] is None
    assert files[AUTH] is not None and b"async def user_api_key_auth(" in files[AUTH].data
    repo = cached_repo(cache)
    assert git(repo, "config", "remote.origin.partialclonefilter") == "blob:none"
    assert git(repo, "rev-parse", "--is-bare-repository") == "true"
    expected = {git(upstream.path, "rev-parse", f"HEAD:{p}") for p in (PASSTHROUGH, AUTH)}
    assert blobs_in(repo) == expected  # README.md and the unrelated files were never fetched
    assert git(repo, "tag") == ""


def test_incremental_fetch_sees_new_commits(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with open_upstream(UpstreamSpec(upstream.url, "main"), cache) as up:
        first = up.resolve()
    newer = upstream.commit({"litellm/new.py": "y = 1\n"}, "newer")
    with open_upstream(UpstreamSpec(upstream.url, "main"), cache) as up:
        assert up.resolve() == newer != first
    with open_upstream(UpstreamSpec(upstream.url, first), cache) as up:
        assert up.resolve() == first  # a full commit id works as a ref


def test_tags_and_other_branches_resolve(upstream: Upstream, tmp_path: Path) -> None:
    git(upstream.path, "tag", "v1.0")
    git(upstream.path, "branch", "release")
    tip = git(upstream.path, "rev-parse", "HEAD")
    for ref in ("v1.0", "release"):
        with open_upstream(UpstreamSpec(upstream.url, ref), tmp_path / "cache") as up:
            assert up.resolve() == tip
    with (
        pytest.raises(UpstreamError, match="ref 'nope' not found"),
        open_upstream(UpstreamSpec(upstream.url, "nope"), tmp_path / "cache"),
    ):
        pass


def test_concurrent_runs_share_one_cache_safely(project: Project) -> None:
    """Two verifies at once on a cold cache: the lock serialises the clone; both succeed."""
    command = [
        sys.executable,
        "-m",
        "watcher",
        "verify",
        "--today",
        "2026-11-27",
        "--dry-run",
        "--cache-dir",
        str(project.cache),
    ]
    runs = [
        subprocess.Popen(
            command, cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outcomes = [(run.wait(timeout=120), run.stderr.read() if run.stderr else "") for run in runs]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    repo = cached_repo(project.cache)
    git(repo, "fsck", "--connectivity-only", "--no-dangling")  # raises on a broken repository


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/BerriAI/litellm.git",
        "ssh://git@github.com/BerriAI/litellm.git",
        "git@github.com:BerriAI/litellm.git",
        "file:///srv/mirror/litellm",
    ],
)
def test_accepted_url_forms(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://github.com/x/y",
        "ext::sh -c id",
        "-oProxyCommand=id",
        "--upload-pack=id",
        "fd::3",
        "ftp://x/y",
        "https://",
        "file://",
        "https://host/repo\nwith newline",
    ],
)
def test_refused_url_forms(url: str) -> None:
    with pytest.raises(UpstreamError):
        check_url(url)


def test_credentials_never_appear_in_messages(tmp_path: Path) -> None:
    secret = "ghp_supersecrettoken123"
    assert secret not in redact(
        f"fatal: unable to access 'https://x-access-token:{secret}@github.com/a/b'"
    )
    with (
        pytest.raises(UpstreamError) as caught,
        open_upstream(
            UpstreamSpec(f"file://user:{secret}@/nonexistent/repo", "main"), tmp_path / "cache"
        ),
    ):
        pass
    assert secret not in str(caught.value)


def test_a_full_commit_id_outside_the_fetched_branch_is_fetched_on_demand(
    upstream: Upstream, tmp_path: Path
) -> None:
    git(upstream.path, "checkout", "-q", "-b", "side")
    side = upstream.commit({"litellm/side.py": "z = 1\n"}, "only on a side branch")
    git(upstream.path, "checkout", "-q", "main")
    with open_upstream(UpstreamSpec(upstream.url, "main"), tmp_path / "cache") as up:
        assert up.rev_parse(side) == side  # not in the single-branch clone until asked for
        with pytest.raises(UpstreamError, match="is not a commit in"):
            up.rev_parse("0" * 40)


def test_directory_listings_follow_the_tree_and_are_reused_while_it_is_unchanged(
    upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = "litellm/proxy/pass_through_endpoints"
    first = git(upstream.path, "rev-parse", "HEAD")
    docs = upstream.commit({"README.md": "docs only\n"}, "docs")
    more_docs = upstream.commit({"README.md": "more docs\n"}, "docs again")
    added = upstream.commit({f"{package}/bedrock.py": "x = 1\n"}, "a module")
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    with open_upstream(UpstreamSpec(upstream.url, "main"), tmp_path / "cache") as up:
        trace.write_text("")
        listings = [
            sorted(up.list_files(commit, ".py", package))
            for commit in (first, docs, more_docs, added)
        ]
        assert up.list_files(added, ".py", "no/such/dir") == {}
    assert (
        listings[0]
        == listings[1]
        == listings[2]
        == sorted(path for path in listings[3] if not path.endswith("bedrock.py"))
    )
    assert f"{package}/bedrock.py" in listings[3]
    ls_trees = [
        line for line in trace.read_text().splitlines() if '"ls-tree"' in line and '"start"' in line
    ]
    # One commit alone is listed the plain way (the daily run starts no extra process); from the
    # second on, by tree: the unchanged tree at `more_docs` is not listed again.
    assert len(ls_trees) == 4  # first, docs (kept by its tree), the changed tree, no such dir
