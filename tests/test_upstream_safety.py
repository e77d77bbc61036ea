"""The clone cache is not trusted blindly, and git never hangs a run (issues 11 and 12).

Tampered, damaged, foreign and half-written caches; planted lock files; credentials in URLs;
a git https server on 127.0.0.1 that drips its answer one byte at a time.
"""

from __future__ import annotations

import io
import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import AUTH, PASSTHROUGH, Project, Upstream, git

from watcher.lock import UnsafeLock
from watcher.upstream import UpstreamError, UpstreamSpec, open_upstream
from watcher.upstream.cache import lock_path, repo_dir
from watcher.upstream.gitcmd import GitTimeout, explain
from watcher.upstream.urls import check_ref, check_url

SECRET = "ghp_Secret0123456789abcdef"
as_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root to hand files to another uid")


def sync(upstream: Upstream, cache: Path, say: io.StringIO | None = None) -> str:
    """Open the cache the way a run does; returns the fetched commit and checks one blob read."""
    with open_upstream(UpstreamSpec(upstream.url, "main"), cache, say) as up:
        commit = up.resolve()
        blob = up.read(commit, [AUTH])[AUTH]
        assert blob is not None and blob.data == (upstream.path / AUTH).read_bytes()
        return commit


def the_clone(upstream: Upstream, cache: Path) -> Path:
    return repo_dir(cache, upstream.url)


# Item 1: a tampered cache runs nothing and is cloned again; dirs are private and ours.


