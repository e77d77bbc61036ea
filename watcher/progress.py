"""Progress for long work (first clone, history walks) on stderr.

On a terminal: one line rewritten in place (`\\r`), at most ten times a second. Elsewhere (CI
logs): a plain line every few seconds, and a closing line only if anything was said, so short
runs log nothing extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

TTY_INTERVAL = 0.1
LOG_INTERVAL = 5.0


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """`label: done/total note`, throttled; `finish()` closes it."""

    def __init__(
        self,
        stream: TextIO | None,
        label: str,
        total: int | None = None,
        *,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.tty = _is_tty(stream) if tty is None and stream is not None else bool(tty)
        self.interval = (
            interval if interval is not None else (TTY_INTERVAL if self.tty else LOG_INTERVAL)
        )
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._width = 0
        self._said = False
        self.done = 0

    def _text(self, note: str) -> str:
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        return f"{self.label}: {count}" + (f" {note}" if note else "")

    def _emit(self, text: str, final: bool = False) -> None:
        assert self.stream is not None
        if self.tty:
            # Pad over the previous, longer text; a final line ends with a newline.
            self.stream.write("\r" + text.ljust(self._width) + ("\n" if final else ""))
            self._width = 0 if final else max(self._width, len(text))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._said = True

    def update(self, done: int | None = None, note: str = "", total: int | None = None) -> None:
        self.done = self.done + 1 if done is None else done
        if total is not None:
            self.total = total
        now = self._clock()
        if self.stream is None or now - self._last < self.interval:
            return
        self._last = now
        self._emit(self._text(note))

    def finish(self, note: str = "") -> None:
        if self.stream is None or not self._said:
            return
        elapsed = f"({self._clock() - self._started:.1f} s)"
        self._emit(self._text(f"{note} {elapsed}".strip()), final=True)
        self._said = False
