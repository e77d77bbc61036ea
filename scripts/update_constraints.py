"""Write constraints.txt: the exact versions of watcher's runtime dependencies (and theirs).

The verify workflow holds `contents: write` and `issues: write`, so it installs exactly these
versions (`pip install -c constraints.txt .`) instead of whatever is newest that day. Run this
in the project's virtual environment after changing dependencies in pyproject.toml; the tests
check the file still matches pyproject.toml.

    .venv/bin/python scripts/update_constraints.py
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(project: str = "watcher") -> dict[str, str]:
    """name -> installed version, for every runtime dependency of `project`, transitively."""
    pinned: dict[str, str] = {}

    def walk(requirement: Requirement) -> None:
        key = normalise(requirement.name)
        if key in pinned:
            return
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            return
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:
            sys.exit(f"{requirement.name} is not installed: pip install -e . first")
        pinned[key] = dist.version
        for text in dist.requires or []:
            walk(Requirement(text))

    for text in distribution(project).requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or Marker(str(requirement.marker)).evaluate({"extra": ""}):
            walk(requirement)
    return dict(sorted(pinned.items()))


def render(pinned: dict[str, str]) -> str:
    lines = [
        "# Exact versions of watcher's runtime dependencies, for the verify workflow (it holds a",
        "# write token). Regenerate with: .venv/bin/python scripts/update_constraints.py",
        *(f"{name}=={version}" for name, version in pinned.items()),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (ROOT / "constraints.txt").write_text(render(runtime_closure()), encoding="utf-8")
