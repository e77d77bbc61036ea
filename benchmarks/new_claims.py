"""How long the cross-file claims take on the real upstream, and what `watcher verify` says there.

    .venv/bin/python benchmarks/new_claims.py [--upstream-url URL] [--ref REF] [--cache-dir DIR]

Defaults to the full-history fork at /work/.mirror/juspay+litellm/repo (skipped when absent).
Prints figures; asserts nothing. Measures:
  1. proxy_server.py: read + libcst parse, then the assignment finder (custom-auth-loaded-from-config);
  2. the call-path search from /anthropic (passthrough-skips-pre-call-hook): time, hops (one batch
     of module reads per hop), modules read, functions analysed, read+parse vs analysis time;
  3. the same search with the hook calls of pass_through_endpoints.py edited out (in memory): an
     upstream where the hook call went away. The whole reachable graph is searched: the cost of a
     pass, and the proof that the claim would pass;
  4. a whole `watcher verify` of a temporary copy of the card (the docs page served from
     127.0.0.1, since this machine has no web): which claims hold, and whether the card moved.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watcher.cli import main as watcher_main
from watcher.facts import ParsedModule, parse_file
from watcher.facts.assignments import find_assignments
from watcher.facts.callpath import find_call_path
from watcher.orchestrator import RunTree
from watcher.upstream import UpstreamSpec, open_upstream

MIRROR = Path("/work/.mirror/juspay+litellm/repo")
REPO = Path(__file__).resolve().parent.parent
PROXY_SERVER = "litellm/proxy/proxy_server.py"
PASSTHROUGH = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
ROUTE = "/anthropic/{endpoint:path}"
TARGETS = ["proxy_logging_obj.pre_call_hook", "ProxyLogging.pre_call_hook"]


MACHINERY = "litellm/proxy/pass_through_endpoints/pass_through_endpoints.py"
HOOK_CALL = re.compile(r"\bproxy_logging_obj\.pre_call_hook\(")


class TimedTree:
    """Wraps the run's tree: how many batches (hops) were read and how long reading took.
    With `without_hook`, the forwarding machinery's hook calls are renamed away after parsing."""

    def __init__(self, tree: RunTree, without_hook: bool = False) -> None:
        self.tree = tree
        self.commit = tree.commit
        self.without_hook = without_hook
        self.batches: list[tuple[int, float]] = []

    def modules(self, paths: Sequence[str]) -> Mapping[str, ParsedModule | str]:
        start = time.perf_counter()
        found = dict(self.tree.modules(paths))
        machinery = found.get(MACHINERY)
        if self.without_hook and isinstance(machinery, ParsedModule):
            text = machinery.module.code
            print(f"  (edited out {len(HOOK_CALL.findall(text))} hook calls in {MACHINERY})")
            found[MACHINERY] = parse_file(
                MACHINERY, "edited", HOOK_CALL.sub("_no_hook(", text).encode()
            )
        self.batches.append((len(paths), time.perf_counter() - start))
        return found

    def paths(self, suffix: str = ".py", under: str = "") -> list[str]:
        return self.tree.paths(suffix, under)

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return self.tree.texts(paths)

    def blob_ids(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return self.tree.blob_ids(paths)


def search(tree: RunTree, targets: list[str], without_hook: bool = False) -> None:
    timed = TimedTree(tree, without_hook)
    start_file = tree.modules([PASSTHROUGH])[PASSTHROUGH]
    assert isinstance(start_file, ParsedModule)
    began = time.perf_counter()
    found = find_call_path(start_file, ROUTE, targets, timed, max_hops=16, max_modules=250)
    total = time.perf_counter() - began
    reading = sum(seconds for _, seconds in timed.batches)
    print(f"  targets {', '.join(targets)}")
    print(
        f"  reached={found.reached} incomplete={found.incomplete!r} in {total:.2f}s: "
        f"{len(timed.batches)} batches of reads ({reading:.2f}s read+parse, "
        f"{total - reading:.2f}s analysis), {len(found.modules)} modules, {found.functions} functions"
    )
    for path in found.paths[:1]:
        for hop in path:
            print(f"    {hop.path}:{hop.line} {hop.caller} -> {hop.callee} ({hop.kind})")


@contextlib.contextmanager
def docs_server() -> Iterator[str]:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # One page for every docs claim: it holds each claim's phrases (the card's pages).
            body = (
                b"<p>general_settings: custom_auth: mymodule.my_auth</p>"
                b"<p>pass_through_endpoints: auth: boolean # Enable LiteLLM authentication</p>"
                b"<p>Just replace api.anthropic.com with LITELLM_PROXY_BASE_URL/anthropic</p>"
            )
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/docs/proxy/custom_auth"
    finally:
        server.shutdown()
        server.server_close()


def whole_verify(url: str, ref: str, cache: Path) -> None:
    with tempfile.TemporaryDirectory() as work, docs_server() as docs:
        root = Path(work)
        shutil.copytree(REPO / "knowledge", root / "knowledge")
        config = (REPO / "watcher.toml").read_text(encoding="utf-8")
        config = config.replace('kind = "docs-page"', f'kind = "docs-page"\nurl = "{docs}"')
        (root / "watcher.toml").write_text(config, encoding="utf-8")
        card = next((root / "knowledge").glob("*.md"))
        before = card.read_bytes()
        out = io.StringIO()
        argv = ["verify", "--config", str(root / "watcher.toml"), "--upstream-url", url]
        argv += ["--ref", ref, "--cache-dir", str(cache), "--json", "-", "--today", "2026-11-27"]
        began = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = watcher_main(argv)
        seconds = time.perf_counter() - began
        report = json.loads(out.getvalue())
        print(f"  exit {code}, status {report['status']} in {seconds:.2f}s (warm clone cache)")
        for claim in report["claims"]:
            print(f"    {claim['status'].upper():<6} {claim['id']}: {claim['message'][:110]}")
        print(
            f"  card unchanged: {card.read_bytes() == before}; {report['cards'][0]['dates_note']}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-url", default=MIRROR.as_uri())
    parser.add_argument("--ref", default="main")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "watcher-bench"))
    args = parser.parse_args()
    if args.upstream_url == MIRROR.as_uri() and not MIRROR.exists():
        print(f"skipped: {MIRROR} not present (pass --upstream-url)")
        return 0
    cache = Path(args.cache_dir)
    began = time.perf_counter()
    with open_upstream(UpstreamSpec(args.upstream_url, args.ref), cache) as upstream:
        commit = upstream.resolve()
        print(
            f"upstream {args.upstream_url} {args.ref} @ {commit[:12]} (sync {time.perf_counter() - began:.2f}s)"
        )

        tree = RunTree(upstream, commit)
        began = time.perf_counter()
        parsed = tree.modules([PROXY_SERVER])[PROXY_SERVER]
        read_parse = time.perf_counter() - began
        assert isinstance(parsed, ParsedModule)
        began = time.perf_counter()
        found = find_assignments(parsed, "user_custom_auth", "general_settings")
        finder = time.perf_counter() - began
        size = len(tree.blobs[PROXY_SERVER].data) if tree.blobs.get(PROXY_SERVER) else 0  # type: ignore[union-attr]
        print(
            f"1. {PROXY_SERVER} ({size / 1000:.0f} kB): read+parse {read_parse:.2f}s, finder {finder * 1000:.0f} ms"
        )
        for item in found.assignments:
            print(
                f"    line {item.line}: user_custom_auth = {item.value} ({item.function or 'module'})"
            )

        print(
            "2. call path from /anthropic (fresh tree: every module read and parsed in this search)"
        )
        search(RunTree(upstream, commit), TARGETS)
        print("3. the same search, the hook calls edited out of the forwarding machinery")
        search(RunTree(upstream, commit), TARGETS, without_hook=True)
    print("4. watcher verify of a copy of the card")
    whole_verify(args.upstream_url, args.ref, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
