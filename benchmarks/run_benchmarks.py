"""Figures for issue 5: what the daily run, history and bisect cost on the real upstream history.

Runs watcher in fresh processes (interpreter start included) against a local full-history
litellm served over file://, and prints every figure next to a floor measured in the same run:
a fresh Python process doing a plain `git fetch`, `git show` of the two watched files and a
stdlib `ast` walk of each. The machine may be shared: the load average and the CPU time of the
long runs are printed too, so a slow figure can be told apart from a busy machine.

    .venv/bin/python benchmarks/run_benchmarks.py [--upstream-url file:///work/.mirror/juspay+litellm/repo]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
MIRROR = "file:///work/.mirror/juspay+litellm/repo"
FILES = (
    "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py",
    "litellm/proxy/auth/user_api_key_auth.py",
)
DISPATCH_CHANGE = "5f6928bd50c839d15fdac320b57683a58f38c1db"  # 2025-05-22: enterprise first
TODAY = "2026-11-27"

FLOOR = """
import ast, subprocess, sys
repo, files = sys.argv[1], sys.argv[2:]
subprocess.run(["git", "-C", repo, "fetch", "-q", "origin"], check=True)
for path in files:
    data = subprocess.run(["git", "-C", repo, "show", f"FETCH_HEAD:{path}"],
                          check=True, capture_output=True).stdout
    sum(1 for _ in ast.walk(ast.parse(data)))
