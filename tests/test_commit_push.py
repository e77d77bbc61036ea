"""`watcher verify --commit [--push]` against a real checkout of a local bare remote."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from shlex import quote

import pytest
from support import CARD, CARD_ID, GIT_ENV, PASSTHROUGH, Project, git

from watcher.actions.save_run import save
from watcher.commands import verify

TODAY = "2026-11-27"
ROW_LLM = "https://github.com/BerriAI/litellm/blob/main/litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
SNAPSHOT = f"snapshots/{CARD_ID}.json"
# No global or system git config leaks in; each checkout gets its own identity.
HERMETIC = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(autouse=True)
def _not_inside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run the same inside a GitHub runner (where CI sets these) as anywhere."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


class Remote:
    """A bare repository standing in for the project's GitHub remote, with a second clone
    standing in for someone else pushing to it."""

    def __init__(self, root: Path, project: Project) -> None:
        self.path = root / "remote.git"
        git(root, "init", "-q", "--bare", "-b", "main", str(self.path))
        checkout = project.root
        git(checkout, "init", "-q", "-b", "main")
        git(checkout, "config", "user.name", "Maintainer")
        git(checkout, "config", "user.email", "maintainer@example.com")
        (checkout / "README.md").write_text("cards\n", encoding="utf-8")
        git(checkout, "add", "-A")
        git(checkout, "commit", "-q", "-m", "initial cards")
        git(checkout, "remote", "add", "origin", str(self.path))
        git(checkout, "push", "-q", "-u", "origin", "main")
        self.other = root / "other"
        git(root, "clone", "-q", str(self.path), str(self.other))

    def head(self) -> str:
        return git(self.path, "rev-parse", "main")

    def push_from_other(self, rel: str, edit: str | None = None, message: str = "other") -> str:
        """Someone else commits to main and pushes (edit None: append a line to `rel`)."""
        git(self.other, "pull", "-q", "--ff-only")
        target = self.other / rel
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        target.write_text(edit if edit is not None else text + "another line\n", encoding="utf-8")
        git(self.other, "add", "-A")
        git(self.other, "commit", "-q", "-m", message)
        git(self.other, "push", "-q", "origin", "main")
        return self.head()

    def push_from_other_during_commit(
        self, checkout: Path, rel: str, edit: str | None = None, message: str = "other"
    ) -> None:
        """The same, from a post-commit hook in `checkout`: the remote moves after watcher's
        commit and before its push, past the catch-up that --push does before verifying."""
        staged = self.other.parent / "staged-edit"
        target = self.other / rel
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        staged.write_text(edit if edit is not None else text + "another line\n", encoding="utf-8")
        identity = "".join(f"export {key}={quote(value)}\n" for key, value in GIT_ENV.items())
        hook = checkout / ".git" / "hooks" / "post-commit"
        hook.write_text(
            "#!/bin/sh\n"
            'rm -f "$0"\n'  # once: the rebase that follows must not move the remote again
            "unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX\n"
            f"{identity}"
            f"cd {quote(str(self.other))} && git pull -q --ff-only && "
            f"cp {quote(str(staged))} {quote(rel)} && git add -A && "
            f"git commit -q -m {quote(message)} && git push -q origin main\n",
            encoding="utf-8",
        )
        hook.chmod(0o755)

    def show(self, rev: str, rel: str) -> str:
        return git(self.path, "show", f"{rev}:{rel}")


@pytest.fixture
def remote(tmp_path: Path, project: Project) -> Remote:
    return Remote(tmp_path, project)


def run(project: Project, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = project.run("verify", "--today", TODAY, *args, env={**HERMETIC, **(env or {})})
    return result.code, result.out, result.err


def changed_files(repo: Path, rev: str = "HEAD") -> list[str]:
    return git(repo, "show", "--name-only", "--format=", rev).splitlines()


def test_commit_records_exactly_the_files_watcher_wrote(project: Project, remote: Remote) -> None:
    before = git(project.root, "rev-parse", "HEAD")
    # Someone's unrelated work in the same checkout: one staged file, one edited file.
    (project.root / "notes.md").write_text("draft\n", encoding="utf-8")
    git(project.root, "add", "notes.md")
    (project.root / "README.md").write_text("cards, edited\n", encoding="utf-8")
    code, out, err = run(project, "--commit")
    assert code == 0, out + err
    head = git(project.root, "rev-parse", "HEAD")
    assert git(project.root, "rev-parse", "HEAD~1") == before
    assert sorted(changed_files(project.root)) == [CARD, SNAPSHOT]
    # The unrelated work is still there, untouched and uncommitted.
    assert git(project.root, "diff", "--cached", "--name-only") == "notes.md"
    assert git(project.root, "diff", "--name-only") == "README.md"
    assert f"watcher: committed {head[:12]}" in out
    # Nothing pushed without --push.
    assert remote.head() == before


def test_the_message_names_card_upstream_commit_and_claims(
    project: Project, remote: Remote
) -> None:
    code, out, err = run(project, "--commit")
    assert code == 0, out + err
    upstream = git(project.upstream.path, "rev-parse", "HEAD")
    subject = git(project.root, "log", "-1", "--format=%s")
    body = git(project.root, "log", "-1", "--format=%b")
    assert subject == f"watcher: verified {CARD_ID} at {upstream[:12]} [skip ci]"
    assert f"Upstream: {project.upstream.url} main @ {upstream}" in body
    for claim in (
        "passthrough-routes-authenticated",
        "anthropic-passthrough-route",
        "custom-auth-dispatch-order",
    ):
        assert f"- {claim}: pass" in body
    assert f"- {ROW_LLM}: 2026-04-19 -> {TODAY}" in body
    # Outside GitHub Actions the checkout's own identity commits.
    assert (
        git(project.root, "log", "-1", "--format=%an <%ae>")
        == "Maintainer <maintainer@example.com>"
    )


def test_nothing_changed_means_no_commit(project: Project, remote: Remote) -> None:
    assert run(project, "--commit")[0] == 0
    head = git(project.root, "rev-parse", "HEAD")
    code, out, err = run(project, "--commit")  # same day, same upstream: identical files
    assert code == 0, out + err
    assert "nothing changed; nothing committed" in out
    assert git(project.root, "rev-parse", "HEAD") == head


def test_a_drift_commits_the_rows_that_passed_and_names_the_held_one(
    project: Project, remote: Remote
) -> None:
    text = project.upstream.read(PASSTHROUGH)
    cohere = text.index("async def cohere_proxy_route(")
    tail = text[cohere:].replace(
        "    user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),\n", "", 1
    )
    project.upstream.commit(
        {PASSTHROUGH: text[:cohere] + tail.replace("user_api_key_dict)", "None)", 1)}, "drop auth"
    )
    head = git(project.root, "rev-parse", "HEAD")
    code, out, err = run(project, "--commit", "--push")
    assert code == 1, out + err
    assert git(project.root, "rev-parse", "HEAD") == remote.head() != head
    assert sorted(changed_files(project.root)) == [CARD, f"snapshots/{CARD_ID}.json"]
    message = git(project.root, "log", "-1", "--format=%B")
    assert message.startswith(f"watcher: verified part of {CARD_ID} at ")
    assert "- passthrough-routes-authenticated: drift" in message
    assert (
        f"Not dated:\n- https://github.com/BerriAI/litellm/blob/main/{PASSTHROUGH}: "
        "passthrough-routes-authenticated drifted"
    ) in message


def test_push_as_the_actions_bot(project: Project, remote: Remote, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    code, out, err = run(project, "--commit", "--push", "--json", str(tmp_path / "r.json"), env=env)
    assert code == 0, out + err
    head = git(project.root, "rev-parse", "HEAD")
    assert remote.head() == head
    assert git(remote.path, "log", "-1", "--format=%an <%ae>", "main") == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
    )
    assert "[skip ci]" in git(remote.path, "log", "-1", "--format=%s", "main")
    assert f"watcher: pushed: origin/main is at {head[:12]}" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["saved"] == {"commit": head, "pushed": True, "target": "origin/main"}
    assert f"pushed: origin/main is at {head[:12]}" in summary.read_text()


def test_the_branch_is_brought_up_to_date_before_verifying(
    project: Project, remote: Remote
) -> None:
    edited = project.card_text().replace("## Changelog", "## Changelog\n\n- a maintainer's note", 1)
    theirs = remote.push_from_other(CARD, edited, "maintainer edits the card")
    code, out, err = run(project, "--commit", "--push")
    assert code == 0, out + err
    assert "watcher: main brought up to date with origin/main (1 new commit(s))" in err
    assert "moved meanwhile" not in out
    # The run checked and dated the card as it is now, and committed on top of that.
    assert git(remote.path, "rev-parse", "main~1") == theirs
    pushed = remote.show("main", CARD)
    assert "- a maintainer's note" in pushed
    assert f"| {ROW_LLM} | Primary source | {TODAY} |" in pushed


def test_a_push_rejected_because_the_remote_moved_is_rebased_and_retried(
    project: Project, remote: Remote
) -> None:
    remote.push_from_other_during_commit(project.root, "README.md", message="someone else's change")
    code, out, err = run(project, "--commit", "--push")
    assert code == 0, out + err
    assert "origin/main moved meanwhile; rebasing onto it and retrying (1/2)" in out
    head = remote.head()
    assert head == git(project.root, "rev-parse", "HEAD")
    assert git(remote.path, "log", "-1", "--format=%s", "main~1") == "someone else's change"
    assert sorted(changed_files(remote.path, "main")) == [CARD, SNAPSHOT]  # ours on top, linear
    assert remote.show("main", "README.md").endswith("another line")
    assert f"| {ROW_LLM} | Primary source | {TODAY} |" in remote.show("main", CARD)
    assert git(project.root, "status", "--porcelain") == ""


def test_a_conflicting_change_fails_clearly_and_leaves_the_checkout_sane(
    project: Project, remote: Remote
) -> None:
    # Someone moved the same date cell by hand meanwhile: the rebase cannot apply ours.
    card = project.card_text().replace(
        f"| {ROW_LLM} | Primary source | 2026-04-19 |",
        f"| {ROW_LLM} | Primary source | 2026-11-01 |",
    )
    remote.push_from_other_during_commit(project.root, CARD, card, "hand-verified")
    code, out, err = run(project, "--commit", "--push")
    assert code == 2, out + err
    theirs = remote.head()
    assert git(remote.path, "log", "-1", "--format=%s", "main") == "hand-verified"
    line = next(line for line in out.splitlines() if line.startswith("watcher: error:"))
    ours = git(project.root, "rev-parse", "HEAD")
    assert "cannot rebase onto origin/main: its changes conflict with ours; rebase aborted" in line
    assert f"commit {ours[:12]} is kept on local branch main, not pushed" in line
    assert line.endswith("pull, resolve and run verify again")
    assert remote.head() == theirs  # nothing of ours reached the remote
    git_dir = project.root / ".git"
    assert not (git_dir / "rebase-merge").exists() and not (git_dir / "rebase-apply").exists()
    assert git(project.root, "status", "--porcelain") == ""
    assert git(project.root, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert changed_files(project.root) == [CARD, SNAPSHOT]
    assert "Traceback" not in err


def test_retries_are_bounded(project: Project, remote: Remote) -> None:
    assert run(project)[0] == 0  # dates and snapshot written, not committed
    remote.push_from_other("README.md")
    said: list[str] = []
    written = [project.card, project.snapshot]
    outcome = save(project.root, written, [], push=True, say=said.append, attempts=1)
    assert outcome.pushed is False and outcome.commit is not None
    assert outcome.error is not None
    assert "origin/main kept moving; gave up after 1 push attempts" in outcome.error
    assert remote.head() != outcome.commit


def test_a_push_refused_by_the_remote_is_exit_2_and_the_commit_stays_local(
    project: Project, remote: Remote
) -> None:
    hook = remote.path / "hooks" / "pre-receive"  # like a protected branch on GitHub
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = remote.head()
    code, out, _err = run(project, "--commit", "--push")
    assert code == 2
    line = next(line for line in out.splitlines() if line.startswith("watcher: error:"))
    assert line.startswith("watcher: error: --push: push to origin/main failed:")
    assert "pre-receive hook declined" in line
    assert "remote: main is protected" in line  # the hook's reason is kept
    assert "''" not in line
    assert "is kept on local branch main, not pushed" in line
    assert "moved meanwhile" not in out  # refused is not behind: no pointless retries
    assert remote.head() == before
    assert changed_files(project.root) == [CARD, SNAPSHOT]  # verified and committed locally


def test_an_unreachable_remote_stops_the_run_before_verifying(
    project: Project, remote: Remote
) -> None:
    git(project.root, "remote", "set-url", "origin", str(project.root.parent / "gone.git"))
    card = project.card.read_bytes()
    code, _out, err = run(project, "--commit", "--push")
    assert code == 2
    assert "--push: could not fetch origin/main:" in err and "nothing verified" in err
    assert project.card.read_bytes() == card and not project.snapshot.exists()


def test_push_needs_commit(project: Project, remote: Remote) -> None:
    card = project.card.read_bytes()
    code, _, err = run(project, "--push")
    assert code == 2
    assert "--push needs --commit" in err
    assert project.card.read_bytes() == card


def test_commit_outside_a_checkout_fails_before_writing(project: Project) -> None:
    card = project.card.read_bytes()
    code, _, err = run(project, "--commit")
    assert code == 2
    assert re.search(r"--commit: .*project is not inside a git checkout", err)
    assert project.card.read_bytes() == card and not project.snapshot.exists()


def test_no_identity_fails_before_writing(project: Project, remote: Remote) -> None:
    git(project.root, "config", "--unset", "user.name")
    git(project.root, "config", "--unset", "user.email")
    git(project.root, "config", "user.useConfigOnly", "true")  # no guessing from the host name
    card = project.card.read_bytes()
    code, _, err = run(project, "--commit")
    assert code == 2, err
    assert "git has no committer identity" in err and "git config user.name" in err
    assert project.card.read_bytes() == card


def test_dry_run_commits_nothing(project: Project, remote: Remote) -> None:
    head = git(project.root, "rev-parse", "HEAD")
    out, err = io.StringIO(), io.StringIO()
    code = verify.run(
        config_path=project.root / "watcher.toml",
        card=None,
        upstream_url=None,
        ref=None,
        cache_dir=str(project.cache),
        today=TODAY,
        dry_run=True,
        no_issues=True,
        json_out=None,
        stdout=out,
        stderr=err,
        commit=True,
        push=True,
    )
    assert code == 0
    assert "dry run: nothing written, nothing committed" in out.getvalue()
    assert git(project.root, "rev-parse", "HEAD") == head == remote.head()
