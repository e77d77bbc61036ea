"""Parse an upstream file only where a crash cannot take the run down.

Every file is measured first (watcher.facts.guards). Over a configured limit it is refused. Inside
the envelope measured safe it is parsed here, in-process: that is every real litellm file, so
the cold run pays only the scan (a few ms). Anything else is parsed first by a child process with
an address-space limit, a CPU limit, a wall timeout and half the stack; only if the child
finished is the file parsed again here (libcst is deterministic, so the same parse, with twice
the stack, cannot crash this process). A child that crashed, ran out of memory or time
refuses the file, naming the limit.

The extractors need the libcst tree in this process and read other files through the run's tree
while they work, which is why the child checks and this process parses, rather than the child
extracting the facts.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

from watcher.facts.guards import DEFAULT_STACK, in_envelope, measure, refusal
from watcher.facts.limits import ParseLimitError, ParseLimits, charge, spent

if TYPE_CHECKING:
    from watcher.facts.parse import ParsedModule

# The child sets its own limits (never above the ones it inherited) before it imports libcst,
# and parses on a thread whose stack is half of what this process parses with: a parse that
# finishes there has room to spare here. Exit 0 means the parse finished (a syntax error
# included: this process then reports it), 3 that it ran out of memory.
_CHILD = """
import resource, sys, threading
def limit(kind, soft, hard):
    ceiling = resource.getrlimit(kind)[1]
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(kind, (soft, hard))
memory = int(sys.argv[1]) << 20
limit(resource.RLIMIT_AS, memory, memory)
seconds = int(sys.argv[2])
limit(resource.RLIMIT_CPU, seconds, seconds + 1)
limit(resource.RLIMIT_CORE, 0, 0)
threading.stack_size(int(sys.argv[3]))
data = sys.stdin.buffer.read()
import libcst
failed = []
def parse():
    try:
        libcst.parse_module(data.decode("utf-8-sig"))
    except MemoryError:
        failed.append(3)
    except BaseException:
        pass
thread = threading.Thread(target=parse)
thread.start()
thread.join()
sys.exit(failed[0] if failed else 0)
"""
_OUT_OF_MEMORY = 3
_MIN_STACK = 256 << 10
# Rust aborts on a failed allocation (SIGABRT, "memory allocation of N bytes failed").
_ALLOCATION_FAILED = b"memory allocation of"


def _memory(path: str, limits: ParseLimits) -> str:
    return f"{path}: parsing needs more than {limits.parse_memory_mb} MB (limits.parse_memory_mb)"


def _time(path: str, limits: ParseLimits) -> str:
    return f"{path}: parsing takes longer than {limits.parse_seconds} s (limits.parse_seconds)"


def parsing_stack() -> int:
    """The stack this thread parses with: the main thread's limit, or a thread's size (on glibc
    a thread's default is the same limit), counting an unlimited or larger one as 8 MiB."""
    limit = resource.getrlimit(resource.RLIMIT_STACK)[0]
    stack = DEFAULT_STACK if limit == resource.RLIM_INFINITY else min(limit, DEFAULT_STACK)
    if threading.current_thread() is not threading.main_thread() and threading.stack_size():
        stack = min(stack, threading.stack_size())
    return stack


def check_in_child(path: str, data: bytes, limits: ParseLimits) -> str | None:
    """Parse in a child process under the limits; the reason it failed, or None if it finished."""
    if spent() >= limits.parse_budget_seconds:
        return (
            f"{path}: not parsed: this run's child processes already took {spent():.0f} s "
            f"of the {limits.parse_budget_seconds} s budget (limits.parse_budget_seconds)"
        )
    started = time.monotonic()
    try:
        return _run_child(path, data, limits)
    finally:
        charge(time.monotonic() - started)


def _run_child(path: str, data: bytes, limits: ParseLimits) -> str | None:
    command = [
        sys.executable,
        "-I",
        "-c",
        _CHILD,
        str(limits.parse_memory_mb),
        str(limits.parse_seconds),
        str(max(parsing_stack() // 2, _MIN_STACK)),
    ]
    try:
        done = subprocess.run(
            command,
            input=data,
            capture_output=True,
            # CPU time is the limit; the wall clock allows for a busy machine and the start.
            timeout=limits.parse_seconds * 2 + 10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _time(path, limits)
    except OSError as exc:
        return f"{path}: cannot start a child process to parse it ({exc.strerror})"
    code = done.returncode
    if code == 0:
        return None
    if code == _OUT_OF_MEMORY or _ALLOCATION_FAILED in done.stderr:
        return _memory(path, limits)
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return _time(path, limits)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"{path}: libcst crashed parsing it ({name}, in a child process); not parsed"
    return f"{path}: the child process parsing it failed (exit {code}); not parsed"


def guarded_parse(path: str, blob_id: str, data: bytes, limits: ParseLimits) -> ParsedModule:
    """Parse as `watcher.facts.parse.parse` does, refusing what could crash or exhaust the run
    (ParseLimitError, whose message names the limit)."""
    shape = measure(data)
    reason = refusal(path, shape, limits)
    if reason is None and not in_envelope(shape, parsing_stack()):
        reason = check_in_child(path, data, limits)
    if reason is not None:
        raise ParseLimitError(reason)
    from watcher.facts.parse import parse

    return parse(path, blob_id, data)
