"""Cheap measures of a Python source taken before libcst sees it, and what they allow.

libcst's native parser has no guard of its own. Measured on the development VM (libcst 1.9,
8 MB stack): one line of 1,300 nested parentheses overflows its stack (SIGSEGV); a 10,000-long
`and` chain does too; 4,000 nested `not` take 900 MB, a 4,000-long call chain `a()()...` 13 s;
40,000 one-line statements take 8 s and 370 MB. The cost grows with bracket nesting, with the
operators chained in one statement, and with the number of statements, and it adds up over the
file. One scan measures all three in a few milliseconds, conservatively: brackets inside strings
and comments count as if they were code, and f-strings are read with Python 3.12's rules
(quotes may nest inside a replacement field), as libcst reads them.

The measures decide one of three things: over a configured limit, the file is refused (an error
that names the limit); inside the envelope measured safe, it is parsed in-process; in between, a
child process with memory and CPU limits parses it first (watcher.facts.sandbox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from watcher.facts.limits import ParseLimits, too_large

_INTERESTING = re.compile(rb"[()\[\]{}\"'#\\\n]")
_OPENS = frozenset(b"([{")
_CLOSES = frozenset(b")]}")
_QUOTES = frozenset(b"'\"")
# Operators that nest an expression one level deeper in libcst's tree when chained (a call or a
# subscript too: `a()()()`).
_OP_BYTES = b"-+*/%@&|^~<>.(["
_KEYWORDS = re.compile(rb"\b(?:and|or|not|lambda|if|await|is|in)\b")
_KEYWORD_SCAN_FROM = 256  # a shorter statement holds too few keywords to matter
_PREFIX = frozenset(b"rRbBuUfF")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - _OPENS - _CLOSES))


@dataclass(frozen=True)
class SourceShape:
    """What the scan found: the largest of each measure, and the totals that add up in libcst."""

    size: int
    lines: int
    depth: int  # deepest bracket nesting
    line: int  # longest physical line in bytes of UTF-8, backslash continuations joined
    chain: int  # most operators and string literals in one statement
    elifs: int  # `elif` in the file: each nests the rest of its if statement a level deeper
    depth_weight: int  # sum of the depth at every opening bracket
    chain_weight: int  # sum over statements of chain squared


def _plain_end(quote: int, triple: bool) -> re.Pattern[bytes]:
    """The rest of a string literal up to its closing quote (or the line's end, or the file's).
    Possessive: hostile text must not make the scan backtrack (a lone backslash at the end of
    the file did, exponentially)."""
    q = re.escape(bytes([quote]))
    if triple:
        body = rb"(?:[^%s\\]++|\\.|\\\Z|%s(?!%s%s))*+" % (q, q, q, q)
        return re.compile(body + rb"(?:%s%s%s|\Z)" % (q, q, q), re.DOTALL)
    return re.compile(rb"(?:[^%s\\\n]++|\\.|\\\Z)*+(?:%s|(?=\n)|\Z)" % (q, q), re.DOTALL)


_PLAIN_END = {
    (quote, triple): _plain_end(quote, triple) for quote in _QUOTES for triple in (True, False)
}
_FSTRING_LEVELS = 150
_FSTRING_STOP = re.compile(rb"[(){}\[\]'\"\\\n]")


def _string_end(data: bytes, start: int, level: int = 0) -> tuple[int, int]:
    """(end, deepest bracket nesting inside) of the string literal whose quote is at `start`.
    `level` counts the f-strings it is nested in; past _FSTRING_LEVELS the rest of the file is
    taken as one string that deep (enough to refuse or sandbox it)."""
    if level > _FSTRING_LEVELS:
        return len(data), level
    quote = data[start]
    prefix = start
    while prefix > 0 and data[prefix - 1] in _PREFIX:
        prefix -= 1
    triple = data[start : start + 3] == bytes([quote]) * 3
    delimiter = bytes([quote]) * (3 if triple else 1)
    body = start + len(delimiter)
    if b"f" not in data[prefix:start].lower():
        match = _PLAIN_END[quote, triple].match(data, body)
        assert match is not None  # the pattern matches the empty string at worst
        return match.end(), _inner_depth(data[body : match.end()])
    pos = body
    depth = deepest = fields = 0
    while True:
        stop = _FSTRING_STOP.search(data, pos)
        if stop is None:
            return len(data), deepest
        pos = stop.start()
        char = data[pos]
        if char == 92:  # backslash: the next byte is escaped
            pos += 2
            continue
        if not fields and data.startswith(delimiter, pos):
            return pos + len(delimiter), deepest
        if not fields and data.startswith((b"{{", b"}}"), pos):
            pos += 2  # an escaped brace: text, not a replacement field
            continue
        if fields and char in _QUOTES:
            # A string inside a replacement field (3.12: any quote, to any depth).
            pos, inner = _string_end(data, pos, level + 1)
            deepest = max(deepest, depth + inner)
            continue
        if char == 10 and not triple and not fields:
            return pos, deepest  # unterminated: libcst refuses it; the scan goes on
        if char in _OPENS:
            depth += 1
            deepest = max(deepest, depth)
            fields += char == 123
        elif char in _CLOSES:
            depth = max(depth - 1, 0)
            if char == 125 and fields:
                fields -= 1
        pos += 1


def _statement_chain(data: bytes, start: int, end: int) -> int:
    span = data[start:end]
    chain = len(span) - len(span.translate(None, _OP_BYTES))
    if end - start >= _KEYWORD_SCAN_FROM:
        chain += len(_KEYWORDS.findall(span))
    return chain


def measure(data: bytes) -> SourceShape:
    depth = deepest = depth_weight = longest_chain = chain_weight = 0
    statement = strings = 0
    size = len(data)
    pos = 0
    search = _INTERESTING.search
    while True:
        match = search(data, pos)
        if match is None:
            break
        at = match.start()
        char = data[at]
        pos = at + 1
        if char in _OPENS:
            depth += 1
            depth_weight += depth
            deepest = max(deepest, depth)
        elif char in _CLOSES:
            depth = max(depth - 1, 0)
        elif char in _QUOTES:
            strings += 1  # implicitly concatenated strings nest like a chain
            pos, inner = _string_end(data, at)
            if inner:
                deepest = max(deepest, depth + inner)
                depth_weight += inner * (depth + inner)
        elif char == 35:  # '#': a comment to the end of the line
            end = data.find(b"\n", at)
            pos = size if end < 0 else end
            inner = _inner_depth(data[at:pos])
            if inner:
                deepest = max(deepest, depth + inner)
                depth_weight += inner * (depth + inner)
        elif char == 92:  # backslash continuation: the statement goes on
            pos = at + 2
        elif char == 10 and depth == 0:
            chain = _statement_chain(data, statement, at) + strings
            longest_chain = max(longest_chain, chain)
            chain_weight += chain * chain
            statement = pos
            strings = 0
    chain = _statement_chain(data, statement, size) + strings
    longest_chain = max(longest_chain, chain)
    chain_weight += chain * chain
    joined = data.replace(b"\\\n", b"") if b"\\\n" in data else data
    longest_line = max(map(len, joined.split(b"\n")))
    return SourceShape(
        size,
        data.count(b"\n") + 1,
        deepest,
        longest_line,
        longest_chain,
        data.count(b"elif"),
        depth_weight,
        chain_weight,
    )


def _inner_depth(text: bytes) -> int:
    depth = deepest = 0
    for char in text.translate(None, _NOT_BRACKETS):
        if char in _OPENS:
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def refusal(path: str, shape: SourceShape, limits: ParseLimits) -> str | None:
    """Why the file is not parsed at all, naming the limit; None if it may be parsed."""
    if shape.size > limits.max_bytes:
        return too_large(path, shape.size, limits)
    if shape.depth > limits.max_depth:
        return (
            f"{path}: nesting depth {shape.depth} exceeds the limit {limits.max_depth} "
            "(limits.max_depth)"
        )
    if shape.line > limits.max_line:
        return (
            f"{path}: a line of {shape.line} bytes exceeds the limit {limits.max_line} "
            "(limits.max_line)"
        )
    return None


# libcst's stack per level, measured on threads with a 2 MiB stack: a bracket 6.5 kB, a lambda
# 2.4 kB, the other chained operators 1 to 1.5 kB, an elif or an implicitly concatenated string
# about 1 kB. Levels of different kinds add up, so the estimate takes the worst case: the
# deepest brackets, inside the longest chain, inside every elif of the file.
_STACK_PER_BRACKET = 6_600
_STACK_PER_LINK = 2_500
_STACK_PER_ELIF = 1_000


def stack_estimate(shape: SourceShape) -> int:
    """Bytes of stack libcst may need for this file, at worst."""
    return (
        shape.depth * _STACK_PER_BRACKET
        + shape.chain * _STACK_PER_LINK
        + shape.elifs * _STACK_PER_ELIF
    )


# The envelope parsed in-process, from the measurements above. Its stack bound is 3/8 of the
# parsing thread's stack (3 MiB of the usual 8 MiB); at each other bound alone, libcst took at
# most 2.5 s and 400 MB (two 1,000-long lambda chains). Every .py file of litellm (1,305 at
# 2025-12) is inside it; their largest measures were depth 8, chain 705, 423 elifs, 1.8 MiB of
# stack (all three in utils.py), a 4,402-byte line, proxy_server.py's 10k lines, depth
# weight 6,247, chain weight 522,308.
SAFE_BYTES = 1 << 20
SAFE_LINES = 20_000
SAFE_DEPTH = 40
SAFE_CHAIN = 1_000
SAFE_STACK_SHARE = 3 / 8
DEFAULT_STACK = 8 << 20
SAFE_DEPTH_WEIGHT = 100_000
SAFE_CHAIN_WEIGHT = 2_000_000


def in_envelope(shape: SourceShape, stack: int = DEFAULT_STACK) -> bool:
    """True when libcst can parse this in-process, on a thread with `stack` bytes of stack,
    without risk to the run."""
    return (
        shape.size <= SAFE_BYTES
        and shape.lines <= SAFE_LINES
        and shape.depth <= SAFE_DEPTH
        and shape.chain <= SAFE_CHAIN
        and stack_estimate(shape) <= stack * SAFE_STACK_SHARE
        and shape.depth_weight <= SAFE_DEPTH_WEIGHT
        and shape.chain_weight <= SAFE_CHAIN_WEIGHT
    )
