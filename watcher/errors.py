"""The one error type every stage translates its failures into.

A `WatcherError` is an *expected* failure: bad input, an unreachable upstream, a file that does not
parse. The CLI prints its message as one line on stderr and exits 2. Anything else that escapes is
a bug and gets a short bug-report block instead.
"""


class WatcherError(Exception):
    """An expected failure, printed as one line; the message says what is wrong and how to fix it."""
