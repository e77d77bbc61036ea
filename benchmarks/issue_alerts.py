"""How many requests issue alerts cost, and how long they take, against the fake GitHub.

    .venv/bin/python benchmarks/issue_alerts.py

Prints, per scenario, the HTTP requests and mutations one `watcher verify` run sent and its wall
time (the 1 s spacing between mutations is real and included).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "github")]

from fake_github import FakeGitHub  # noqa: E402
from support import AUTH, Project, litellm_upstream  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as temp, FakeGitHub() as github:
        upstream = litellm_upstream(Path(temp))
        project = Project(Path(temp), upstream)
        good = upstream.read(AUTH)
        bad = good.replace("request=request, api_key=api_key)", "request=request)")

        def run(name: str) -> None:
            before, mutations = len(github.seen), len(github.mutations())
            start = time.perf_counter()
            result = project.run("verify", env=github.env())
            took = time.perf_counter() - start
            sent = len(github.seen) - before
            wrote = len(github.mutations()) - mutations
            print(
                f"{name:<48} exit {result.code}  {sent:>3} requests  {wrote} mutations  {took:6.2f} s"
            )

        run("verified, no issues")
        upstream.commit({AUTH: bad}, "drift")
        run("drift: open (label created first)")
        run("drift again: nothing to do")
        for n in range(1000):
            github.add_issue(f"old {n}", "closed long ago", ("watcher",), state="closed")
        run("drift again, 1,001 labelled issues (11 pages)")
        upstream.commit({AUTH: good}, "revert")
        run("recovered: comment and close")
        assert github.violations == [], github.violations


if __name__ == "__main__":
    main()
