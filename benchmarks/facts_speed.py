"""How long do the facts for both cited files take at one upstream commit? (parse + extract)

Reads the two blobs once with git, then times, in-process, libcst parsing (after the scan for
parse limits) plus the route and dispatch extractors, several runs, and prints the median
against the 250 ms target: wall-clock time, and the process's CPU time next to it. The work is single-threaded and does no I/O, so on
an idle machine the two agree; on a shared one, wall time also counts the time other processes
held the CPU, and the CPU figure is the one that says what the code costs.

    python benchmarks/facts_speed.py [--repo /work/.mirror/juspay+litellm/repo] [--commit main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import libcst as cst

from watcher.facts import parse_file
from watcher.facts.dispatch import extract_dispatch
from watcher.facts.guards import measure
from watcher.facts.routes import extract_routes

ROUTES = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
AUTH = "litellm/proxy/auth/user_api_key_auth.py"
TARGET_MS = 250.0


def blob(repo: str, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout


def once(routes: bytes, auth: bytes) -> dict[str, float]:
    """Milliseconds per step of one full extraction of both files (wall), plus CPU in total."""
    cpu = time.process_time()
    marks = [time.perf_counter()]
    parsed_routes = parse_file(ROUTES, "", routes)
    marks.append(time.perf_counter())
    extract_routes(parsed_routes, frozenset({"user_api_key_auth"}))
    marks.append(time.perf_counter())
    parsed_auth = parse_file(AUTH, "", auth)
    marks.append(time.perf_counter())
    extract_dispatch(parsed_auth, "user_api_key_auth", "user_custom_auth")
    marks.append(time.perf_counter())
    steps = ("parse routes", "extract routes", "parse auth", "extract dispatch")
    out = {name: (marks[i + 1] - marks[i]) * 1000 for i, name in enumerate(steps)}
    out["total"] = (marks[-1] - marks[0]) * 1000
    out["total cpu"] = (time.process_time() - cpu) * 1000
    return out


def bare_parse(routes: bytes, auth: bytes) -> float:
    """libcst's own parse of both files, the floor under everything else (same run conditions)."""
    start = time.perf_counter()
    cst.parse_module(routes.decode())
    cst.parse_module(auth.decode())
    return (time.perf_counter() - start) * 1000


def scan(routes: bytes, auth: bytes) -> float:
    """The parse-limit scan of both files alone (part of each parse above, see the README)."""
    start = time.perf_counter()
    measure(routes)
    measure(auth)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", default="/work/.mirror/juspay+litellm/repo")
    parser.add_argument("--commit", default="main")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    routes, auth = blob(args.repo, args.commit, ROUTES), blob(args.repo, args.commit, AUTH)
    once(routes, auth)  # warm-up: imports, libcst's parser tables
    runs = []
    for _ in range(args.runs):
        runs.append(once(routes, auth))
        runs[-1]["libcst.parse_module alone"] = bare_parse(routes, auth)
        runs[-1]["parse-limit scan alone"] = scan(routes, auth)
    print(f"{len(routes) // 1024} kB + {len(auth) // 1024} kB at {args.commit}, {args.runs} runs")
    for step in runs[0]:
        median = statistics.median(run[step] for run in runs)
        print(f"  {step:<26} median {median:7.1f} ms")
    for key in ("total", "total cpu"):
        median = statistics.median(run[key] for run in runs)
        verdict = "under" if median < TARGET_MS else "OVER"
        what = "wall" if key == "total" else "CPU"
        print(
            f"facts for both files: {median:.1f} ms {what} median ({verdict} the {TARGET_MS:.0f} ms target)"
        )
    floor = statistics.median(run["libcst.parse_module alone"] for run in runs)
    total = statistics.median(run["total"] for run in runs)
    print(f"our own work on top of libcst's parse: {total - floor:.1f} ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
