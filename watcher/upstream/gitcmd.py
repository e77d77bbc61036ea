"""Running git against an untrusted cache: a fixed environment, one protocol, and deadlines.

The clone cache may have been restored from elsewhere (the Action's cache) or tampered with, so
nothing in its config may choose what runs: hooks are off, only the protocol of the configured
URL is allowed (GIT_ALLOW_PROTOCOL overrides any `protocol.*.allow` in the cache), and every
call has a low-speed limit and an overall timeout, so a server that drips bytes cannot hang a run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from watcher.upstream.interface import UpstreamError
from watcher.upstream.urls import redact

# Below LOW_SPEED_LIMIT bytes/s for LOW_SPEED_TIME seconds aborts a transfer (curl's own limit);
# TIMEOUT bounds any one git call, clone included. The environment variables override them.
LOW_SPEED_LIMIT = 1000
LOW_SPEED_TIME = 60
TIMEOUT = 900
_LIMIT_VARS = {
    "WATCHER_GIT_LOW_SPEED_LIMIT": LOW_SPEED_LIMIT,
    "WATCHER_GIT_LOW_SPEED_TIME": LOW_SPEED_TIME,
    "WATCHER_GIT_TIMEOUT": TIMEOUT,
}
_REDIRECTING = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_KEY_",
    "GIT_CONFIG_VALUE_",
)
# git's last words that only say the transfer failed; the line that says why comes earlier.
_GENERIC = (
    "could not read from remote repository",
    "the remote end hung up",
    "early eof",
    "index-pack failed",
    "invalid index-pack output",
    "unexpected disconnect",
)


class GitTimeout(UpstreamError):
    """A git call ran past its deadline and was stopped."""


def limit(name: str) -> int:
    """A deadline setting: the environment's positive integer, else the default."""
    raw = os.environ.get(name, "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return _LIMIT_VARS[name]


def protocol(url: str) -> str:
    """The one git transport the URL needs (check_url has already vetted it)."""
    for scheme in ("https", "ssh", "file"):
        if url.startswith(scheme + "://"):
            return scheme
    return "ssh"  # scp-like user@host:path


def _redirects(key: str) -> bool:
    """Inherited variables that would point git at another repository or add settings."""
    return key.startswith(_REDIRECTING) or key in {"GIT_PROTOCOL_FROM_USER", "GIT_ALLOW_PROTOCOL"}


def git_env(url: str, git_dir: Path | None = None) -> dict[str, str]:
    """The environment of every git call on behalf of `url`."""
    env = {key: value for key, value in os.environ.items() if not _redirects(key)}
    env.update(
        {
            "LANGUAGE": "C",  # English messages: we match a few of them
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_ALLOW_PROTOCOL": protocol(url),
        }
    )
    settings = {
        "core.hooksPath": "/dev/null",
        "core.fsmonitor": "false",
        "http.lowSpeedLimit": str(limit("WATCHER_GIT_LOW_SPEED_LIMIT")),
        "http.lowSpeedTime": str(limit("WATCHER_GIT_LOW_SPEED_TIME")),
    }
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for index, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    if git_dir is not None:
        env["GIT_DIR"] = str(git_dir)
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # git and its helpers (remote-https, ssh)


def _start(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], stdout: int = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise UpstreamError(f"cannot run git ({exc.strerror}); is git installed?") from exc


def _timed_out(url: str, args: Sequence[str], timeout: int) -> GitTimeout:
    verb = next((arg for arg in args if not arg.startswith("-") and "=" not in arg), "git")
    return GitTimeout(
        f"{redact(url)}: git {verb} did not finish within {timeout}s and was stopped "
        "(WATCHER_GIT_TIMEOUT sets the limit)"
    )


def run(
    args: Sequence[str], *, url: str, cwd: Path, git_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`git ARGS`, bounded by the timeout; output decoded, stdout without its final newline."""
    timeout = limit("WATCHER_GIT_TIMEOUT")
    process = _start(args, cwd, git_env(url, git_dir))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        process.communicate()
        raise _timed_out(url, args, timeout) from None
    return subprocess.CompletedProcess(
        process.args,
        process.returncode,
        out.decode("utf-8", "replace").removesuffix("\n"),
        err.decode("utf-8", "replace"),
    )


def stream(
    args: Sequence[str], *, url: str, cwd: Path, on_line: Callable[[str], None]
) -> tuple[int, str]:
    """`git ARGS` whose stderr lines (progress, split at \\r too) go to `on_line` as they come.
    Returns (exit status, all of stderr)."""
    timeout = limit("WATCHER_GIT_TIMEOUT")
    process = _start(args, cwd, git_env(url), stdout=subprocess.DEVNULL)  # stderr only
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        _stop(process)

    timer = threading.Timer(timeout, expire)
    timer.start()
    said: list[str] = []
    try:
        assert process.stderr is not None
        pending = b""
        while chunk := os.read(process.stderr.fileno(), 4096):
            pending += chunk
            *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace")
                said.append(text)
                on_line(text)
        said.append(pending.decode("utf-8", "replace"))
        process.wait()
    finally:
        timer.cancel()
        if process.poll() is None:
            _stop(process)
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    if fired.is_set():
        raise _timed_out(url, args, timeout)
    return process.returncode, "\n".join(said)


def explain(stderr: object, status: object, url: str) -> str:
    """`URL: reason`, with git's most specific `fatal:` (else `error:`) line as the reason."""
    lines = [line.strip() for line in str(stderr or "").splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("fatal:")]
    error = [line for line in lines if line.startswith("error:")]

    def specific(found: list[str]) -> list[str]:
        return [line for line in found if not any(g in line.lower() for g in _GENERIC)]

    ranked = specific(fatal) + specific(error) + fatal + error + lines[-1:]
    detail = (ranked[0] if ranked else f"git exited with {status}").strip("'\" ")
    return redact(f"{url}: {detail}")
