"""How far a long run has got: a bar on a terminal, a plain line now and then in a log.

    >>> show = progress_display("auto", "built", "article")          # doctest: +SKIP
    >>> for done in range(1, 1001): show(done, 1000, failed=0)       # doctest: +SKIP
    >>> show.close()                                                 # doctest: +SKIP

The bar is tqdm's (a small, dependency-free package; it redraws one line, with the rate and
the time left). Where stderr is not a terminal (CI, a log file) a bar would be a stream of
carriage returns, so a plain line is printed every 100 items or 10 seconds instead, and a short
run prints nothing at all.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Literal, Protocol, TextIO

from tqdm import tqdm

Mode = Literal["auto", "bar", "lines", "none"]
MODES: tuple[str, ...] = ("auto", "bar", "lines", "none")


class Display(Protocol):
    def __call__(self, done: int, total: int, *, failed: int = 0) -> None: ...

    def close(self) -> None: ...


def progress_display(mode: str, verb: str, noun: str, stream: TextIO | None = None) -> Display:
    """A display for `mode`: "bar", "lines", "none", or "auto" (a bar on a terminal, else
    lines). `verb` and `noun` make the words: "built 300 of 1,000 articles"."""
    stream = sys.stderr if stream is None else stream
    if mode == "auto":
        mode = "bar" if stream.isatty() else "lines"
    if mode == "bar":
        return Bar(verb, noun, stream)
    if mode == "lines":
        return Lines(verb, noun, stream)
    return Silent()


class Bar:
    """tqdm's bar, with the failures so far after it."""

    def __init__(self, verb: str, noun: str, stream: TextIO) -> None:
        self._verb, self._noun, self._stream = verb, noun, stream
        self._bar: tqdm | None = None
        self._failed = 0

    def __call__(self, done: int, total: int, *, failed: int = 0) -> None:
        if self._bar is None:
            # A terminal that says it has no columns (some containers' ttys) gets 80; tqdm
            # would draw nothing at all.
            width = _columns(self._stream)
            self._bar = tqdm(
                total=total, desc=f"kg: {self._verb}", unit=f" {self._noun}",
                file=self._stream, dynamic_ncols=bool(width), ncols=None if width else 80,
                mininterval=0.2,
            )  # fmt: skip
        if failed != self._failed:
            self._failed = failed
            self._bar.set_postfix_str(f"{failed} failed", refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal, or no file descriptor
        return 0


class Lines:
    """`kg: built 300 of 1,000 articles (2 failed), 16.1 articles/s`, every `every` items or
    `seconds` seconds, whichever comes first; none once all are done (a summary follows)."""

    def __init__(
        self, verb: str, noun: str, stream: TextIO, every: int = 100, seconds: float = 10.0
    ) -> None:
        self._verb, self._noun, self._stream = verb, noun, stream
        self._every, self._seconds = every, seconds
        self._started = self._last = time.monotonic()

    def __call__(self, done: int, total: int, *, failed: int = 0) -> None:
        now = time.monotonic()
        if done >= total or (done % self._every and now - self._last < self._seconds):
            return
        self._last = now
        rate = done / (now - self._started) if now > self._started else 0.0
        failures = f" ({failed} failed)" if failed else ""
        print(
            f"kg: {self._verb} {done:,} of {total:,} {self._noun}s{failures}, "
            f"{rate:.1f} {self._noun}s/s",
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        pass


class Silent:
    def __call__(self, done: int, total: int, *, failed: int = 0) -> None:
        pass

    def close(self) -> None:
        pass
