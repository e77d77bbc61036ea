"""Test support: real git upstreams served over file://, and a watcher project around the card.

Nothing of watcher's own is mocked here: tests build real repositories with the git CLI and run
watcher the way a user does (its `main()` in-process, or the console script in a subprocess).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watcher.cli import main
from watcher.facts import FactsError, ParsedModule, parse_file

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
UPSTREAM_FIXTURES = FIXTURES / "upstream"
PASSTHROUGH = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
AUTH = "litellm/proxy/auth/user_api_key_auth.py"
MACHINERY = "litellm/proxy/pass_through_endpoints/pass_through_endpoints.py"
MESSAGES = "litellm/proxy/anthropic_endpoints/endpoints.py"
PROXY_SERVER = "litellm/proxy/proxy_server.py"
# Modules the forwarding machinery imports: a call-path search must read them to rule a path out.
HELPERS = {
    "litellm/proxy/common_request_processing.py": "common_request_processing.py",
    "litellm/proxy/common_utils/http_parsing_utils.py": "http_parsing_utils.py",
    "litellm/proxy/types_utils/utils.py": "types_utils.py",
    "litellm/proxy/utils.py": "proxy_utils.py",
    "litellm/proxy/_types.py": "proxy_types.py",
}
DOCS_PATH = "/docs/proxy/custom_auth"
DOCS_PAGE = "<html><body><h1>Custom Auth</h1><p>Set <code>custom_auth</code> in general_settings.</p></body></html>"
# The Resources table's other docs links, by path: pages we write, with the phrases the claims want.
RESOURCE_PAGES = {
    "/docs/pass_through/anthropic_completion": (
        "<p>Just replace <code>https://api.anthropic.com</code> with "
        "<code>LITELLM_PROXY_BASE_URL/anthropic</code></p>"
    ),
    "/docs/proxy/pass_through": (
        "<pre>general_settings:\n  pass_through_endpoints:\n    - path: string\n"
        "      auth: boolean  # Enable LiteLLM authentication (Enterprise)</pre>"
    ),
    "/docs/proxy/config_settings": (
        "<table><tr><td>custom_auth</td></tr><tr><td>pass_through_endpoints</td></tr></table>"
    ),
}
CARD = "knowledge/litellm-proxy-authentication-hooks.md"
CARD_ID = "litellm-proxy-authentication-hooks"
# The second card (issue 13 item 7): config-defined pass-through endpoints and their `auth`.
PT_CARD = "knowledge/litellm-pass-through-endpoints-auth.md"
PT_CARD_ID = "litellm-pass-through-endpoints-auth"
CARDS = {CARD_ID: CARD, PT_CARD_ID: PT_CARD}
# The first card's Sources rows, by the name tests use for them.
ROWS = {
    "docs": "https://docs.litellm.ai/docs/proxy/custom_auth",
    "passthrough": f"https://github.com/BerriAI/litellm/blob/main/{PASSTHROUGH}",
    "auth": f"https://github.com/BerriAI/litellm/blob/main/{AUTH}",
    "messages": f"https://github.com/BerriAI/litellm/blob/main/{MESSAGES}",
    "proxy_server": f"https://github.com/BerriAI/litellm/blob/main/{PROXY_SERVER}",
}
# The claims on the Resources table's docs links that are no Sources rows: they date no row.
RESOURCE_DOCS_CLAIMS = (
    "anthropic-passthrough-docs-page",
    "pass-through-endpoints-docs-page",
    "config-settings-docs-page",
)
DOCS_CLAIMS = ("custom-auth-docs-page", *RESOURCE_DOCS_CLAIMS)
SOURCE_FILE_CLAIMS = ("passthrough-routes-source-file", "user-api-key-auth-source-file")
# The three claims of the first card's two primary sources (issue 2); tests of mechanics use these.
CORE_CLAIMS = (
    "passthrough-routes-authenticated",
    "anthropic-passthrough-route",
    "custom-auth-dispatch-order",
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Upstream Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Upstream Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    merged = {**os.environ, **GIT_ENV, **(env or {})}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=merged, capture_output=True, text=True, check=check
    )
    return done.stdout.strip()


class Upstream:
    """A real git repository standing in for BerriAI/litellm, served over file://."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", branch)
        # Without these, partial-clone filters are silently ignored by the served repository.
        git(path, "config", "uploadpack.allowFilter", "true")
        git(path, "config", "uploadpack.allowAnySHA1InWant", "true")
        self.url = path.as_uri()
        self._ticks = 0

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Write (or delete, with None) files and commit; returns the new commit id."""
        for rel, content in files.items():
            target = self.path / rel
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        git(self.path, "add", "-A")
        self._ticks += 1
        stamp = f"2025-01-01T00:{self._ticks // 60:02d}:{self._ticks % 60:02d}+00:00"
        git(
            self.path,
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
            env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
        )
        return git(self.path, "rev-parse", "HEAD")

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")


def fixture_text(name: str) -> str:
    return (UPSTREAM_FIXTURES / name).read_text(encoding="utf-8")


def litellm_upstream(root: Path) -> Upstream:
    """An upstream with realistic versions of the files the first card's claims read. Its
    forwarding machinery never calls the pre-call hook, so every claim of the card holds."""
    upstream = Upstream(root / "upstream")
    upstream.commit(
        {
            PASSTHROUGH: fixture_text("llm_passthrough_endpoints.py"),
            AUTH: fixture_text("user_api_key_auth.py"),
            MACHINERY: fixture_text("pass_through_endpoints.py"),
            MESSAGES: fixture_text("anthropic_endpoints.py"),
            PROXY_SERVER: fixture_text("proxy_server.py"),
            **{path: fixture_text(name) for path, name in HELPERS.items()},
            "README.md": "litellm stand-in\n",
        },
        "initial import",
    )
    return upstream


@dataclass
class Page:
    status: int = 200
    body: str = DOCS_PAGE
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer: a slow server, for timeouts


class DocsServer:
    """A real HTTP server on 127.0.0.1 standing in for the docs site; pages can change mid-test."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {DOCS_PATH: Page()}
        self.pages.update({path: Page(body=body) for path, body in RESOURCE_PAGES.items()})
        self.hits: list[str] = []
        pages, hits = self.pages, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                page = pages.get(self.path, Page(404, "not found"))
                time.sleep(page.delay)
                data = page.body.encode()
                self.send_response(page.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in page.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = DOCS_PATH) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Result:
    code: int
    out: str
    err: str


