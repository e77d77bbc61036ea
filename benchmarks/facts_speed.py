"""How long do the facts for both cited files take at one upstream commit? (parse + extract)

Reads the two blobs once with git, then times, in-process, libcst parsing plus the route and
dispatch extractors, several runs, and prints the median against the 250 ms target.

    python benchmarks/facts_speed.py [--repo /work/.mirror/juspay+litellm/repo] [--commit main]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.facts import parse
from watcher.facts.dispatch import extract_dispatch
from watcher.facts.routes import extract_routes

ROUTES = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
AUTH = "litellm/proxy/auth/user_api_key_auth.py"
TARGET_MS = 250.0


def blob(repo: str, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout


def once(routes: bytes, auth: bytes) -> dict[str, float]:
    """Milliseconds per step of one full extraction of both files."""
    marks = [time.perf_counter()]
    parsed_routes = parse(ROUTES, "", routes)
    marks.append(time.perf_counter())
    extract_routes(parsed_routes, frozenset({"user_api_key_auth"}))
    marks.append(time.perf_counter())
    parsed_auth = parse(AUTH, "", auth)
    marks.append(time.perf_counter())
    extract_dispatch(parsed_auth, "user_api_key_auth", "user_custom_auth")
    marks.append(time.perf_counter())
    steps = ("parse routes", "extract routes", "parse auth", "extract dispatch")
    out = {name: (marks[i + 1] - marks[i]) * 1000 for i, name in enumerate(steps)}
    out["total"] = (marks[-1] - marks[0]) * 1000
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", default="/work/.mirror/juspay+litellm/repo")
    parser.add_argument("--commit", default="main")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    routes, auth = blob(args.repo, args.commit, ROUTES), blob(args.repo, args.commit, AUTH)
    once(routes, auth)  # warm-up: imports, libcst's parser tables
    runs = [once(routes, auth) for _ in range(args.runs)]
    print(f"{len(routes) // 1024} kB + {len(auth) // 1024} kB at {args.commit}, {args.runs} runs")
    for step in runs[0]:
        median = statistics.median(run[step] for run in runs)
        print(f"  {step:<17} median {median:7.1f} ms")
    total = statistics.median(run["total"] for run in runs)
    verdict = "under" if total < TARGET_MS else "OVER"
    print(f"facts for both files: {total:.1f} ms median ({verdict} the {TARGET_MS:.0f} ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
