#!/usr/bin/env python3
"""Regenerate tests/data/github-openapi-issues.json from GitHub's published OpenAPI description.

The fake GitHub server in tests/github checks every request it receives and every response it
sends against this file, so the fake cannot drift away from the real API unnoticed. The file keeps
only the operations watcher uses, dereferenced, without prose (descriptions, examples).

The description comes from the npm package `@octokit/openapi` (GitHub's rest-api-description
plus Octokit's extensions), fetched with the ordinary npm client:

    python3 scripts/github_openapi_subset.py                 # npm pack @octokit/openapi@VERSION
    python3 scripts/github_openapi_subset.py --tarball octokit-openapi-23.0.2.tgz
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
VERSION = "23.0.2"
MEMBER = "package/generated/api.github.com.deref.json"
OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "github-openapi-issues.json"

# (method, path) of every operation watcher's GitHub client sends.
OPERATIONS = (
    ("get", "/repos/{owner}/{repo}/issues"),
    ("post", "/repos/{owner}/{repo}/issues"),
    ("patch", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("get", "/repos/{owner}/{repo}/labels/{name}"),
    ("post", "/repos/{owner}/{repo}/labels"),
)
PROSE = {"description", "summary", "example", "examples", "externalDocs", "title"}


def _strip(node: Any, names: bool = False) -> Any:
    """Drop prose and extensions; `names` marks a `properties` map, whose keys are field names."""
    if isinstance(node, dict):
        return {
            k: _strip(v, names=(k == "properties" and not names))
            for k, v in node.items()
            if names or (k not in PROSE and not k.startswith("x-"))
        }
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _json_schema(content: dict[str, Any] | None) -> Any:
    for media, body in (content or {}).items():
        if "json" in media:
            return body.get("schema")
    return None


def subset(spec: dict[str, Any], version: str) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for method, path in OPERATIONS:
        op = spec["paths"][path][method]
        responses = {}
        for status, response in op["responses"].items():
            responses[status] = {
                "headers": sorted((response.get("headers") or {}).keys(), key=str.lower),
                "schema": _strip(_json_schema(response.get("content"))),
            }
        body = op.get("requestBody")
        operations[op["operationId"]] = {
            "method": method.upper(),
            "path": path,
            "parameters": [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "schema": _strip(p.get("schema")),
                }
                for p in op.get("parameters", [])
            ],
            "requestBody": None
            if body is None
            else {
                "required": body.get("required", False),
                "schema": _strip(_json_schema(body["content"])),
            },
            "responses": responses,
        }
    return {
        "source": {
            "package": PACKAGE,
            "version": version,
            "file": MEMBER,
            "openapi": spec["openapi"],
        },
        "operations": operations,
    }


def _load(tarball: Path) -> dict[str, Any]:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{tarball}: no {MEMBER}")
        data: dict[str, Any] = json.load(member)
        return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="an already downloaded package tarball")
    parser.add_argument("--version", default=VERSION, help=f"package version (default {VERSION})")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        tarball = args.tarball
        if tarball is None:
            done = subprocess.run(
                ["npm", "pack", f"{PACKAGE}@{args.version}", "--silent"],
                cwd=temp,
                capture_output=True,
                text=True,
                check=True,
            )
            tarball = Path(temp) / done.stdout.strip().splitlines()[-1]
        spec = _load(tarball)
    version = spec.get("info", {}).get("version", args.version)
    text = json.dumps(subset(spec, version), indent=1, sort_keys=True) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(
        f"{args.output}: {len(OPERATIONS)} operations from {PACKAGE}@{version}, {len(text):,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
