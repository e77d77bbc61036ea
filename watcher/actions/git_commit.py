"""The project's own checkout, through GitPython: commit exact paths, push with rebase-and-retry.

Every failure is a SaveError whose one line says what happened and what is left where.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import git
from git.exc import GitCommandError

from watcher.actions.report import printable
from watcher.errors import WatcherError
from watcher.upstream.urls import redact

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
PUSH_ATTEMPTS = 3
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GIT_EDITOR": "true"}
_BEHIND = ("fetch first", "non-fast-forward")


class SaveError(WatcherError):
    """The run's changes could not be committed or pushed; the message says what is left where."""


def _raw(stream: object) -> str:
    """What git printed: GitPython wraps it as "\n  stdout: '...'"; take the wrapping off."""
    text = str(stream or "")
    match = re.fullmatch(r"\s*std(?:out|err): '(.*)'\s*", text, re.DOTALL)
    return match.group(1) if match else text


def _detail(exc: GitCommandError) -> str:
    """The lines of git's output that say what went wrong, on one line, credentials hidden.
    A hook's own words (`remote: ...`) are kept: they say why the remote refused."""
    lines = [
        line.strip()
        for stream in (exc.stdout, exc.stderr)
        for line in _raw(stream).splitlines()
        if line.strip() and line.strip() not in ("''", "'")
    ]
    # `push --porcelain` reports a refused ref on stdout: "!<TAB>src:dst<TAB>[rejected] (why)".
    useful = [line.split("\t")[-1] if line.startswith("!") else line for line in lines]
    said = [line for line in useful if line.startswith("remote:") and line != "remote:"]
    useful = [line for line in useful if line.startswith(("[", "error", "fatal"))]
    text = "; ".join([*useful[:3], *said[:3]] or lines[-2:]) or f"git exited with {exc.status}"
    return printable(redact(text))


