"""Hostile upstream text in issue bodies: nobody pinged, no link to our issues, no breakout."""

from __future__ import annotations

import re

from watcher.actions.markdown import code, fence, length, prose, visible

REPO = "BerriAI/litellm"


def test_mentions_are_put_in_code() -> None:
    text = prose("thanks @krrishdholakia and @BerriAI/core-team, cc /x/@admin", REPO)
    assert text == "thanks `@krrishdholakia` and `@BerriAI/core-team`, cc /x/`@admin`"


def test_emails_are_not_mentions() -> None:
    assert prose("dev@example.com", REPO) == "dev@example.com"


def test_issue_references_name_upstream_in_code_and_link_nowhere() -> None:
    text = prose("Fix auth (#11070), see GH-12; other/repo#5 too; a#1 stays", REPO)
    assert text == (
        "Fix auth (`BerriAI/litellm#11070`), see `BerriAI/litellm#12`; `other/repo#5` too; a#1 stays"
    )
    assert prose("(#7)", None) == "(`#7`)"  # no upstream repository known: never a bare #7


def test_bare_links_are_put_in_code() -> None:
    text = prose("see https://evil.example/x?a=1 and www.evil.example, HTTP://X.EXAMPLE", REPO)
    assert text == ("see `https://evil.example/x?a=1` and `www.evil.example,` `HTTP://X.EXAMPLE`")


def test_a_mention_after_a_non_ascii_letter_is_still_a_mention() -> None:
    assert prose("é@octocat", REPO) == "é`@octocat`"
    assert prose("ü@octocat/team", REPO) == "ü`@octocat/team`"


def test_markup_is_inert() -> None:
    text = prose("![x](https://t.example/p.gif) <img src=x> **b** `c` | &#64;me", REPO)
    assert text == (r"!\[x\](`https://t.example/p.gif`) \<img src=x> \*\*b\*\* \`c\` \| \&#64;me")


def test_escaped_backtick_cannot_hide_a_mention() -> None:
    text = prose("`@someone", REPO)
    assert re.fullmatch(r"\\``@someone`", text)


def test_prose_is_one_line_and_bounded() -> None:
    assert prose("a\nb\r\n  c", REPO) == "a b c"
    assert prose("x" * 3000, REPO, limit=100).endswith("... (2900 more characters)")


def test_invisible_characters_are_shown() -> None:
    assert visible("a\u202eb\x1b[31mc\u200b") == "a\\u202eb\\u001b[31mc\\u200b"
    assert "\u202e" not in prose("x\u202ey", REPO) and "\u202e" not in fence("x\u202ey")


def test_code_spans_hold_any_backticks() -> None:
    assert code("plain") == "`plain`"
    assert code("a `b` c") == "``a `b` c``"
    assert code("`edge`") == "`` `edge` ``"
    assert code("") == "(empty)"


def test_fences_are_longer_than_any_backtick_run_inside() -> None:
    hostile = "line\n```\n@everyone #1\n``````\nend"
    block = fence(hostile, "diff")
    opening, *inside, closing = block.split("\n")
    assert opening == "`" * 7 + "diff" and closing == "`" * 7
    assert "\n".join(inside) == hostile
    assert not any(line.startswith("`" * 7) for line in inside)
    assert fence("x").startswith("```\n")


def test_length_counts_as_github_does() -> None:
    assert length("abc") == 3
    assert length("😀") == 2  # one code point, two UTF-16 units: err on the long side