"""


@dataclass
class Run:
    seconds: float
    cpu: float
    code: int
    out: str
    err: str


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(seconds, cpu, done.returncode, done.stdout, done.stderr)


def watcher(project: Path, cache: Path, *args: str) -> Run:
    result = run([sys.executable, "-m", "watcher", *args, "--cache-dir", str(cache)], project)
    if result.code not in (0, 1):
        raise SystemExit(f"watcher {' '.join(args)} failed ({result.code}):\n{result.err}")
    return result


CORE_CLAIMS = (
    "passthrough-routes-authenticated",
    "anthropic-passthrough-route",
    "custom-auth-dispatch-order",
)


def disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def make_project(root: Path, url: str, config_file: Path) -> Path:
    project = root / "project"
    project.mkdir()
    shutil.copytree(REPO_ROOT / "knowledge", project / "knowledge")
    config = config_file.read_text(encoding="utf-8")
    config = re.sub(
        r'url = "https://github.com/BerriAI/litellm.git"',
        f'url = "{url}"\nweb_url = "https://github.com/BerriAI/litellm"',
        config,
    )
    # The docs-page claim is one HTTP GET to docs.litellm.ai per run: a network round trip, not
    # upstream work, and unreachable from this machine. The figures cover every upstream claim.
    # The figures are the first card's (the one earlier figures measured): the others are left out.
    config = "[[cards]]\n".join(config.split("[[cards]]\n")[:2])
    head, *claims = config.split("[[cards.claims]]\n")
    claims = [c for c in claims if 'kind = "docs-page"' not in c]
    config = "[[cards.claims]]\n".join([head, *claims])
    (project / "watcher.toml").write_text(config, encoding="utf-8")
    return project


def floor(root: Path, url: str, repeat: int) -> float:
    clone = root / "floor.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", "--filter=blob:none", url, str(clone)], check=True
    )
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "origin", "main"], check=True)
    for path in FILES:  # fetch the two blobs once, as watcher's warm run has them too
        subprocess.run(["git", "-C", str(clone), "show", f"FETCH_HEAD:{path}"], check=True,
                       capture_output=True)  # fmt: skip
    times = [
        run([sys.executable, "-c", FLOOR, str(clone), *FILES], root).seconds for _ in range(repeat)
    ]
    return statistics.median(times)


def line(name: str, value: str, seconds: float | None, base: float, target: str, ok: bool) -> str:
    ratio = f"{seconds / base:5.1f}x" if seconds is not None else "     "
    return f"{name:<42} {value:<50} {ratio}  {target:<26} {'ok' if ok else 'MISSED'}".rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream-url", default=MIRROR)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick figure")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--config", type=Path, default=REPO_ROOT / "watcher.toml", help="the claims to time"
    )
    parser.add_argument(
        "--verify-only", action="store_true", help="only the verify figures (no history, bisect)"
    )
    args = parser.parse_args()
    url: str = args.upstream_url
    root = Path(tempfile.mkdtemp(prefix="watcher-bench-"))
    try:
        return measure(root, url, args.repeat, args.config, args.verify_only)
    finally:
        if args.keep:
            print(f"work directory kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def measure(root: Path, url: str, repeat: int, config: Path, verify_only: bool) -> int:
    project = make_project(root, url, config)
    cache = root / "cache"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"watcher benchmarks: {url}, {os.cpu_count()} CPUs, load average {load}")

    base = floor(root, url, repeat)
    print(f"floor (fresh process: git fetch + git show of 2 files + ast walk): {base:.3f} s")
    print(
        "CPU: user+sys of the process and its children; wall above CPU is waiting or contention\n"
    )
    print(f"{'figure':<42} {'value':<50} {'floor':>6}  target")
    rows = []

    cold = watcher(project, cache, "verify", "--today", TODAY)
    size = disk(cache)
    mirror = urlsplit(url).path
    full = disk(Path(mirror)) if url.startswith("file://") and Path(mirror).is_dir() else 0
    share = size / full if full else 0.0
    rows.append(
        line(
            "cold verify, empty cache",
            f"{cold.seconds:.2f} s, {mb(size)} = {share:.1%} of {mb(full)} clone",
            cold.seconds,
            base,
            "disk < 10% of a full clone",
            0 < share < 0.10,
        )
    )

    warm = [watcher(project, cache, "verify", "--today", TODAY) for _ in range(repeat)]
    warm_s = statistics.median(r.seconds for r in warm)
    cpu_s = statistics.median(r.cpu for r in warm)
    rows.append(
        line(
            "warm verify, upstream unchanged (median)",
            f"{warm_s:.3f} s (min {min(r.seconds for r in warm):.3f}, CPU {cpu_s:.3f})",
            warm_s,
            base,
            "<= 0.5 s and <= 5x floor",
            warm_s <= 0.5 and warm_s <= 5 * base,
        )
    )
    probe = json.loads(watcher(project, cache, "verify", "--today", TODAY, "--json", "-").out)
    parsed = [path for card in probe["cards"] for path in card["parsed"]]
    rows.append(line("warm verify: files parsed", str(len(parsed)), None, base, "0", not parsed))
    if verify_only:
        print("\n".join(rows))
        return 0

    shutil.rmtree(cache / "facts")  # history's first time: the clone exists, no facts do
    # The figure: the two files of the first three claims (about 175 commits). The whole
    # card also walks proxy_server.py's ~560 commits; `--claim` keeps a walk to what is asked.
    core = [arg for claim in CORE_CLAIMS for arg in ("--claim", claim)]
    first = watcher(project, cache, "history", "--since", "2024-06", *core, "--json", "-")
    walked = json.loads(first.out)["cards"][0]
    commits, versions = len(walked["commits"]), len(walked["stats"]["parsed"])
    rows.append(
        line(
            "history since 2024-06, first time",
            f"{first.seconds:.1f} s ({commits} commits, {versions} parsed; CPU {first.cpu:.0f} s)",
            first.seconds,
            base,
            "< 15 s",
            first.seconds < 15,
        )
    )
    again = watcher(project, cache, "history", "--since", "2024-06", *core, "--json", "-")
    reparsed = len(json.loads(again.out)["cards"][0]["stats"]["parsed"])
    rows.append(
        line(
            "history since 2024-06, cached",
            f"{again.seconds:.2f} s ({reparsed} parsed)",
            again.seconds,
            base,
            "< 2 s",
            again.seconds < 2,
        )
    )

    clone = next(path for path in (cache / "repos").iterdir() if path.is_dir())
    good = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", f"{DISPATCH_CHANGE}~1"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    watcher(project, cache, "accept", "--ref", good, "--claim", "custom-auth-dispatch-order")
    shutil.rmtree(cache / "facts")  # bisect from an empty facts cache
    found = watcher(
        project, cache, "bisect", "--claim", "custom-auth-dispatch-order", "--json", "-"
    )
    result = json.loads(found.out)
    commit = (result.get("first_commit") or {}).get("commit") or "nothing"
    rows.append(
        line(
            "bisect, 2025-05-22 dispatch change",
            f"{found.seconds:.2f} s -> {commit[:10]} ({result['evaluated']} evaluated)",
            found.seconds,
            base,
            "< 10 s, names 5f6928bd50",
            found.seconds < 10 and commit == DISPATCH_CHANGE,
        )
    )
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