def test_a_tampered_remote_runs_nothing_and_the_cache_is_cloned_again(
    upstream: Upstream, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    clone = the_clone(upstream, cache)
    pwned = tmp_path / "pwned"
    git(clone, "config", "remote.origin.url", f"ext::sh -c 'touch {pwned}; false'")
    git(clone, "config", "protocol.ext.allow", "always")
    newer = upstream.commit({"litellm/new.py": "x = 1\n"}, "newer")
    said = io.StringIO()
    assert sync(upstream, cache, said) == newer
    assert not pwned.exists()
    assert "points at another remote than the configured URL; cloning it again" in said.getvalue()
    assert git(clone, "config", "remote.origin.url") == upstream.url
    assert git(clone, "config", "--get-all", "protocol.ext.allow", check=False) == ""


def test_a_setting_watcher_never_writes_gets_the_cache_cloned_again(
    upstream: Upstream, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    clone = the_clone(upstream, cache)
    git(clone, "config", "core.sshCommand", f"touch {tmp_path / 'pwned'}")
    said = io.StringIO()
    sync(upstream, cache, said)
    assert "has a setting watcher never writes ('core.sshcommand')" in said.getvalue()
    assert git(clone, "config", "--get-all", "core.sshCommand", check=False) == ""


def test_a_cache_borrowing_another_config_is_cloned_again(
    upstream: Upstream, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config").write_text("[core]\n\tsshCommand = touch pwned\n")
    (the_clone(upstream, cache) / "commondir").write_text(str(elsewhere) + "\n")
    said = io.StringIO()
    sync(upstream, cache, said)
    assert "borrows another repository's config (commondir); cloning it again" in said.getvalue()
    assert not (the_clone(upstream, cache) / "commondir").exists()


def test_hooks_planted_in_the_cache_never_run(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    hooked = tmp_path / "hooked"
    hook = the_clone(upstream, cache) / "hooks" / "reference-transaction"
    hook.write_text(f"#!/bin/sh\ntouch {hooked}\n", encoding="utf-8")
    hook.chmod(0o755)
    upstream.commit({"litellm/new.py": "x = 1\n"}, "newer")  # the fetch updates a ref
    sync(upstream, cache)
    assert not hooked.exists()


def test_cache_directories_are_private(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "fresh" / "cache"
    sync(upstream, cache)
    for path in (cache, cache / "repos"):
        assert path.stat().st_mode & 0o777 == 0o700, path


@as_root
def test_a_cache_owned_by_another_user_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    os.chown(cache / "repos", 4242, 4242)
    with pytest.raises(UpstreamError, match=r"belongs to another user \(uid 4242\)"):
        sync(upstream, cache)


# Item 2: lock files are never followed, never truncated, and one per clone.


def test_a_planted_symlink_lock_is_refused_and_its_target_untouched(
    upstream: Upstream, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    lock = lock_path(the_clone(upstream, cache))
    lock.parent.mkdir(parents=True)
    lock.symlink_to(victim)
    with pytest.raises(UnsafeLock, match="symbolic link"):
        sync(upstream, cache)
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_hard_linked_lock_is_refused(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    lock = lock_path(the_clone(upstream, cache))
    lock.parent.mkdir(parents=True)
    os.link(victim, lock)
    with pytest.raises(UnsafeLock, match="hard links"):
        sync(upstream, cache)
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_lock_file_is_never_truncated(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lock = lock_path(the_clone(upstream, cache))
    lock.parent.mkdir(parents=True)
    lock.write_text("x" * 64, encoding="ascii")
    sync(upstream, cache)
    text = lock.read_text(encoding="ascii")
    assert len(text) == 64 and text.split()[0] == str(os.getpid())


def test_two_upstreams_with_one_repository_name_have_their_own_locks(tmp_path: Path) -> None:
    one = repo_dir(tmp_path, "file:///srv/a/litellm.git")
    other = repo_dir(tmp_path, "file:///srv/b/litellm.git")
    assert lock_path(one) != lock_path(other)
    assert lock_path(one).name == one.name + ".lock"


# Item 3: credentials in an upstream URL are refused before anything is printed or written.


def every_file_text(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path, path.read_bytes()


@pytest.mark.parametrize("command", ["verify", "accept", "history", "bisect"])
def test_credentials_in_the_configured_url_are_refused_and_never_leak(
    project: Project, tmp_path: Path, command: str
) -> None:
    url = f"https://x-access-token:{SECRET}@127.0.0.1:9/BerriAI/litellm.git"
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(f'url = "{project.upstream.url}"', f'url = "{url}"'))
    args = [command, "--cache-dir", str(project.cache)]
    if command != "accept":
        args += ["--json", str(tmp_path / "report.json")]
    if command == "bisect":
        args += ["--claim", "passthrough-routes-authenticated"]
    result = project.run(*args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "upstreams[0].url" in result.err and "credential helper" in result.err
    assert SECRET not in result.out + result.err
    leaks = [path for path, data in every_file_text(tmp_path) if SECRET.encode() in data]
    assert leaks == [config]


@pytest.mark.parametrize(
    "url",
    [
        f"https://x-access-token:{SECRET}@127.0.0.1:9/litellm.git",
        f"https://{SECRET}@127.0.0.1:9/litellm.git",
        f"ssh://git:{SECRET}@127.0.0.1/litellm.git",
        f"file://user:{SECRET}@/srv/litellm",
    ],
)
def test_credentials_in_upstream_url_option_are_refused(
    project: Project, tmp_path: Path, url: str
) -> None:
    report = tmp_path / "report.json"
    result = project.run("verify", "--upstream-url", url, "--json", str(report))
    assert result.code == 2
    assert "credential helper" in result.err and len(result.err.strip().splitlines()) == 1
    assert SECRET not in result.out + result.err
    assert not [path for path, data in every_file_text(tmp_path) if SECRET.encode() in data]


def test_a_user_name_alone_is_fine_for_ssh() -> None:
    assert check_url("ssh://git@github.com/BerriAI/litellm.git")


# Item 4: deadlines. A git https server on 127.0.0.1 that drips its answer.


class DripServer:
    """HTTPS on 127.0.0.1: reads the request, then sends one byte of headers every `interval`."""

    def __init__(self, tmp: Path, interval: float) -> None:
        cert, key = tmp / "cert.pem", tmp / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
             "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.cert = cert
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.interval = interval
        self.stopped = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}/BerriAI/litellm.git"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += tls.recv(4096)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack":
                    if self.stopped.is_set():
                        return
                    tls.sendall(bytes([byte]))
                    time.sleep(self.interval)
        except OSError:
            pass

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def drip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DripServer]:
    server = DripServer(tmp_path, 0.3)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(server.cert))
    yield server
    server.close()


def test_a_dripping_server_trips_the_low_speed_limit(
    drip: DripServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_GIT_LOW_SPEED_TIME", "1")
    started = time.monotonic()
    with pytest.raises(UpstreamError) as caught:
        open_upstream(UpstreamSpec(drip.url, "main"), tmp_path / "cache").__enter__()
    assert time.monotonic() - started < 15
    assert "too slow" in str(caught.value).lower() and "\n" not in str(caught.value)


def test_a_git_call_past_its_timeout_is_stopped_and_reported_in_one_line(
    drip: DripServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_GIT_TIMEOUT", "2")
    started = time.monotonic()
    result = project.run("verify", "--dry-run", "--upstream-url", drip.url)
    assert time.monotonic() - started < 15
    assert result.code == 2
    said = [line for line in result.err.splitlines() if "did not finish within 2s" in line]
    assert len(said) == 1 and "WATCHER_GIT_TIMEOUT" in said[0]
    with pytest.raises(GitTimeout):
        open_upstream(UpstreamSpec(drip.url, "main"), project.cache).__enter__()


# Item 5: validation is exact: no trailing newline, no other-case scheme.


@pytest.mark.parametrize("url", ["HTTPS://github.com/BerriAI/litellm.git", "File:///srv/x"])
def test_schemes_are_matched_exactly(url: str) -> None:
    with pytest.raises(UpstreamError, match="in lower case"):
        check_url(url)


@pytest.mark.parametrize("ref", ["main\n", "v1.0\n", "main\nother"])
def test_a_ref_with_a_newline_is_refused(ref: str) -> None:
    with pytest.raises(UpstreamError, match="is not a valid branch"):
        check_ref(ref)


def test_the_config_names_a_bad_ref(project: Project) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('ref = "main"', 'ref = "main\\n"'), encoding="utf-8")
    result = project.run("verify", "--dry-run")
    assert result.code == 2
    assert "upstreams[0].ref: ref 'main\\n' is not a valid branch" in result.err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'web_url = "https://github.com/BerriAI/litellm"',
            f'web_url = "https://x:{SECRET}@github.com/BerriAI/litellm"',
            "upstreams[0].web_url: ",
        ),
        (
            'web_url = "https://github.com/BerriAI/litellm"',
            'web_url = "https://github.com/BerriAI/litellm\\n"',
            "upstreams[0].web_url: ",
        ),
        (
            'id = "litellm-proxy-authentication-hooks"',
            'id = "litellm-proxy-authentication-hooks\\n"',
            "cards[0].id: ",
        ),
    ],
)
def test_config_values_are_matched_whole(
    project: Project, old: str, new: str, message: str
) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = project.run("verify", "--dry-run")
    assert result.code == 2
    assert result.err.startswith("watcher: error: " + message) or message in result.err
    assert SECRET not in result.out + result.err


# Item 7: a damaged cache heals itself on the next run, and says so.


def damage(clone: Path, how: str) -> None:
    if how == "HEAD deleted":
        (clone / "HEAD").unlink()
    elif how == "config deleted":
        (clone / "config").unlink()
    elif how == "pack overwritten":  # noticed only when the fetch fails: an fsck tells
        for pack in (clone / "objects" / "pack").glob("*.pack"):
            with pack.open("r+b") as data:
                data.seek(12)
                data.write(b"\0" * (pack.stat().st_size - 32))
    else:
        for pack in (clone / "objects" / "pack").glob("*.pack"):
            os.truncate(pack, 100)


@pytest.mark.parametrize(
    "how", ["HEAD deleted", "config deleted", "pack truncated", "pack overwritten"]
)
def test_a_damaged_cache_is_cloned_again_once_and_said(
    upstream: Upstream, tmp_path: Path, how: str
) -> None:
    cache = tmp_path / "cache"
    sync(upstream, cache)
    damage(the_clone(upstream, cache), how)
    newer = upstream.commit({"litellm/new.py": "x = 1\n"}, "newer")
    said = io.StringIO()
    assert sync(upstream, cache, said) == newer
    lines = said.getvalue().strip().splitlines()
    assert len(lines) == 1 and "cloning it again" in lines[0], lines
    assert "cached clone" in lines[0]
    git(the_clone(upstream, cache), "fsck", "--connectivity-only", "--no-dangling")
    quiet = io.StringIO()
    sync(upstream, cache, quiet)
    assert quiet.getvalue() == ""  # healed: the next run says nothing


# Item 8: git's specific reason, not its last generic line.


def test_a_missing_upstream_path_says_so(tmp_path: Path) -> None:
    url = (tmp_path / "nowhere").as_uri()
    with pytest.raises(UpstreamError) as caught:
        open_upstream(UpstreamSpec(url, "main"), tmp_path / "cache").__enter__()
    assert "does not appear to be a git repository" in str(caught.value)


def test_the_most_specific_fatal_line_is_kept() -> None:
    said = (
        "fatal: detected dubious ownership in repository at '/srv/litellm'\n"
        "To add an exception for this directory, call:\n"
        "\tgit config --global --add safe.directory /srv/litellm\n"
        "fatal: Could not read from remote repository.\n\n"
        "Please make sure you have the correct access rights\nand the repository exists.\n"
    )
    assert explain(said, 128, "file:///srv/litellm") == (
        "file:///srv/litellm: fatal: detected dubious ownership in repository at '/srv/litellm"
    )


@as_root
def test_an_upstream_owned_by_another_user_says_dubious_ownership(
    upstream: Upstream, tmp_path: Path
) -> None:
    for path in [upstream.path, *upstream.path.rglob("*")]:
        os.lchown(path, 4242, 4242)
    with pytest.raises(UpstreamError, match="detected dubious ownership"):
        open_upstream(UpstreamSpec(upstream.url, "main"), tmp_path / "cache").__enter__()


# Item 11: a killed first clone's staging folder is removed by the next run.


def test_leftovers_of_a_killed_clone_are_cleaned_up(upstream: Upstream, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    clone = the_clone(upstream, cache)
    staged = clone.parent / f".clone-{clone.name}.k1ll3d9x"
    (staged / "repo" / "objects").mkdir(parents=True)
    legacy = clone.parent / ".clone-a8b7c6d5"  # an older watcher's unnamed staging folder
    (legacy / "repo").mkdir(parents=True)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(legacy, (two_days_ago, two_days_ago))
    sync(upstream, cache)
    assert sorted(p.name for p in clone.parent.iterdir()) == [clone.name, clone.name + ".lock"]


def test_blobs_still_come_from_the_configured_url_only(upstream: Upstream, tmp_path: Path) -> None:
    """Fetches name the URL; the cache's remotes stay the configured one (no stray remotes)."""
    cache = tmp_path / "cache"
    sync(upstream, cache)
    upstream.commit({PASSTHROUGH: upstream.read(PASSTHROUGH) + "\n# more\n"}, "more")
    sync(upstream, cache)
    remotes = git(the_clone(upstream, cache), "config", "--get-regexp", r"^remote\..*\.url$")
    assert remotes.splitlines() == [f"remote.origin.url {upstream.url}"]
