"""What the facts cache may reuse: keys, dependencies on other files, evidence, versions.

These drive the cache through its real entry point (`extract_requests`) on a real git upstream,
with small extractors of our own as the extension point: a cross-file extractor may only be
served from the cache where every file it read has the same blob.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO_ROOT, Upstream

from watcher.claims import Extracted, FactRequest
from watcher.factcache import FactsCache, extract_requests
from watcher.factcache.codec import Uncacheable, decode, encode, round_trips
from watcher.factcache.version import source_version
from watcher.facts import (
    AuthFact,
    DispatchBranch,
    DispatchChain,
    RouteFact,
    RouteInventory,
    SourceTree,
)
from watcher.orchestrator import RunTree
from watcher.upstream import UpstreamSpec, open_upstream

INVENTORY = RouteInventory(
    (
        RouteFact(
            "/anthropic/{endpoint:path}",
            ("DELETE", "GET"),
            "anthropic_proxy_route",
            AuthFact("authenticated", "depends", "user_api_key_auth", (), 71),
            65,
        ),
        RouteFact(
            "/gemini/{endpoint:path}",
            ("POST",),
            "gemini_proxy_route",
            AuthFact("authenticated", "helper", "user_api_key_auth", ("_base",), 40),
            33,
        ),
    )
)


class Calls:
    """A cross-file extractor: its result depends on its own file and on `b.py`."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, request: FactRequest, parsed: object, tree: SourceTree) -> Extracted:
        self.count += 1
        other = tree.modules(["b.py"])["b.py"]
        lines = 0 if isinstance(other, str) else len(other.module.code.splitlines())
        chain = DispatchChain("entry", (), (), f"b has {lines} lines", line=lines)
        return Extracted(chain, None, getattr(parsed, "blob_id", None))


@pytest.fixture
def repo(tmp_path: Path) -> Upstream:
    upstream = Upstream(tmp_path / "upstream")
    upstream.commit({"a.py": "x = 1\n", "b.py": "y = 1\n", "README.md": "hi\n"}, "start")
    return upstream


def extract(repo: Upstream, cache: FactsCache, extractor: Calls) -> Extracted:
    request = FactRequest("test-cross-file", "a.py", (("p", "1"),))
    spec = UpstreamSpec(repo.url, "main")
    with open_upstream(spec, cache.root.parent.parent) as upstream:
        tree = RunTree(upstream, upstream.resolve())
        return extract_requests([request], tree, cache, extractor)[request]


def test_cross_file_results_are_reused_only_while_every_file_read_is_unchanged(
    repo: Upstream, tmp_path: Path
) -> None:
    cache = FactsCache(tmp_path / "cache", "test")
    extractor = Calls()
    first = extract(repo, cache, extractor)
    assert extractor.count == 1 and first.facts is not None
    assert extract(repo, cache, extractor).facts == first.facts
    assert extractor.count == 1  # same a.py, same b.py: from the cache

    repo.commit({"README.md": "hello\n"}, "unrelated")
    assert extract(repo, cache, extractor).facts == first.facts
    assert extractor.count == 1  # a new commit, the same blobs

    repo.commit({"b.py": "y = 1\nz = 2\n"}, "the other file changes")
    changed = extract(repo, cache, extractor)
    assert extractor.count == 2  # a.py is unchanged, but what it read is not: extracted again
    assert isinstance(changed.facts, DispatchChain) and changed.facts.fallback == "b has 2 lines"

    repo.commit({"b.py": "y = 1\n"}, "and back")
    assert extract(repo, cache, extractor).facts == first.facts
    assert extractor.count == 2  # both variants are kept


def test_an_extractor_that_reads_the_commit_id_is_never_cached(
    repo: Upstream, tmp_path: Path
) -> None:
    cache = FactsCache(tmp_path / "cache", "test")
    calls: list[str] = []

    def by_commit(request: FactRequest, parsed: object, tree: SourceTree) -> Extracted:
        calls.append(tree.commit)
        return Extracted(DispatchChain(tree.commit, (), (), "end"), None)

    request = FactRequest("test-commit", "a.py")
    with open_upstream(UpstreamSpec(repo.url, "main"), tmp_path / "cache") as upstream:
        for _ in range(2):
            extract_requests([request], RunTree(upstream, upstream.resolve()), cache, by_commit)
    assert len(calls) == 2
    assert not list(cache.root.rglob("*.json"))


def test_a_read_that_failed_is_never_cached(repo: Upstream, tmp_path: Path) -> None:
    cache = FactsCache(tmp_path / "cache", "test")
    extractor = Calls()
    request = FactRequest("test-cross-file", "a.py")
    with open_upstream(UpstreamSpec(repo.url, "main"), tmp_path / "cache") as upstream:
        tree = RunTree(upstream, upstream.resolve())
        tree.modules(["a.py"])
        shutil.rmtree(repo.path)  # the upstream is gone: b.py cannot be fetched
        result = extract_requests([request], tree, cache, extractor)[request]
    assert isinstance(result.facts, DispatchChain) and result.facts.fallback == "b has 0 lines"
    assert not list(cache.root.rglob("*.json"))


def test_facts_round_trip_with_their_evidence() -> None:
    decoded = decode(round_trips(INVENTORY))
    assert decoded == INVENTORY
    assert [r.line for r in decoded.routes] == [65, 33]  # compare=False fields survive
    assert [r.auth.line for r in decoded.routes] == [71, 40]
    chain = DispatchChain(
        "user_api_key_auth",
        ("call check",),
        (DispatchBranch("x is not None", "x", True, ("request",), 0, "returns", 50),),
        "litellm-checks",
        ("user_api_key_auth", "_builder"),
        48,
    )
    back = decode(round_trips(chain))
    assert back == chain and back.via == chain.via and back.line == 48
    assert back.branches[0].line == 50


@pytest.mark.parametrize(
    "value",
    [
        {1: "non-string key"},
        {"a", "set"},
        float("nan"),
        Path("/not/a/fact"),
        Extracted(None, "a dataclass from outside watcher.facts"),
        RouteInventory((RouteFact("/x", (), "h", AuthFact("none", "", "", (float("inf"),))),)),
    ],
)
def test_values_that_would_not_read_back_identically_are_not_cached(value: object) -> None:
    with pytest.raises(Uncacheable):
        round_trips(value)


def test_decoding_builds_only_facts_dataclasses() -> None:
    encoded = encode(INVENTORY)
    encoded["type"] = "subprocess:Popen"
    with pytest.raises(ValueError, match="not a facts type"):
        decode(encoded)
    encoded["type"] = "watcher.facts.interface:to_json"
    with pytest.raises(ValueError, match="not a facts dataclass"):
        decode(encoded)


@pytest.fixture
def package_copy(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "watcher"
    shutil.copytree(REPO_ROOT / "watcher", target, ignore=shutil.ignore_patterns("__pycache__"))
    yield target


def test_the_cache_version_follows_the_code_that_extracts(package_copy: Path) -> None:
    before = source_version(package_copy)
    assert source_version(package_copy) == before
    routes = package_copy / "facts" / "routes.py"
    routes.write_text(routes.read_text() + "\n# an extractor changed\n")
    assert source_version(package_copy) != before
    helper = package_copy / "claims" / "common.py"  # outside the facts package: covered too
    changed = source_version(package_copy)
    helper.write_text(helper.read_text() + "\n")
    assert source_version(package_copy) != changed