class Project:
    """A checkout of this repository's config and card in a temp dir, pointed at an upstream."""

    def __init__(
        self,
        root: Path,
        upstream: Upstream,
        docs_url: str | None = None,
        cards: tuple[str, ...] = (CARD_ID,),
    ) -> None:
        """`cards`: the ids of the cards copied in; the config keeps only their `[[cards]]`
        tables (most tests are about the first card and an upstream made for it)."""
        self.root = root / "project"
        self.root.mkdir()
        (self.root / "knowledge").mkdir()
        for card in cards:
            shutil.copy(REPO_ROOT / CARDS[card], self.root / CARDS[card])
        if CARD_ID in cards:
            # The test upstream is litellm before July 2024: its forwarding machinery does not
            # call the pre-call hook (a test adds the call), and the card says so as its
            # maintainer had it.
            self.set_pre_call_hook_cell("NO")
        config = (REPO_ROOT / "watcher.toml").read_text(encoding="utf-8")
        head, *tables = config.split("[[cards]]\n")
        kept = [t for t in tables if any(f'id = "{card}"\n' in t for card in cards)]
        assert len(kept) == len(cards), cards
        config = "[[cards]]\n".join([head, *kept])
        config = config.replace(
            'url = "https://github.com/BerriAI/litellm.git"',
            f'url = "{upstream.url}"\nweb_url = "https://github.com/BerriAI/litellm"',
        )
        if docs_url is not None:  # docs claims fetch from a local server (same paths), not the web
            base = docs_url.removesuffix(DOCS_PATH)
            config = re.sub(
                r'kind = "docs-page"\nsource = "https://docs\.litellm\.ai(/[^"]*)"\n',
                lambda m: f'{m.group(0)}url = "{base}{m.group(1)}"\n',
                config,
            )
        (self.root / "watcher.toml").write_text(config, encoding="utf-8")
        self.cache = root / "cache"
        self.upstream = upstream

    def keep_claims(self, *ids: str) -> Project:
        """Drop every other claim from the config: for tests about mechanics, not claim kinds."""
        config = (self.root / "watcher.toml").read_text(encoding="utf-8")
        head, *claims = config.split("[[cards.claims]]\n")
        implicit = "card-references" in ids  # built from the card, not a [[cards.claims]]
        kept = [c for c in claims if any(f'id = "{i}"\n' in c for i in ids)]
        assert len(kept) == len(ids) - implicit, ids
        if not implicit:  # the card's zero-config references claim goes too
            head = head.replace("[[cards]]\n", "[[cards]]\nreferences = false\n")
        (self.root / "watcher.toml").write_text(
            "[[cards.claims]]\n".join([head, *kept]), encoding="utf-8"
        )
        return self

    def drop_claims(self, *ids: str) -> Project:
        """Drop these claims from the config: a test about another claim's outcome."""
        config = (self.root / "watcher.toml").read_text(encoding="utf-8")
        head, *claims = config.split("[[cards.claims]]\n")
        kept = [c for c in claims if not any(f'id = "{i}"\n' in c for i in ids)]
        assert len(kept) == len(claims) - len(ids), ids
        (self.root / "watcher.toml").write_text(
            "[[cards.claims]]\n".join([head, *kept]), encoding="utf-8"
        )
        return self

    @property
    def card(self) -> Path:
        return self.root / CARD

    @property
    def snapshot(self) -> Path:
        return self.root / "snapshots" / f"{CARD_ID}.json"

    def set_pre_call_hook_cell(self, word: str) -> None:
        """Write `word` in the Hook Coverage cell async_pre_call_hook x /anthropic passthrough."""
        row = re.compile(
            r"^(\| async_pre_call_hook \(CustomLogger\) \|[^|\n]*\|[^|\n]*\| )[^|\n]*?( \|)$", re.M
        )
        text, count = row.subn(lambda m: m.group(1) + word + m.group(2), self.card_text())
        assert count == 1
        self.card.write_text(text, encoding="utf-8")

    def row_dates(self) -> dict[str, str]:
        """The Last Verified date of each Sources row, by its name in ROWS."""
        from watcher.card import parse_sources

        rows = {row.source: row.last_verified for row in parse_sources(self.card_text(), CARD).rows}
        return {name: rows[source] for name, source in ROWS.items()}

    def assert_only_failed_rows_held(
        self, claims: list[dict[str, object]], dates: dict[str, str], snapshot: bytes, day: str
    ) -> None:
        """After a run with drifted or errored `claims`: their rows kept `dates` (as before the
        run) and their baselines in `snapshot`; every other row bound to a claim moved to `day`."""
        held = {c["source"] for c in claims if c["status"] != "pass"}
        bound = {c["source"] for c in claims}
        now = self.row_dates()
        for name, source in ROWS.items():
            if source in held:
                assert now[name] == dates[name], name
            elif source in bound:
                assert now[name] == day, name
        before = json.loads(snapshot)["claims"]
        after = json.loads(self.snapshot.read_bytes())["claims"]
        for claim in claims:
            if claim["status"] != "pass":
                assert after.get(claim["id"]) == before.get(claim["id"]), claim["id"]

    def card_text(self) -> str:
        return self.card.read_text(encoding="utf-8")

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Run `watcher ARGS` in-process, in the project directory, with the test cache."""
        argv = list(args)
        if argv and argv[0] in {"verify", "accept"} and "--cache-dir" not in argv:
            argv += ["--cache-dir", str(self.cache)]
        out, err = io.StringIO(), io.StringIO()
        old_cwd = Path.cwd()
        old_env = {key: os.environ.get(key) for key in (env or {})}
        os.environ.update(env or {})
        os.chdir(self.root)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main(argv)
        finally:
            os.chdir(old_cwd)
            for key, value in old_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return Result(code, out.getvalue(), err.getvalue())

    def run_process(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Run the installed console entry point in a subprocess, as a user would."""
        done = subprocess.run(
            [sys.executable, "-m", "watcher", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env={**os.environ, "WATCHER_CACHE_DIR": str(self.cache), **(env or {})},
        )
        return Result(done.returncode, done.stdout, done.stderr)


class FixtureTree:
    """A SourceTree over a directory laid out like the upstream repository."""

    commit = "0" * 40

    def __init__(self, root: Path, overrides: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.overrides = dict(overrides or {})
        self.batches: list[list[str]] = []

    def text(self, path: str) -> str | None:
        if path in self.overrides:
            return self.overrides[path]
        file = self.root / path
        return file.read_text(encoding="utf-8") if file.is_file() else None

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        self.batches.append(list(paths))
        out: dict[str, ParsedModule | str] = {}
        for path in paths:
            text = self.text(path)
            try:
                out[path] = (
                    parse_file(path, "blob", text.encode()) if text is not None else "missing"
                )
            except FactsError as exc:
                out[path] = str(exc)
        return out

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return {path: self.text(path) for path in paths}

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        texts = self.texts(paths)
        return {
            p: hashlib.sha1(t.encode()).hexdigest() if t is not None else None
            for p, t in texts.items()
        }

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        files = {p.relative_to(self.root).as_posix() for p in self.root.rglob(f"*{suffix}")}
        files |= {p for p, text in self.overrides.items() if text is not None}
        return sorted(p for p in files if p.endswith(suffix) and self.text(p) is not None)
