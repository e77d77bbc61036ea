"""Progress lines for long work: rewritten in place on a terminal, plain and sparse in CI logs."""

from __future__ import annotations

import io

from watcher.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ci_logs_get_a_plain_line_every_few_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, "history card", 100, tty=False, clock=clock)
    for done in range(1, 101):
        clock.now = done * 0.2  # 20 s in all
        progress.update(done)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "history card: 25/100"  # the first line after 5 s, not before
    assert lines[1:4] == ["history card: 50/100", "history card: 75/100", "history card: 100/100"]
    assert lines[-1] == "history card: 100/100 (20.0 s)"
    assert "\r" not in out.getvalue()


def test_short_work_logs_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, "quick", 3, tty=False, clock=clock)
    for done in range(1, 4):
        clock.now = done * 0.1
        progress.update(done)
    progress.finish("done")
    assert out.getvalue() == ""


def test_a_terminal_gets_one_line_rewritten_in_place() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, "cloning", tty=True, clock=clock)
    clock.now = 0.5
    progress.update(10, "receiving objects a long note", total=1000)
    clock.now = 1.0
    progress.update(999, "short", total=1000)
    clock.now = 1.5
    progress.finish("done")
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # the final line stays on screen
    assert text.rstrip().endswith("done (1.5 s)")
    frames = text.split("\r")[1:]
    assert frames[0] == "cloning: 10/1000 receiving objects a long note"
    # A shorter text pads over what the longer one left on the line.
    assert frames[1] == "cloning: 999/1000 short".ljust(len(frames[0]))
    assert frames[2].startswith("cloning: 999/1000 done (1.5 s)")


def test_no_stream_means_silence() -> None:
    progress = Progress(None, "nothing", 2)
    progress.update()
    progress.update()
    progress.finish()
    assert progress.done == 2