class ProjectRepo:
    """The git checkout holding the cards and snapshots (not the upstream clone)."""

    def __init__(self, root: Path) -> None:
        try:
            self.repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise SaveError(
                f"--commit: {root} is not inside a git checkout; clone the project or drop --commit"
            ) from None
        if self.repo.bare or self.repo.working_tree_dir is None:
            raise SaveError(f"--commit: {root} is in a bare repository; use a checkout")
        self.top = Path(self.repo.working_tree_dir).resolve()

    def _git(self, *args: str) -> str:
        identity: list[str] = []
        if os.environ.get("GITHUB_ACTIONS") == "true":
            identity = ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
        return str(self.repo.git.execute(["git", *identity, *args], env=_GIT_ENV))

    def check_ready(self, push: bool, say: Callable[[str], None]) -> None:
        """Before verifying: an identity to commit as and, with `push`, the branch brought up to
        date with its remote, so the run checks the cards and config as they are now."""
        try:
            self._git("var", "GIT_COMMITTER_IDENT")
        except GitCommandError:
            raise SaveError(
                f"--commit: git has no committer identity in {self.top}; "
                "set one with `git config user.name ...` and `git config user.email ...`"
            ) from None
        if push:
            self._catch_up(say)

    def _catch_up(self, say: Callable[[str], None]) -> None:
        local, remote, head = self.push_target()
        try:
            tracking = self._fetch(remote, head)
        except GitCommandError as exc:
            if "couldn't find remote ref" in str(exc.stderr):
                return  # a branch the remote does not have yet: the push creates it
            raise SaveError(
                f"--push: could not fetch {remote}/{head}: {_detail(exc)}; nothing verified"
            ) from exc
        behind = int(self._git("rev-list", "--count", f"HEAD..{tracking}"))
        if not behind:
            return
        problem = self._rebase(tracking)  # a fast-forward unless an earlier push failed
        if problem:
            raise SaveError(
                f"--push: cannot bring {local} up to date with {remote}/{head} before verifying: "
                f"{problem}; nothing verified; sort out the checkout (git status) and run again"
            )
        say(f"watcher: {local} brought up to date with {remote}/{head} ({behind} new commit(s))")

    def push_target(self) -> tuple[str, str, str]:
        """(local branch, remote, remote branch): the branch's upstream, else origin/<same name>."""
        if self.repo.head.is_detached:
            raise SaveError("--push: HEAD is detached; check out the branch the bot should push")
        branch = self.repo.active_branch
        tracking = branch.tracking_branch()
        if tracking is not None:
            return branch.name, tracking.remote_name, tracking.remote_head
        if "origin" not in [remote.name for remote in self.repo.remotes]:
            raise SaveError(
                f"--push: branch {branch.name} has no upstream and there is no remote 'origin'"
            )
        return branch.name, "origin", branch.name

    def commit(self, paths: Sequence[Path], message: str) -> str | None:
        """Commit exactly `paths` (other staged or edited files stay as they are); None if unchanged."""
        try:
            rel = sorted({str(path.resolve().relative_to(self.top)) for path in paths})
        except ValueError:
            outside = ", ".join(str(path) for path in paths)
            raise SaveError(
                f"--commit: not all of {outside} are inside the checkout {self.top}; "
                "keep cards and snapshots in the repository"
            ) from None
        if not rel:
            return None
        try:
            self._git("add", "--", *rel)
            if self.repo.head.is_valid():
                try:
                    self._git("diff", "--cached", "--quiet", "HEAD", "--", *rel)
                    return None  # identical to HEAD: nothing to record
                except GitCommandError as exc:
                    if exc.status != 1:
                        raise
            self._git("commit", "--quiet", "-m", message, "--", *rel)
        except GitCommandError as exc:
            raise SaveError(
                f"--commit: git could not commit {', '.join(rel)}: {_detail(exc)}"
            ) from exc
        return self.repo.head.commit.hexsha

    def push(self, attempts: int, say: Callable[[str], None]) -> str:
        """Push HEAD; when the remote moved meanwhile, fetch, rebase and try again (bounded)."""
        local, remote, head = self.push_target()
        target = f"{remote}/{head}"
        for attempt in range(1, attempts + 1):
            try:
                self._git("push", "--porcelain", remote, f"HEAD:refs/heads/{head}")
                return target
            except GitCommandError as exc:
                stderr = f"{exc.stdout or ''}\n{exc.stderr or ''}"
                if "[rejected]" not in stderr or not any(why in stderr for why in _BEHIND):
                    raise SaveError(
                        f"--push: push to {target} failed: {_detail(exc)}; "
                        f"commit {self.head()[:12]} is kept on local branch {local}, not pushed"
                    ) from exc
            if attempt == attempts:
                break
            say(
                f"{target} moved meanwhile; rebasing onto it and retrying ({attempt}/{attempts - 1})"
            )
            self._rebase_onto(remote, head, local)
            time.sleep(0.5 * attempt)  # another writer is active: give it a moment
        raise SaveError(
            f"--push: {target} kept moving; gave up after {attempts} push attempts; "
            f"commit {self.head()[:12]} is kept on local branch {local}, not pushed; run again"
        )

    def _fetch(self, remote: str, head: str) -> str:
        tracking = f"refs/remotes/{remote}/{head}"
        self._git("fetch", "--no-tags", remote, f"+refs/heads/{head}:{tracking}")
        return tracking

    def _rebase(self, tracking: str) -> str | None:
        """Rebase HEAD onto `tracking`; on failure abort, leave HEAD as it was, say why."""
        try:
            self._git("rebase", "--quiet", tracking)
            return None
        except GitCommandError as exc:
            in_progress = any(
                (Path(self.repo.git_dir) / name).exists()
                for name in ("rebase-merge", "rebase-apply")
            )
            if in_progress:
                self._git("rebase", "--abort")
                return "its changes conflict with ours; rebase aborted"
            return _detail(exc)

    def _rebase_onto(self, remote: str, head: str, local: str) -> None:
        kept = f"commit {self.head()[:12]} is kept on local branch {local}, not pushed"
        try:
            tracking = self._fetch(remote, head)
        except GitCommandError as exc:
            raise SaveError(
                f"--push: could not fetch {remote}/{head} to rebase onto: {_detail(exc)}; {kept}"
            ) from exc
        problem = self._rebase(tracking)
        if problem:
            raise SaveError(
                f"--push: cannot rebase onto {remote}/{head}: {problem}, {kept}; "
                "pull, resolve and run verify again"
            )

    def head(self) -> str:
        return self.repo.head.commit.hexsha

    # -- what an interrupted run left (see recovery.py) ----------------------------------------

    def _rel(self, path: Path) -> str | None:
        try:
            return path.resolve().relative_to(self.top).as_posix()
        except ValueError:
            return None

    def head_text(self, path: Path) -> str | None:
        """The committed text of `path` at HEAD, None when it is not committed."""
        rel = self._rel(path)
        if rel is None or not self.repo.head.is_valid():
            return None
        try:
            # The exact text: GitPython would otherwise strip the final newline.
            return str(
                self.repo.git.execute(
                    ["git", "show", f"HEAD:{rel}"], env=_GIT_ENV, strip_newline_in_stdout=False
                )
            )
        except GitCommandError:
            return None

    def is_modified(self, path: Path) -> bool:
        """Tracked and changed (staged or not) against HEAD."""
        rel = self._rel(path)
        if rel is None or not self.repo.head.is_valid():
            return False
        try:
            self._git("diff", "--quiet", "HEAD", "--", rel)
            return False
        except GitCommandError as exc:
            return exc.status == 1

    def restore(self, paths: Iterable[Path]) -> None:
        rels = [rel for rel in (self._rel(path) for path in paths) if rel is not None]
        if rels:
            self._git("checkout", "HEAD", "--", *rels)
