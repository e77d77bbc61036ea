"""Issue alerts end to end: `watcher verify` against a real upstream over file:// and a fake
GitHub on 127.0.0.1. Nothing of watcher's own is replaced."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import socket

from fake_github import FakeGitHub, primary_rate_limit, secondary_rate_limit
from support import AUTH, CARD_ID, PASSTHROUGH, Project, Upstream

CLAIM = "custom-auth-dispatch-order"
MARKER = f"<!-- watcher:drift card={CARD_ID} claim={CLAIM} "
DAY = (str(dt.date(2026, 12, 1) + dt.timedelta(days=n)) for n in itertools.count())


def verify(project: Project, github: FakeGitHub, *args: str, env: dict[str, str] | None = None):
    return project.run("verify", "--today", next(DAY), *args, env={**github.env(), **(env or {})})


def drop_api_key(
    upstream: Upstream, message: str = "drop api_key from the custom auth call"
) -> str:
    text = upstream.read(AUTH)
    changed = text.replace(
        "await user_custom_auth(request=request, api_key=api_key)",
        "await user_custom_auth(request=request)",
    )
    assert changed != text
    return upstream.commit({AUTH: changed}, message)


def reorder_dispatch(upstream: Upstream) -> str:
    text = upstream.read(AUTH)
    changed = text.replace(
        "if route in general_settings",
        "if master_key is None:\n            pass\n        if route in general_settings",
        1,
    )
    changed = changed.replace(
        "if enterprise_custom_auth is not None:", "if enterprise_custom_auth is not None and route:"
    )
    assert changed != text
    return upstream.commit({AUTH: changed}, "guard the enterprise branch")


def drift_issues(github: FakeGitHub) -> list[dict]:
    return [i for i in github.labelled("watcher") if i["body"].startswith(MARKER)]


def test_repeated_drift_runs_give_exactly_one_issue(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    assert github.mutations() == []  # nothing to say while every claim holds
    drop_api_key(project.upstream)
    first = verify(project, github)
    assert first.code == 1, first.out + first.err
    assert re.search(rf"DRIFT\s+{CLAIM}", first.out)
    assert f"issues: opened issue #1 for {CARD_ID}/{CLAIM} (new)" in first.out
    issues = drift_issues(github)
    assert len(issues) == 1 and issues[0]["state"] == "open"
    assert issues[0]["title"] == f"Drift: {CLAIM} ({CARD_ID})"
    assert [label["name"] for label in issues[0]["labels"]] == ["watcher"]
    body = issues[0]["body"]
    assert "**How to resolve.**" in body.split("\n## ")[0]  # the steps come before any evidence
    assert f"watcher accept --card {CARD_ID}" in body
    assert '- branches[1].keywords[0]: "api_key"' in body
    commit = (
        project.upstream.path and json.loads(project.snapshot.read_text())["upstream"]["commit"]
    )
    assert f"https://github.com/BerriAI/litellm/compare/{commit}..." in body
    assert re.search(
        rf"\(https://github\.com/BerriAI/litellm/blob/[0-9a-f]{{40}}/{AUTH}#L\d+\)", body
    )

    before = len(github.mutations())
    for _ in range(2):  # scheduled runs while nothing changes: no edits, no comments
        again = verify(project, github)
        assert again.code == 1
        assert "nothing to do (#1 is up to date)" in again.out
    assert len(github.mutations()) == before
    assert len(drift_issues(github)) == 1 and github.comments == {}

    reorder_dispatch(project.upstream)  # the evidence changes: the same issue is edited
    edited = verify(project, github)
    assert edited.code == 1
    assert f"edited issue #1 for {CARD_ID}/{CLAIM} (the evidence changed)" in edited.out
    issues = drift_issues(github)
    assert len(issues) == 1 and issues[0]["body"] != body
    assert "enterprise_custom_auth is not None and _" in issues[0]["body"]  # locals render as _


def test_recovery_comments_with_the_commit_and_closes(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    good = project.upstream.read(AUTH)
    drop_api_key(project.upstream)
    assert verify(project, github).code == 1
    fixed = project.upstream.commit({AUTH: good}, "restore api_key")
    result = verify(project, github)
    assert result.code == 0, result.out
    assert f"closed issue #1 for {CARD_ID}/{CLAIM} (resolved)" in result.out
    issue = github.issues[1]
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert issue["body"].startswith(MARKER) and f"resolved={fixed}" in issue["body"].splitlines()[0]
    (comment,) = github.comments[1]
    assert fixed[:12] in comment["body"] and f"/commit/{fixed})" in comment["body"]
    # Comment first, then close: a person reading the notification sees why.
    closing = [(s.method, s.path) for s in github.mutations()][-2:]
    assert closing == [
        ("POST", "/repos/acme/cards/issues/1/comments"),
        ("PATCH", "/repos/acme/cards/issues/1"),
    ]

    assert verify(project, github).code == 0  # closed stays closed, nothing more is said
    assert len(github.comments[1]) == 1

    drop_api_key(project.upstream, "drop it again")  # drifting again opens a new issue
    again = verify(project, github)
    assert "opened issue #2" in again.out and "(drifted again after #1)" in again.out
    assert "This claim drifted before: #1." in github.issues[2]["body"]
    assert github.issues[1]["state"] == "closed"


def test_create_refused_with_retry_after_is_retried(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    github.faults.append(secondary_rate_limit("POST", r"/repos/acme/cards/issues$", retry_after=1))
    result = verify(project, github)
    assert result.code == 1
    assert "opened issue #1" in result.out
    # The wait is said when it starts, not after it.
    assert (
        "watcher: issues: rate-limited by GitHub on POST /repos/acme/cards/issues; waiting 1s"
        in result.err
    )
    creates = [
        s.status for s in github.seen if (s.method, s.path) == ("POST", "/repos/acme/cards/issues")
    ]
    assert creates == [403, 201]
    assert len(drift_issues(github)) == 1


def test_bad_token_exits_2_without_showing_it(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    secret = "ghp_" + "s3cr3tW0rd" * 4
    result = project.run_process(
        "verify", "--today", "2026-12-01", env={**github.env(), "GITHUB_TOKEN": secret}
    )
    assert result.code == 2
    assert re.search(rf"DRIFT\s+{CLAIM}", result.out)  # the drift is still reported
    assert "issues: GitHub rejected the token (401 'Bad credentials')" in result.out
    assert "set GITHUB_TOKEN to a valid token" in result.out
    assert secret not in result.out + result.err
    assert secret[4:12] not in result.out + result.err
    assert github.issues == {}
    # The JSON report keeps the verdicts and records what happened to the issue.
    report = project.run("verify", "--json", "-", env={**github.env(), "GITHUB_TOKEN": secret})
    assert report.code == 2
    document = json.loads(report.out)
    assert document["status"] == "drift"
    assert any("401" in note for note in document["cards"][0]["notes"])
    assert secret not in report.out + report.err


def test_existing_issue_found_across_pages(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    assert verify(project, github).code == 1
    ours = drift_issues(github)[0]
    github.max_per_page = 30  # our issue is #1: the oldest, last of three pages newest-first
    for n in range(70):
        if n % 7 == 0:  # pull requests come in issue lists; one even carries our marker
            github.add_issue(f"PR {n}", ours["body"], ("watcher",), pull_request=True)
        else:
            github.add_issue(
                f"other {n}",
                f"<!-- watcher:drift card={CARD_ID} claim=other-{n} fingerprint=0 -->",
                ("watcher",),
                state="closed",
            )
    github.add_issue("unlabelled twin", ours["body"])  # our marker without our label: not ours
    before = len(github.mutations())
    result = verify(project, github)
    assert result.code == 1
    assert "nothing to do (#1 is up to date)" in result.out
    assert len(github.mutations()) == before
    pages = [s for s in github.seen if s.path == f"/repositories/{github.repo_id}/issues"]
    assert [s.query["page"] for s in pages][-2:] == [["2"], ["3"]]

    github.issues[1]["body"] = ours["body"].replace("fingerprint=", "fingerprint=0")  # stale
    result = verify(project, github)
    assert "edited issue #1" in result.out
    edits = [s.path for s in github.mutations()[before:]]
    assert edits == ["/repos/acme/cards/issues/1"]  # never the pull request with the marker


def test_unreachable_github_does_not_hide_the_drift(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = verify(project, github, env={"GITHUB_API_URL": closed})
    assert result.code == 1
    assert re.search(rf"DRIFT\s+{CLAIM}", result.out)
    assert f"issues: cannot reach GitHub at {closed}" in result.out
    assert "the verdicts above stand" in result.out


def test_rate_limit_longer_than_watcher_waits(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    github.faults.append(primary_rate_limit("GET", r"/issues$", reset_in=3000))
    result = verify(project, github)
    assert result.code == 1
    assert (
        "rate-limited by GitHub until" in result.out and "the next run will try again" in result.out
    )
    assert github.issues == {}


def test_read_only_token_names_the_missing_permission(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    github.can_write = False
    result = verify(project, github)
    assert result.code == 2
    assert (
        "GitHub refused the token (403 'Resource not accessible by integration'): it needs issues=write"
        in result.out
    )


def test_issues_disabled_and_unknown_repository(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    github.issues_enabled = False
    disabled = verify(project, github)
    assert disabled.code == 2
    assert "issues are disabled on this repository (410)" in disabled.out
    github.issues_enabled = True
    missing = verify(project, github, env={"GITHUB_REPOSITORY": "acme/nope"})
    assert missing.code == 2
    assert "GET /repos/acme/nope/issues: not found (404)" in missing.out


def test_dropped_label_is_an_error_not_a_silent_duplicate(
    project: Project, github: FakeGitHub
) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    github.drop_labels = True
    result = verify(project, github)
    assert result.code == 2
    assert "GitHub dropped the label 'watcher'" in result.out


def test_closed_by_a_person_stays_closed_until_the_evidence_changes(
    project: Project, github: FakeGitHub
) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    assert verify(project, github).code == 1
    github.issues[1].update(state="closed", state_reason="not_planned")  # "we know, ignore it"
    quiet = verify(project, github)
    assert "#1 was closed by a person with this same evidence" in quiet.out
    assert len(github.issues) == 1
    reorder_dispatch(project.upstream)
    loud = verify(project, github)
    assert "opened issue #2" in loud.out
    assert github.issues[1]["state"] == "closed"


def test_dry_run_prints_the_issue_and_changes_nothing(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    drop_api_key(project.upstream)
    result = verify(project, github, "--dry-run")
    assert result.code == 1
    assert f"issues: would open an issue for {CARD_ID}/{CLAIM} (new)" in result.out
    assert f"title: Drift: {CLAIM} ({CARD_ID})" in result.out
    assert MARKER in result.out and "**How to resolve.**" in result.out
    assert github.mutations() == [] and github.issues == {}
    assert not (project.root / "snapshots" / ".health.json").exists()

    unconfigured = project.run(
        "verify", "--dry-run", env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""}
    )
    assert (
        "issues: GitHub is not configured (set GITHUB_TOKEN and GITHUB_REPOSITORY"
        in unconfigured.out
    )
    assert MARKER in unconfigured.out

    assert verify(project, github).code == 1  # file it for real, then preview the close
    project.upstream.commit(
        {
            AUTH: project.upstream.read(AUTH).replace(
                "request=request)", "request=request, api_key=api_key)"
            )
        },
        "restore",
    )
    preview = verify(project, github, "--dry-run")
    assert preview.code == 0
    assert "would close issue #1" in preview.out and "**Resolved.**" in preview.out
    assert github.issues[1]["state"] == "open"


def test_no_issues_flag_sends_nothing(project: Project, github: FakeGitHub) -> None:
    drop_api_key(project.upstream)
    result = verify(project, github, "--no-issues")
    assert result.code == 1
    assert github.seen == []
    assert not re.search(r"^issues?\b|issue #", result.out, flags=re.M)


def test_not_configured_says_how_to_file(project: Project) -> None:
    drop_api_key(project.upstream)
    result = project.run("verify", env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""})
    assert result.code == 1
    assert "issues: not filed; set GITHUB_TOKEN and GITHUB_REPOSITORY" in result.out


def test_bad_api_url_stops_before_the_network(project: Project, github: FakeGitHub) -> None:
    result = verify(project, github, env={"GITHUB_API_URL": "http://api.example.com"})
    assert result.code == 2
    assert "GITHUB_API_URL 'http://api.example.com': expected an https:// URL" in result.err
    assert github.seen == [] and not project.snapshot.exists()


def test_hostile_upstream_text_is_neutralised(project: Project, github: FakeGitHub) -> None:
    assert verify(project, github).code == 0
    text = project.upstream.read(PASSTHROUGH)
    cohere = text.index("async def cohere_proxy_route(")
    head, tail = text[:cohere], text[cohere:]
    head = head.replace('"/cohere/{endpoint:path}"', '"/cohere/@admins/#12/````/{endpoint:path}"')
    tail = tail.replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    project.upstream.commit(
        {PASSTHROUGH: head + tail.replace("user_api_key_dict)", "None)", 1)}, "x"
    )
    result = verify(project, github)
    assert result.code == 1
    (issue,) = [
        i for i in github.labelled("watcher") if "passthrough-routes-authenticated" in i["title"]
    ]
    body = issue["body"]
    fences = re.findall(r"^(`{3,})(?:diff|json)\n.*?^\1$", body, flags=re.M | re.S)
    assert fences and all(len(fence) >= 5 for fence in fences)  # longer than the ```` inside
    prose = re.sub(r"^(`{3,})(?:diff|json)\n.*?^\1$", "", body, flags=re.M | re.S)
    assert "/cohere/`@admins`/`BerriAI/litellm#12`/" in prose
    assert not re.search(r"(?<![`\w])@admins", prose)  # no mention outside code
    assert not re.search(r"(?<![\w/])#12", prose)  # no link to our own issue #12


def test_the_issue_names_the_upstream_commit_that_changed_the_claim(
    project: Project, github: FakeGitHub
) -> None:
    assert verify(project, github).code == 0  # the baseline
    project.upstream.commit({"README.md": "unrelated\n"}, "docs")
    culprit = drop_api_key(project.upstream, "@maintainer narrow the custom auth call, fixes #42")
    project.upstream.commit({"README.md": "later\n"}, "more docs")
    result = verify(project, github)
    assert result.code == 1
    assert f"first changed in {culprit[:12]}" in result.out  # the console names it too
    body = drift_issues(github)[0]["body"]
    line = next(line for line in body.splitlines() if line.startswith("**First changed in**"))
    assert f"[`{culprit[:12]}`](https://github.com/BerriAI/litellm/commit/{culprit})" in line
    # The commit subject is upstream text: nobody is pinged, and #42 is upstream's issue.
    assert "`@maintainer`" in line and "@maintainer" not in line.replace("`@maintainer`", "")
    assert "`BerriAI/litellm#42`" in line  # named, in code: no cross-reference upstream


def test_a_card_reference_drift_opens_one_readable_issue(
    project: Project, github: FakeGitHub
) -> None:
    assert verify(project, github).code == 0
    types = project.upstream.read("litellm/proxy/_types.py")
    project.upstream.commit(
        {"litellm/proxy/_types.py": types.replace("        param: Optional[str],\n", "")},
        "ProxyException loses param",
    )
    assert verify(project, github).code == 1
    [issue] = github.labelled("watcher")
    assert issue["title"] == f"Drift: card-references ({CARD_ID})"
    body = issue["body"]
    assert "is read from `knowledge/litellm-proxy-authentication-hooks.md` itself" in body
    assert "- `references`: `46 read from the card (" in body
    assert '"keywords"' not in body.split("## What upstream now shows")[0]  # no raw JSON
    assert "ProxyException(code, message, param, type)" in body
    assert "does not accept param=" in body
