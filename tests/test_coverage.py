"""Coverage: each statement of the card's tables and each Sources row, and the claims checking it."""

from __future__ import annotations

import json
import tomllib

import pytest
from support import CARD, REPO_ROOT, Project

from watcher.card.tables import StatementRef, card_statements, parse_tables, ref_problem
from watcher.claims import ClaimKind

TABLES = """---
name: t
description: "a | b"
---
# Card

| Resource | Link |
|---|---|
| docs | https://example.com |

```markdown
## Not a heading
| Fake | Table |
|---|---|
| x | y |
```

## Matrix

| Hook | /a | /b |
|:--|:-:|--:|
| one | YES | NO |
| two | ✓ | n/a |

## Matrix

| Other | Text |
|---|---|
| one | a sentence, not a verdict |
| one | a second row with the same key |

## Sources

| Source | Type | Last Verified |
|---|---|---|
| https://example.com/a.py | Primary source | 2026-04-19 |
"""


def test_tables_are_named_by_their_heading_outside_code_and_front_matter() -> None:
    tables = parse_tables(TABLES)
    assert [t.name for t in tables] == ["Card", "Matrix", "Matrix (2)", "Sources"]
    assert [t.is_matrix for t in tables] == [False, True, False, False]
    assert tables[3].is_sources
    assert [row.key for row in tables[2].rows] == ["one", "one (2)"]
    assert tables[1].rows[1].line == 23


def test_a_matrix_states_one_thing_per_cell_other_tables_one_per_row() -> None:
    statements = card_statements(parse_tables(TABLES))
    assert [(str(s.ref), s.text) for s in statements] == [
        ("Card / docs", "https://example.com"),
        ("Matrix / one / /a", "YES"),
        ("Matrix / one / /b", "NO"),
        ("Matrix / two / /a", "✓"),
        ("Matrix / two / /b", "n/a"),
        ("Matrix (2) / one", "a sentence, not a verdict"),
        ("Matrix (2) / one (2)", "a second row with the same key"),
    ]
    assert StatementRef("Matrix", "one", "/b") in [s.ref for s in statements]


def test_coverage_command_lists_every_statement_and_source(project: Project) -> None:
    result = project.run("coverage")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (
        "litellm-proxy-authentication-hooks: 21 of 22 table statements machine-checked; "
        "6 of 6 code blocks checked; 0 of 46 references resolved, 46 not checked yet; "
        "5 of 5 Sources rows bound to claims"
    )
    assert (
        "    async_pre_call_hook (CustomLogger) / /anthropic/v1/messages (passthrough): NO  "
        "<- passthrough-skips-pre-call-hook"
    ) in lines
    assert (
        "    FastAPI BaseHTTPMiddleware / /v1/messages (beta): YES  <- messages-endpoint-served-by-app"
    ) in lines
    assert (
        "    custom_auth (general_settings) / /v1/messages (beta): YES  <- custom-auth-dispatch-order, "
        "custom-auth-loaded-from-config, messages-endpoint-authenticated"
    ) in lines
    assert (
        "    async_pre_call_hook (CustomLogger) / /v1/messages (beta): YES  "
        "<- messages-endpoint-runs-pre-call-hook"
    ) in lines
    assert sum("not machine-checked" in line for line in lines) == 1  # a Changelog row
    assert "  Sources" in lines
    assert (
        "    https://github.com/BerriAI/litellm/blob/main/litellm/proxy/proxy_server.py "
        "(Primary source, last verified 2026-04-19)  <- custom-auth-loaded-from-config, "
        "chat-completions-authenticated, chat-completions-runs-pre-call-hook, "
        "chat-completions-served-by-app, card-references"
    ) in lines
    # The Dispatch Flow sketch has no language, but the dispatch claim reads its expectation there.
    assert (
        "    plain block at line 102 (Dispatch Flow): read by custom-auth-dispatch-order "
        "(its expected dispatch)"
    ) in lines


def test_coverage_json(project: Project) -> None:
    result = project.run("coverage", "--json", "-")
    assert result.code == 0
    entries = json.loads(result.out)["coverage"]
    statements = [e for e in entries if e["kind"] == "statement"]
    sources = [e for e in entries if e["kind"] == "source"]
    assert len(statements) == 22 and len(sources) == 5
    hook = next(
        e
        for e in statements
        if e["row"] == "async_pre_call_hook (CustomLogger)"
        and e["column"] == "/anthropic/v1/messages (passthrough)"
    )
    assert hook == {
        "card": "litellm-proxy-authentication-hooks",
        "kind": "statement",
        "table": "Hook Coverage",
        "row": "async_pre_call_hook (CustomLogger)",
        "column": "/anthropic/v1/messages (passthrough)",
        "text": "NO",
        "line": 37,
        "machine_checked": True,
        "claims": [{"id": "passthrough-skips-pre-call-hook", "status": None}],
    }


