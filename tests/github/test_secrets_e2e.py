"""Credentials never reach the console, the JSON report or the files watcher writes."""

from __future__ import annotations

from pathlib import Path

from fake_github import FakeGitHub
from support import Project
from test_issues_e2e import drop_api_key


def _everything(project: Project, *texts: str) -> str:
    files = [p for p in project.root.rglob("*") if p.is_file()]
    return "\n".join([*texts, *(p.read_text(encoding="utf-8", errors="replace") for p in files)])


def test_a_token_echoed_in_html_url_is_never_printed_or_saved(
    project: Project, github: FakeGitHub
) -> None:
    github.echo_token = True
    assert project.run("verify", "--today", "2026-12-01", env=github.env()).code == 0
    drop_api_key(project.upstream)
    report = project.root / "report.json"
    result = project.run("verify", "--today", "2026-12-02", "--json", str(report), env=github.env())
    assert result.code == 1, result.err
    assert "issues: opened issue #1" in result.out
    assert "access_token=***" in result.out
    assert github.token not in _everything(project, result.out, result.err)


def test_credentials_in_github_api_url_are_refused_without_showing_them(
    project: Project, github: FakeGitHub, tmp_path: Path
) -> None:
    url = github.url.replace("http://", "http://bot:s3cretPassw0rd@")
    report = tmp_path / "report.json"
    result = project.run(
        "verify",
        "--today",
        "2026-12-01",
        "--json",
        str(report),
        env={**github.env(), "GITHUB_API_URL": url},
    )
    assert result.code == 2
    assert "GITHUB_API_URL: has a user name or password in it" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "s3cretPassw0rd" not in result.out + result.err + report.read_text()
