"""Supply chain of the workflows: actions pinned by commit, runtime dependencies by version."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from support import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPTS = REPO_ROOT / "scripts"


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[name] = version
    return pins


def test_every_action_is_pinned_by_commit_with_its_tag_in_a_comment() -> None:
    for path in WORKFLOWS:
        for uses in re.findall(r"uses: (\S+.*)", path.read_text(encoding="utf-8")):
            if uses.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", uses), (
                f"{path.name}: {uses}"
            )


def test_constraints_pin_every_runtime_dependency_within_pyproject() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = _constraints()
    for text in pyproject["project"]["dependencies"]:
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pins, f"constraints.txt has no pin for {name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {requirement.specifier}"
        )


def test_constraints_cover_the_installed_dependency_closure() -> None:
    import sys

    sys.path.insert(0, str(SCRIPTS))
    try:
        from update_constraints import runtime_closure
    finally:
        sys.path.remove(str(SCRIPTS))
    assert set(runtime_closure()) == set(_constraints()), (
        "constraints.txt is out of date: run .venv/bin/python scripts/update_constraints.py"
    )


def test_ci_and_verify_do_not_share_a_pip_cache() -> None:
    verify = (REPO_ROOT / ".github" / "workflows" / "verify.yml").read_text(encoding="utf-8")
    assert "cache: pip" not in verify and "~/.cache/pip" not in verify
    assert Path(REPO_ROOT / "constraints.txt").is_file()
