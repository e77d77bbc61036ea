"""A file refused by a parse limit is a could-not-verify like any other: the health count moves
and the health issue names the limit (issue 11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub
from support import AUTH, CARD_ID, Project
from test_issues_e2e import verify

from watcher.facts.limits import ParseLimits, configure


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    yield
    configure(ParseLimits())


def test_a_refused_file_moves_the_health_count(project: Project, github: FakeGitHub) -> None:
    config = project.root / "watcher.toml"
    config.write_text(
        "[limits]\nmax_bytes = 100000\n\n"
        + config.read_text()
        + "\n[github]\nfailure_threshold = 1\n"
    )
    project.upstream.commit({AUTH: project.upstream.read(AUTH) + "# pad\n" * 20_000}, "big")
    result = verify(project, github)
    assert result.code == 2
    assert f"opened issue #1 for health of {CARD_ID} (new)" in result.out
    assert "(limits.max\\_bytes)" in github.issues[1]["body"]
