"""Bad input: one clear line naming what is wrong, exit 2, no traceback, nothing written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from support import AUTH, DOCS_CLAIMS, PASSTHROUGH, ROWS, Project


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_refused(project: Project, *args: str, says: str) -> None:
    card_before = project.card.read_bytes() if project.card.exists() else None
    result = project.run("verify", "--today", "2026-11-27", *args)
    assert result.code == 2, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("watcher: error: ")
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.err + result.out
    assert (project.card.read_bytes() if project.card.exists() else None) == card_before
    assert not project.snapshot.exists()


CONFIG_BREAKAGES: dict[str, tuple[Callable[[Project], None], str]] = {
    "missing config": (
        lambda p: (p.root / "watcher.toml").unlink(),
        "watcher.toml: config not found",
    ),
    "malformed toml": (
        lambda p: replace_in(p.root / "watcher.toml", 'ref = "main"', 'ref = "main'),
        "watcher.toml: invalid TOML",
    ),
    "unknown top-level key": (
        lambda p: (p.root / "watcher.toml").write_text(
            'colour = "red"\n' + (p.root / "watcher.toml").read_text()
        ),
        "watcher.toml: colour: unknown key",
    ),
    "unknown claim parameter": (
        lambda p: replace_in(
            p.root / "watcher.toml", 'mechanism = "depends"', 'mechanisms = "depends"'
        ),
        "cards[0].claims[1].mechanisms: unknown key for kind 'route-declared'",
    ),
    "unknown claim kind": (
        lambda p: replace_in(
            p.root / "watcher.toml", 'kind = "dispatch-unchanged"', 'kind = "dispatch"'
        ),
        "cards[0].claims[2].kind: unknown claim kind 'dispatch' (known: ",
    ),
    "duplicate claim id": (
        lambda p: replace_in(
            p.root / "watcher.toml",
            'id = "anthropic-passthrough-route"',
            'id = "passthrough-routes-authenticated"',
        ),
        "cards[0].claims[1].id: duplicate claim id 'passthrough-routes-authenticated'",
    ),
    "claim bound to a missing row": (
        lambda p: replace_in(
            p.root / "watcher.toml", "auth/user_api_key_auth.py", "auth/user_api_key_auth2.py"
        ),
        "cards[0].claims[2].source: no Sources row for",
    ),
    "missing card": (
        lambda p: p.card.unlink(),
        "cards[0].path: ",
    ),
    "card without Last Verified column": (
        lambda p: replace_in(
            p.card, "| Source | Type | Last Verified |", "| Source | Type | Checked |"
        ),
        "no Sources table with a 'Last Verified' column",
    ),
    "wrong parameter type": (
        lambda p: replace_in(
            p.root / "watcher.toml",
            'methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]',
            'methods = "GET"',
        ),
        "cards[0].claims[1].methods: expected a list of strings, got str",
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIG_BREAKAGES))
def test_config_and_card_errors(project: Project, name: str) -> None:
    breakage, says = CONFIG_BREAKAGES[name]
    breakage(project)
    assert_refused(project, says=says)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://example.com/litellm.git", "scheme 'http' is not allowed"),
        ("ext::sh -c touch% /tmp/pwned", "is not a URL"),
        ("--upload-pack=touch /tmp/pwned", "is not a URL"),
        ("git://example.com/litellm.git", "scheme 'git' is not allowed"),
        ("/tmp/some/path", "scheme '(none)' is not allowed"),
    ],
)
def test_unsafe_upstream_urls_are_refused_before_git_runs(
    project: Project, url: str, says: str
) -> None:
    assert_refused(project, "--upstream-url", url, says=says)
    assert not (project.cache / "repos").exists()  # git never ran (only the run lock exists)


def test_bad_today_is_refused(project: Project) -> None:
    result = project.run("verify", "--today", "27/11/2026")
    assert result.code == 2
    assert "--today '27/11/2026': expected a date like 2026-04-19" in result.err


def test_unknown_card_is_refused(project: Project) -> None:
    result = project.run("verify", "--card", "nope")
    assert result.code == 2
    assert "--card nope: no such card" in result.err
    assert "litellm-proxy-authentication-hooks" in result.err


def error_report(project: Project, *args: str) -> dict[str, object]:
    """A run with errors: the rows of the claims that errored keep their dates (rows whose
    claims all passed are dated), and no baseline is recorded for an errored claim."""
    dates_before = project.row_dates()
    result = project.run("verify", "--today", "2026-11-27", "--json", "-", *args)
    assert result.code == 2, (result.out, result.err)
    assert "Traceback" not in result.err
    report: dict[str, object] = json.loads(result.out)
    assert report["status"] == "error"
    claims = report["claims"]
    assert isinstance(claims, list)
    failed = {c["id"] for c in claims if c["status"] != "pass"}
    held = {c["source"] for c in claims if c["status"] != "pass"}
    dates_after = project.row_dates()
    for name, source in ROWS.items():
        if source in held:
            assert dates_after[name] == dates_before[name], name
    if project.snapshot.exists():
        recorded = json.loads(project.snapshot.read_text(encoding="utf-8"))["claims"]
        assert not failed & set(recorded)
    return report


def claim_messages(report: dict[str, object]) -> dict[str, str]:
    claims = report["claims"]
    assert isinstance(claims, list)
    return {c["id"]: c["message"] for c in claims if c["status"] == "error"}


def test_unreachable_upstream_is_an_error_for_every_claim(project: Project, tmp_path: Path) -> None:
    report = error_report(project, "--upstream-url", (tmp_path / "nowhere").as_uri())
    messages = claim_messages(report)
    assert len(messages) == 19  # the eighteen configured claims and the card references
    # The upstream's reason is said once; the docs pages say what stopped them, not "upstream".
    assert sum(str(tmp_path / "nowhere") in m for m in messages.values()) == 1
    for docs_claim in DOCS_CLAIMS:
        assert "not checked: the run stopped when the upstream could not be read" in messages.pop(
            docs_claim
        )
    assert all("could not read upstream" in m for m in messages.values())


def test_unknown_ref_is_an_error(project: Project) -> None:
    report = error_report(project, "--ref", "no-such-branch")
    messages = claim_messages(report)
    assert sum("ref 'no-such-branch' not found" in m for m in messages.values()) == 1  # said once
    assert all(
        "ref 'no-such-branch' not found" in m or "reason given for" in m or "not checked" in m
        for m in messages.values()
    )


def test_watched_file_missing_at_the_commit(project: Project) -> None:
    project.upstream.commit({AUTH: None}, "remove the auth module")
    messages = claim_messages(error_report(project))
    assert set(messages) == {"custom-auth-dispatch-order"}
    assert f"{AUTH}: no such file at" in messages["custom-auth-dispatch-order"]


def test_file_that_does_not_parse(project: Project) -> None:
    project.upstream.commit({PASSTHROUGH: "def broken(:\n    pass\n"}, "syntax error")
    messages = claim_messages(error_report(project))
    assert set(messages) == {
        "passthrough-routes-authenticated",
        "anthropic-passthrough-route",
        "passthrough-skips-pre-call-hook",
        "card-references",  # the search for the card's names starts in the cited files
        "anthropic-passthrough-served-by-app",
    }
    assert re.match(
        rf"{PASSTHROUGH}:\d+: does not parse", messages["passthrough-routes-authenticated"]
    )


def test_file_that_is_not_utf8(project: Project) -> None:
    project.upstream.commit({AUTH: b"# caf\xe9\nx = 1\n"}, "latin-1 bytes")
    messages = claim_messages(error_report(project))
    assert "not UTF-8" in messages["custom-auth-dispatch-order"]


def test_zero_routes_is_an_error_not_a_pass(project: Project) -> None:
    project.upstream.commit(
        {PASSTHROUGH: "from fastapi import APIRouter\nrouter = APIRouter()\n"}, "empty"
    )
    messages = claim_messages(error_report(project))
    assert "no routes found" in messages["passthrough-routes-authenticated"]


def test_entry_point_missing_is_an_error(project: Project) -> None:
    text = project.upstream.read(AUTH).replace(
        "async def user_api_key_auth(", "async def renamed_auth("
    )
    project.upstream.commit({AUTH: text}, "rename entry")
    messages = claim_messages(error_report(project))
    assert "entry point user_api_key_auth() not found" in messages["custom-auth-dispatch-order"]
