"""A card's analysis is kept in the run's cache directory, by its exact text: a run on an unchanged
card reads it back and neither imports nor runs the Markdown and YAML parsers (issue 13: the warm
run stays near its earlier time). Any change to the card is a new text, so a new analysis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import REPO_ROOT, Project

from watcher.card import stored
from watcher.card.markdown import parse_document
from watcher.config.references import references_of

PROBE = """
import sys
from watcher.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "markdown": "markdown_it" in sys.modules, "yaml": "yaml" in sys.modules}))
"""


def probe(project: Project) -> dict[str, object]:
    """One verify in a fresh interpreter, and which parsers it imported."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json\n" + PROBE,
            "verify",
            "--today",
            "2026-11-27",
            "--dry-run",
            "--no-issues",
            "--cache-dir",
            str(project.cache),
        ],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_run_on_an_unchanged_card_imports_no_parser(project: Project) -> None:
    first = probe(project)
    assert first == {"code": 0, "markdown": True, "yaml": True}
    assert list((project.cache / "cards").glob("*/document/*.json"))
    assert list((project.cache / "cards").glob("*/references/*.json"))
    again = probe(project)
    assert again == {"code": 0, "markdown": False, "yaml": False}
    # An edited card is another text: parsed again, and what it now says is what is checked.
    project.set_pre_call_hook_cell("YES")
    assert probe(project)["markdown"] is True


def test_a_damaged_entry_is_a_miss(project: Project) -> None:
    assert probe(project)["code"] == 0
    for entry in (project.cache / "cards").glob("*/*/*.json"):
        entry.write_text("{not json", encoding="utf-8")
    after = probe(project)
    assert after == {"code": 0, "markdown": True, "yaml": True}


def test_both_cards_read_back_exactly_as_parsed(tmp_path: Path) -> None:
    stored.use(tmp_path)
    try:
        for card in (REPO_ROOT / "knowledge").glob("*.md"):
            text = card.read_text(encoding="utf-8")
            document = parse_document(text)
            stored.save("document", text, document)
            assert stored.load("document", text) == document
            cited = {"litellm/proxy/proxy_server.py": "row"}
            found = references_of(text, document, cited)
            assert found is not None and found.references
            assert references_of(text, document, cited) == found  # now from the store
            assert stored.load("document", text + " ") is None  # another text, another entry
    finally:
        stored.use(None)
