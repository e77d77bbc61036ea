"""The card's Resources table, every row machine-checked (issue 13).

Two source links (`source-file`: the cited file is still there, and where it went when it is
not) and four docs links (`docs-page`), three of which are no Sources rows: they are checked and
count in the exit code, but date no row. Real upstreams built by the tests, served over file://.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from claim_support import claim
from support import (
    AUTH,
    CORE_CLAIMS,
    RESOURCE_DOCS_CLAIMS,
    ROWS,
    SOURCE_FILE_CLAIMS,
    DocsServer,
    Page,
    Project,
    Upstream,
    git,
)

from watcher.actions.issue_text import ClaimAlert, UpstreamAt, drift_body
from watcher.claims import Verdict
from watcher.claims.source_file import same_name
from watcher.config import ConfigError
from watcher.facts import ParsedModule
from watcher.upstream import UpstreamError

TODAY = "2026-11-27"
LATER = "2026-12-01"
AUTH_CLAIM = "user-api-key-auth-source-file"
RESOURCES = [
    "Custom Auth docs",
    "Anthropic Passthrough docs",
    "Pass-through endpoints docs",
    "All settings",
    "Source: passthrough routes",
    "Source: user_api_key_auth",
]


def link_claims(project: Project) -> Project:
    """The core claims and the two source-file claims: the docs pages are not what is tested."""
    return project.keep_claims(*CORE_CLAIMS, *SOURCE_FILE_CLAIMS)


def verify(project: Project, day: str = LATER) -> tuple[int, dict[str, Any]]:
    result = project.run("verify", "--today", day, "--json", "-")
    report = json.loads(result.out)
    return result.code, report


def by_id(report: Mapping[str, Any]) -> dict[str, Any]:
    return {c["id"]: c for c in report["claims"]}


def test_cited_files_present_pass(project: Project) -> None:
    link_claims(project)
    code, report = verify(project, TODAY)
    assert code == 0
    found = by_id(report)
    commit = report["upstream"]["commit"]
    assert found[AUTH_CLAIM]["message"] == f"{AUTH} exists at {commit[:12]}"
    assert found["passthrough-routes-source-file"]["status"] == "pass"
    assert found[AUTH_CLAIM]["evidence"][0]["permalink"] == (
        f"https://github.com/BerriAI/litellm/blob/{commit}/{AUTH}"
    )


def test_a_renamed_file_is_drift_naming_where_git_says_it_went(project: Project) -> None:
    link_claims(project)
    assert verify(project, TODAY)[0] == 0
    renamed = "litellm/proxy/auth/key_auth.py"  # another name: only git's rename detection knows
    text = project.upstream.read(AUTH)
    rename = project.upstream.commit({AUTH: None, renamed: text + "\n# moved\n"}, "rename auth")
    code, report = verify(project)
    assert code == 1  # the dispatch claim also says where its entry function went: drift
    assert by_id(report)["custom-auth-dispatch-order"]["status"] == "drift"
    found = by_id(report)[AUTH_CLAIM]
    assert found["status"] == "drift"
    assert found["message"].startswith(f"{AUTH} is not in the tree at ")
    assert f": moved to {renamed} (renamed in {rename[:12]}, " in found["message"]
    assert found["message"].endswith("% similar); the link is dead")
    assert found["evidence"][0]["path"] == renamed
    assert found["diff"] == [f"file: {AUTH} -> {renamed}"]
    assert by_id(report)["passthrough-routes-source-file"]["status"] == "pass"
    # The auth row keeps its date (its claims did not pass); the passthrough row is dated.
    dates = project.row_dates()
    assert (dates["auth"], dates["passthrough"]) == (TODAY, LATER)


def test_a_file_renamed_twice_is_followed_to_where_it_is_now(project: Project) -> None:
    link_claims(project)
    first, second = "litellm/proxy/auth/key_auth.py", "litellm/proxy/auth/api_key_auth.py"
    text = project.upstream.read(AUTH)
    project.upstream.commit({AUTH: None, first: text}, "rename once")
    project.upstream.commit({first: None, second: text}, "rename again")
    found = by_id(verify(project)[1])[AUTH_CLAIM]
    assert f": moved to {second} (renamed in " in found["message"], found["message"]


def test_a_rewritten_file_in_another_directory_is_found_by_its_name(project: Project) -> None:
    link_claims(project)
    elsewhere = "litellm/proxy/authentication/user_api_key_auth.py"
    project.upstream.commit(
        {AUTH: None, elsewhere: "async def user_api_key_auth():\n    return None\n"},
        "rewrite the auth module in a new package",
    )
    found = by_id(verify(project)[1])[AUTH_CLAIM]
    assert found["status"] == "drift"
    assert (
        f": moved to {elsewhere} (a file of the same name); the link is dead" in (found["message"])
    )


def test_a_deleted_file_is_drift_saying_deleted(project: Project) -> None:
    link_claims(project)
    deleting = project.upstream.commit({AUTH: None}, "drop the auth module")
    code, report = verify(project)
    assert code == 2
    found = by_id(report)[AUTH_CLAIM]
    assert found["status"] == "drift"
    assert found["message"].endswith(
        f": deleted in {deleting[:12]} (git finds no rename, and no file named "
        "user_api_key_auth.py is left in the tree); the link is dead"
    )
    assert found["evidence"] == []


def test_a_history_without_the_deleting_commit_still_says_deleted() -> None:
    """A tree that never had the file (or whose history cannot say): deleted, no commit named."""
    verdict = judge_tree(FakeTree(["litellm/proxy/other.py"]))
    assert verdict.status == "drift"
    assert verdict.message == (
        f"{AUTH} is not in the tree at 000000000000: deleted (git finds no rename, and no file "
        "named user_api_key_auth.py is left in the tree); the link is dead"
    )


def test_a_tree_that_cannot_be_listed_is_an_error() -> None:
    verdict = judge_tree(FakeTree([], broken=True))
    assert verdict.status == "error"
    assert verdict.message == (
        f"{AUTH}: the upstream tree could not be listed: listing refused by the test"
    )


def test_same_name_prefers_the_nearest_directory_and_skips_tests() -> None:
    paths = [
        "enterprise/proxy/auth/user_api_key_auth.py",
        "litellm/proxy/auth/v2/user_api_key_auth.py",
        "tests/proxy/auth/user_api_key_auth.py",
        "litellm/user_api_key_auth.py",
    ]
    assert same_name(paths, AUTH) == [
        "litellm/proxy/auth/v2/user_api_key_auth.py",
        "litellm/user_api_key_auth.py",
        "enterprise/proxy/auth/user_api_key_auth.py",
    ]


def test_source_file_needs_a_blob_url_or_a_file() -> None:
    with pytest.raises(ConfigError) as caught:
        claim("source-file", "https://docs.litellm.ai/docs/proxy/custom_auth")
    assert str(caught.value).startswith(
        "claims[0].source: 'https://docs.litellm.ai/docs/proxy/custom_auth' is not a GitHub blob URL"
    )
    assert claim("source-file", ROWS["docs"], file="litellm/x.py").requests() == ()


def test_docs_links_without_a_sources_row_error_offline_and_hold_back_no_row(
    tmp_path: Any, upstream: Upstream
) -> None:
    # No local docs server: the claims fetch docs.litellm.ai, and the tests' network guard
    # refuses, as a machine without network would.
    project = Project(tmp_path, upstream).keep_claims(*CORE_CLAIMS, *RESOURCE_DOCS_CLAIMS)
    result = project.run("verify", "--today", TODAY, "--json", "-")
    assert result.code == 2, result.err  # could not verify: never a pass
    report = json.loads(result.out)
    statuses = {c["id"]: c["status"] for c in report["claims"]}
    assert [statuses.pop(c) for c in RESOURCE_DOCS_CLAIMS] == ["error"] * 3
    assert set(statuses.values()) == {"pass"}
    docs = next(c for c in report["claims"] if c["id"] == "anthropic-passthrough-docs-page")
    assert docs["source"] == "https://docs.litellm.ai/docs/pass_through/anthropic_completion"
    assert "could not fetch" in docs["message"]
    card = report["cards"][0]
    assert card["not_dated"] == []  # bound to no row, they hold none back
    assert [d["source"] for d in card["dates"]] == [ROWS["passthrough"], ROWS["auth"]]
    dates = project.row_dates()
    assert (dates["passthrough"], dates["auth"], dates["docs"]) == (TODAY, TODAY, "2026-04-19")
    assert ROWS["docs"] in card["not_machine_checked"]  # its own claim was dropped
    human = project.run("verify", "--today", TODAY, "--dry-run").out
    assert "held   " not in human


def test_a_source_that_is_no_row_must_be_a_link_in_a_covered_row(project: Project) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            '    { table = "Resources", row = "Anthropic Passthrough docs" },\n',
            '    { table = "Resources", row = "All settings" },\n',
        ),
        encoding="utf-8",
    )
    result = project.run("coverage")
    assert result.code == 2
    assert result.err.startswith(
        "watcher: error: watcher.toml: cards[0].claims[13].source: no Sources row for "
        "'https://docs.litellm.ai/docs/pass_through/anthropic_completion' in "
        "knowledge/litellm-proxy-authentication-hooks.md (use the exact text of a Source cell, "
        "or a link cited in a row this claim covers)"
    )


def test_coverage_shows_every_resources_row_checked(project: Project) -> None:
    result = project.run("coverage", "--json", "-")
    assert result.code == 0
    rows = {
        e["row"]: [c["id"] for c in e["claims"]]
        for e in json.loads(result.out)["coverage"]
        if e.get("table") == "Resources"
    }
    assert list(rows) == RESOURCES
    assert all(rows.values()), rows
    assert rows["Source: user_api_key_auth"] == [AUTH_CLAIM]
    assert rows["All settings"] == ["config-settings-docs-page"]


def test_all_resources_pages_served_locally_pass(project: Project) -> None:
    code, report = verify(project, TODAY)
    assert code == 0
    found = by_id(report)
    for claim_id in RESOURCE_DOCS_CLAIMS:
        assert found[claim_id]["status"] == "pass", found[claim_id]["message"]
    assert (
        "mentions pass_through_endpoints, Enable LiteLLM authentication"
        in (found["pass-through-endpoints-docs-page"]["message"])
    )
    assert git(project.upstream.path, "rev-parse", "HEAD") == report["upstream"]["commit"]


class FakeTree:
    """A SourceTree that holds only a listing (no history): `source-file` reads nothing else."""

    commit = "0" * 40

    def __init__(self, listing: Sequence[str], broken: bool = False) -> None:
        self.listing = list(listing)
        self.broken = broken

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        return {path: "not in this tree" for path in paths}

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        if self.broken:
            raise UpstreamError("listing refused by the test")
        return [p for p in self.listing if p.endswith(suffix) and p.startswith(under)]

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return dict.fromkeys(paths)

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return dict.fromkeys(paths)


def judge_tree(tree: FakeTree) -> Verdict:
    kind = claim("source-file", ROWS["auth"])
    return kind.evaluate({}, None, tree)


def test_history_visits_the_commits_that_touched_the_cited_file(project: Project) -> None:
    link_claims(project)
    text = project.upstream.read(AUTH)
    project.upstream.commit({"README.md": "unrelated\n"}, "unrelated")
    removal = project.upstream.commit({AUTH: None, "litellm/proxy/auth/key_auth.py": text}, "mv")
    result = project.run("history", "--claim", AUTH_CLAIM, "--all", "--json", "-")
    assert result.code == 0, result.err
    commits = json.loads(result.out)["cards"][0]["commits"]
    assert [c["commit"] for c in commits][-1] == removal  # not the unrelated commit
    assert len(commits) == 2
    (step,) = commits[-1]["claims"]
    # A walk does not search for moves (a file not born yet at an old commit is no move).
    assert (step["status"], step["message"]) == (
        "drift",
        f"{AUTH} is not in the tree at {removal[:12]}; the link is dead",
    )


@pytest.mark.parametrize(
    ("dates_row", "says"),
    [
        (True, "vouches for the Sources row `https://docs.example/page` of `card.md`."),
        (
            False,
            "checks the link `https://docs.example/page` (cited in a row it covers, not a "
            "Sources row) of `card.md`.",
        ),
    ],
)
def test_a_drift_issue_says_whether_the_claim_dates_a_row(dates_row: bool, says: str) -> None:
    alert = ClaimAlert(
        card="card",
        card_path="card.md",
        claim="a-docs-page",
        kind="docs-page",
        kind_help="A cited web page answers.",
        source="https://docs.example/page",
        params=(),
        status="drift",
        message="gone",
        diff=(),
        evidence=(),
        facts=None,
        upstream=UpstreamAt("https://github.com/o/r.git", "main", "a" * 40, None),
        baseline_commit=None,
        dates_row=dates_row,
    )
    assert says in drift_body(alert, "<!-- m -->", "watcher", None)


def test_a_markdown_link_in_the_covered_row_counts_as_citing_the_source(project: Project) -> None:
    url = "https://docs.litellm.ai/docs/pass_through/anthropic_completion"
    text = project.card_text()
    project.card.write_text(text.replace(f"| {url} |", f"| [the page]({url}) |"), encoding="utf-8")
    result = project.run("coverage")
    assert result.code == 0, result.err
    assert "<- anthropic-passthrough-docs-page" in result.out


def test_an_unreachable_resources_page_is_annotated_on_its_resources_row(
    project: Project, docs: DocsServer, tmp_path: Any
) -> None:
    docs.pages["/docs/pass_through/anthropic_completion"] = Page(503, "down")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    result = project.run("verify", "--today", TODAY, "--json", "-", env=env)
    assert result.code == 2
    line = (
        project.card_text()
        .splitlines()
        .index(
            "| Anthropic Passthrough docs | /anthropic/{endpoint} passthrough usage | "
            "https://docs.litellm.ai/docs/pass_through/anthropic_completion |"
        )
    )
    (error,) = [x for x in result.err.splitlines() if x.startswith("::error ")]
    assert error.startswith(
        f"::error file=knowledge/litellm-proxy-authentication-hooks.md,line={line + 1},"
        "title=watcher could not verify%3A anthropic-passthrough-docs-page::"
    )
    assert json.loads(result.out)["cards"][0]["not_dated"] == []
