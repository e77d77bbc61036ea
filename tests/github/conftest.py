from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub on 127.0.0.1; the test fails if anything broke GitHub's published shapes."""
    with FakeGitHub() as fake:
        yield fake
    assert fake.violations == []