def test_verify_report_has_a_coverage_section_with_statuses(project: Project) -> None:
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    assert result.code == 0
    entries = json.loads(result.out)["coverage"]
    checked = [e for e in entries if e["machine_checked"] and "claims" in e]
    assert all(c["status"] == "pass" for e in checked for c in e["claims"])
    assert "  coverage  21 of 22 table statements machine-checked" in result.err
    assert "6 of 6 code blocks checked; 30 of 46 references resolved, 16 unresolved" in result.err
    assert "(details: watcher coverage)" in result.err  # one line in verify's summary
    hook = next(
        e
        for e in entries
        if e.get("column") == "/anthropic/v1/messages (passthrough)"
        and e.get("row") == "async_pre_call_hook (CustomLogger)"
    )
    assert hook["claims"] == [{"id": "passthrough-skips-pre-call-hook", "status": "pass"}]


def test_a_sources_row_without_claims_is_reported_and_never_dated(project: Project) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text()
    start = text.index('[[cards.claims]]\nid = "custom-auth-docs-page"')
    config.write_text(text[:start])
    result = project.run("verify", "--today", "2026-11-27", "--json", "-")
    assert result.code == 0, result.err
    assert (
        "| https://docs.litellm.ai/docs/proxy/custom_auth | Official | 2026-04-19 |"
        in project.card_text()
    )
    report = json.loads(result.out)
    assert report["cards"][0]["not_machine_checked"] == [
        "https://docs.litellm.ai/docs/proxy/custom_auth"
    ]
    row = next(e for e in report["coverage"] if e.get("source", "").startswith("https://docs."))
    assert row["machine_checked"] is False and row["claims"] == []
    assert (
        "not machine-checked (no claim): https://docs.litellm.ai/docs/proxy/custom_auth"
        in result.err
    )
    resources = next(e for e in report["coverage"] if e.get("row") == "Custom Auth docs")
    assert resources["machine_checked"] is False


def replace_covers(project: Project, old: str, new: str) -> None:
    config = project.root / "watcher.toml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (
            'table = "Hook Coverage", row = "async_pre_call_hook (CustomLogger)"',
            'table = "Hook Coverage", row = "async_pre_call_hooks"',
            "watcher.toml: cards[0].claims[5].covers[0].row: no row 'async_pre_call_hooks' in "
            "table 'Hook Coverage' (rows: 'custom_auth (general_settings)', "
            f"'async_pre_call_hook (CustomLogger)', 'FastAPI BaseHTTPMiddleware') in {CARD}",
        ),
        (
            'table = "Resources", row = "Custom Auth docs"',
            'table = "Resource", row = "Custom Auth docs"',
            "watcher.toml: cards[0].claims[12].covers[0].table: no table under a heading 'Resource' "
            "(tables: 'Hook Coverage', 'Resources', 'Common Pitfalls', 'Changelog')",
        ),
        (
            'column = "/anthropic/v1/messages (passthrough)" },\n    { table = "Common',
            'column = "/anthropic" },\n    { table = "Common',
            "watcher.toml: cards[0].claims[5].covers[0].column: no column '/anthropic' in table "
            "'Hook Coverage' (columns: '/v1/chat/completions', '/v1/messages (beta)', "
            "'/anthropic/v1/messages (passthrough)')",
        ),
        (
            'table = "Resources", row = "Custom Auth docs"',
            'table = "Resources", row = "Custom Auth docs", cell = "Link"',
            "watcher.toml: cards[0].claims[12].covers[0].cell: unknown key (known: column, row, table)",
        ),
        (
            'covers = [\n    { table = "Resources", row = "Custom Auth docs" },\n]',
            'covers = "Resources"',
            "watcher.toml: cards[0].claims[12].covers: expected a list of tables like {table = ..., row = ...}",
        ),
    ],
)
def test_bad_covers_are_refused_with_breadcrumbs(
    project: Project, old: str, new: str, says: str
) -> None:
    replace_covers(project, old, new)
    for command in ("coverage", "verify"):
        result = project.run(command)
        assert result.code == 2
        assert result.err.startswith(f"watcher: error: {says}")
        assert "Traceback" not in result.err


def test_readme_documents_every_kind_and_a_valid_covers_example() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for kind in ClaimKind.registry:
        assert f"| `{kind}` |" in readme, kind
    block = readme[readme.index("```toml\ncovers = [") + len("```toml\n") :]
    example = tomllib.loads(block[: block.index("```")])
    tables = parse_tables((REPO_ROOT / CARD).read_text(encoding="utf-8"))
    for item in example["covers"]:
        ref = StatementRef(item["table"], item["row"], item.get("column", ""))
        assert ref_problem(tables, ref) is None, ref
