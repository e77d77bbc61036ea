"""Facts over real upstream history: where do the route and dispatch facts change, and how?

Walks the first-parent commits of a litellm clone's main that touch the passthrough routes module
or the auth module, extracts the same facts the claims use at each commit, and prints one entry
per commit where the facts differ from the previous commit's. Commits whose facts did not change
are counted, not printed (pass --all to list them). Reads blobs with one `git cat-file --batch`
process; nothing is checked out and the repository is not modified.

    python benchmarks/timeline.py [--repo /work/.mirror/juspay+litellm/repo] [--since 2024-06-01]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.claims.common import json_diff
from watcher.facts import FactsError, parse_file, to_json
from watcher.facts.dispatch import extract_dispatch
from watcher.facts.routes import extract_routes

ROUTES = "litellm/proxy/pass_through_endpoints/llm_passthrough_endpoints.py"
AUTH = "litellm/proxy/auth/user_api_key_auth.py"
ACCEPTED_AUTH = frozenset({"user_api_key_auth"})


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str
    subject: str


class Blobs:
    """`git cat-file --batch` over one long-lived process: `<commit>:<path>` -> (blob id, bytes)."""

    def __init__(self, repo: str) -> None:
        self.proc = subprocess.Popen(
            ["git", "-C", repo, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def read(self, commit: str, path: str) -> tuple[str, bytes] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{commit}:{path}\n".encode())
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode().split()
        if len(header) < 3:  # "<spec> missing"
            return None
        oid, size = header[0], int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after the contents
        return oid, data

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def commits(repo: str, ref: str, since: str) -> list[Commit]:
    out = subprocess.run(
        [
            *("git", "-C", repo, "log", "--first-parent", "--reverse", f"--since={since}"),
            *("--format=%H%x00%cs%x00%s", ref, "--", ROUTES, AUTH),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [Commit(*line.split("\0", 2)) for line in out.splitlines() if line]


def route_facts(path: str, blob: tuple[str, bytes] | None) -> Any:
    if blob is None:
        return {"error": f"{path} absent"}
    try:
        parsed = parse_file(path, blob[0], blob[1])
        return to_json(extract_routes(parsed, ACCEPTED_AUTH))
    except FactsError as exc:
        return {"error": str(exc)}


def dispatch_facts(path: str, blob: tuple[str, bytes] | None) -> Any:
    if blob is None:
        return {"error": f"{path} absent"}
    try:
        parsed = parse_file(path, blob[0], blob[1])
        chain = extract_dispatch(parsed, "user_api_key_auth", "user_custom_auth")
        # Evidence, not a fact: shown when it moves so a refactor is visible but not a change.
        return {**to_json(chain), "_where": " -> ".join(chain.via)}
    except FactsError as exc:
        return {"error": str(exc)}


def _auth(route: dict[str, Any]) -> str:
    auth = route["auth"]
    via = " via " + " -> ".join(auth["via"]) if auth["via"] else ""
    return f"{auth['status']}/{auth['mechanism']} {auth['function']}{via}".strip()


def route_changes(old: Any, new: Any) -> list[str]:
    """Routes added, removed or changed, keyed by (path, handler) so a methods edit reads as one."""
    if "error" in old or "error" in new:
        return [] if old == new else [f"{old.get('error', 'routes')} -> {new.get('error', 'ok')}"]
    before = {(r["path"], r["handler"]): r for r in old["routes"]}
    after = {(r["path"], r["handler"]): r for r in new["routes"]}
    lines: list[tuple[tuple[str, str], str]] = []
    for key in before.keys() - after.keys():
        lines.append((key, f"- {key[0]} ({key[1]}): {_auth(before[key])}"))
    for key in after.keys() - before.keys():
        route = after[key]
        methods = ",".join(route["methods"])
        lines.append((key, f"+ {key[0]} [{methods}] ({key[1]}): {_auth(route)}"))
    for key in before.keys() & after.keys():
        old_route, new_route = before[key], after[key]
        if old_route["methods"] != new_route["methods"]:
            change = f"{','.join(old_route['methods'])} -> {','.join(new_route['methods'])}"
            lines.append((key, f"~ {key[0]}: methods {change}"))
        if old_route["auth"] != new_route["auth"]:
            change = f"{_auth(old_route)} -> {_auth(new_route)}"
            lines.append((key, f"~ {key[0]}: auth {change}"))
    return [line for _, line in sorted(lines)]


def summary(routes: Any, dispatch: Any) -> str:
    if "error" in routes:
        route_text = routes["error"]
    else:
        counts: dict[str, int] = {}
        for route in routes["routes"]:
            counts[route["auth"]["status"]] = counts.get(route["auth"]["status"], 0) + 1
        route_text = f"{len(routes['routes'])} routes " + str(counts)
    if "error" in dispatch:
        return f"{route_text}; dispatch: {dispatch['error']}"
    steps = [f"{b['call'] or b['guard']}:{b['outcome']}" for b in dispatch["branches"]]
    checks = ", ".join(dispatch["checks_before"]) or "none"
    return f"{route_text}; dispatch {' -> '.join(steps)} -> {dispatch['fallback']} (checks before: {checks})"


def walk(repo: str, ref: str, since: str) -> Iterator[tuple[Commit, list[str], list[str], str]]:
    """(commit, fact changes against the previous commit, evidence-only notes, summary) for every
    commit in range."""
    blobs = Blobs(repo)
    previous: dict[str, Any] = {}
    ids: dict[str, str | None] = {}
    wheres: dict[str, str | None] = {}
    try:
        for commit in commits(repo, ref, since):
            changes: list[str] = []
            notes: list[str] = []
            for path, extract in ((ROUTES, route_facts), (AUTH, dispatch_facts)):
                blob = blobs.read(commit.sha, path)
                oid = blob[0] if blob else None
                if path in ids and ids[path] == oid:
                    continue  # this commit did not touch the file
                ids[path] = oid
                facts = extract(path, blob)
                where = facts.pop("_where", None)
                if path in previous:
                    diff = (
                        route_changes(previous[path], facts)
                        if path == ROUTES
                        else json_diff(previous[path], facts)
                    )
                    changes += [f"{Path(path).name}: {line}" for line in diff]
                    if where and wheres.get(path) and where != wheres[path]:
                        notes.append(f"dispatch now reached via {where} (was {wheres[path]})")
                previous[path] = facts
                wheres[path] = where
            yield commit, changes, notes, summary(previous[ROUTES], previous[AUTH])
    finally:
        blobs.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", default="/work/.mirror/juspay+litellm/repo")
    parser.add_argument("--ref", default="main")
    parser.add_argument("--since", default="2024-06-01")
    parser.add_argument("--all", action="store_true", help="list commits without changes too")
    args = parser.parse_args(argv)
    total = changed = 0
    for index, (commit, changes, notes, state) in enumerate(walk(args.repo, args.ref, args.since)):
        total += 1
        if index == 0:
            print(f"{commit.date} {commit.sha[:10]} start: {state}")
            continue
        if changes:
            changed += 1
        if changes or notes or args.all:
            print(f"{commit.date} {commit.sha[:10]} {commit.subject[:80]}")
            for line in changes:
                print(f"    {line}")
            for line in notes:
                print(f"    (no change of facts) {line}")
    print(f"end: {state}" if total else "no commits")
    print(f"{total} commits walked, {changed} with changed facts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
