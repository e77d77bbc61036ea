"""The scan that measures an upstream file before libcst sees it: nesting cannot hide from it,
and real code stays inside the envelope parsed in-process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from watcher.facts.guards import DEFAULT_STACK, in_envelope, measure, refusal, stack_estimate
from watcher.facts.limits import ParseLimits

UPSTREAM_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "upstream"


def depth(source: str) -> int:
    return measure(source.encode()).depth


def test_bracket_nesting_is_measured_in_code() -> None:
    assert depth("x = f(a[1], {2: (3,)})\n") == 3
    assert depth("x = (\n    1,\n)\ny = [[2]]\n") == 2


def test_closing_brackets_in_a_string_do_not_hide_later_nesting() -> None:
    source = 'x = "' + ")" * 500 + '"; y = ' + "(" * 500 + "1" + ")" * 500 + "\n"
    assert depth(source) == 500


@pytest.mark.parametrize(
    "source",
    [
        # Brackets inside a string or a comment count on top of the code around them.
        'x = ("' + "(" * 300 + '")\n',
        "x = 1  # " + "[" * 300 + "\n",
        # libcst parses replacement fields; with 3.12 rules quotes may nest inside them.
        "x = f'{" + "(" * 300 + "1" + ")" * 300 + "}'\n",
        'x = f"{ f"{1}" + ' + "(" * 300 + "1" + ")" * 300 + ' }"\n',
    ],
)
def test_nesting_cannot_hide_in_strings_comments_or_fstrings(source: str) -> None:
    assert depth(source) >= 300


def test_deeply_nested_fstrings_are_taken_as_deep_without_recursing_forever() -> None:
    source = "x = " + "f'{" * 5000 + "1" + "}'" * 5000 + "\n"
    assert depth(source) > ParseLimits().max_depth


def test_escaped_braces_in_an_fstring_are_text() -> None:
    shape = measure(b'x = f"{{" + "}}"\ny = 1\n')
    assert shape.depth <= 2
    assert shape.lines == 3


def test_a_chain_over_many_lines_is_one_statement() -> None:
    shape = measure(("x = (\n" + "-\n" * 2000 + "1)\n").encode())
    assert shape.chain >= 2000
    assert not in_envelope(shape)


def test_nesting_of_different_kinds_adds_up_on_the_stack() -> None:
    # Each part alone is inside the envelope; together they overflowed a 4 MiB stack.
    inner = "(" * 39 + "-" * 900 + "(\n" + "'a'\n" * 3000 + ")" + ")" * 39
    source = "if a: pass\n" + "elif a: pass\n" * 1000 + "else:\n    x = " + inner + "\n"
    shape = measure(source.encode())
    assert shape.elifs == 1000 and shape.chain >= 3900
    assert stack_estimate(shape) > 3 << 20
    assert not in_envelope(shape)


def test_a_smaller_stack_shrinks_the_envelope() -> None:
    shape = measure(("if a: pass\n" + "elif a: pass\n" * 2000).encode())
    assert in_envelope(shape, DEFAULT_STACK)
    assert not in_envelope(shape, 2 << 20)


def test_implicitly_concatenated_strings_count_as_a_chain() -> None:
    shape = measure(("x = (\n" + "'a'\n" * 3500 + ")\n").encode())
    assert shape.chain >= 3500
    assert not in_envelope(shape)


def test_backslash_continuations_join_lines_for_the_line_length() -> None:
    shape = measure(("x = 1" + " \\\n+ 1" * 100 + "\n").encode())
    assert shape.line == 5 + 100 * 4


@pytest.mark.parametrize("name", sorted(p.name for p in UPSTREAM_FIXTURES.glob("*.py")))
def test_real_upstream_files_are_inside_the_envelope(name: str) -> None:
    shape = measure((UPSTREAM_FIXTURES / name).read_bytes())
    assert in_envelope(shape), shape
    assert refusal(name, shape, ParseLimits()) is None


def test_each_refusal_names_its_limit() -> None:
    limits = ParseLimits(max_bytes=10, max_depth=3, max_line=8)
    assert refusal("a.py", measure(b"x = 1\n" * 5), limits) == (
        "a.py: 30 bytes exceeds the limit 10 (limits.max_bytes)"
    )
    limits = ParseLimits(max_depth=3, max_line=8)
    assert refusal("a.py", measure(b"x=((((1))))\n"), limits) == (
        "a.py: nesting depth 4 exceeds the limit 3 (limits.max_depth)"
    )
    assert refusal("a.py", measure(b"x = 1 + 2 + 3\n"), limits) == (
        "a.py: a line of 13 bytes exceeds the limit 8 (limits.max_line)"
    )


@pytest.mark.parametrize(
    "source",
    [
        # An unterminated string ending in a backslash made the string pattern backtrack
        # exponentially (30 words took longer than a minute).
        b"x = '''" + b"a b " * 5000 + b"\\",
        b"x = '" + b"a b " * 5000 + b"\\",
        b"x = f'{" + b"a " * 5000 + b"\\",
        b"(" * 200_000,
        b'"' * 200_000,
        b"\n" * 200_000,
    ],
    ids=["triple", "single", "fstring", "opens", "quotes", "newlines"],
)
def test_the_scan_stays_linear_on_hostile_text(source: bytes) -> None:
    started = time.process_time()
    measure(source)
    assert time.process_time() - started < 2.0
