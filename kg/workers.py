"""Run a function over many items in worker processes, with the results in input order.

    >>> list(process_map(validate_one, files, workers=4))      # doctest: +SKIP
    >>> list(executor_map(dask_pool, build_one, files, workers=8))  # doctest: +SKIP

`kg build`, `kg validate` and `kg load` spend most of their time in pySHACL (~0.1 s per
article), which holds the GIL, so they scale with processes, not threads. The processes are
spawned, not forked: the embedded store may be open, RocksDB's threads (and any other thread)
do not survive a fork, and a forked child of a threaded process may deadlock. A spawned worker
imports the caller's main module again, which is why parallelism is asked for (`workers`), not
assumed: a script calling these functions guards its entry point with
`if __name__ == "__main__":`.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def process_map(
    fn: Callable[[T], R], items: Iterable[T], *, workers: int, chunksize: int = 1
) -> Generator[R, None, None]:
    """`map(fn, items)`, in `workers` processes when that is 2 or more, results in input order.

    At most a few chunks per worker are in flight, so results that finish early wait in memory
    only that long; a corpus of any size passes through. `fn` must be a module-level function.
    When the caller stops early (an exception, or `close()`), work not started is cancelled.
    An exception raised by `fn` is raised here, at its item's place in the order.
    """
    if workers < 2:
        yield from map(fn, items)
        return
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
    )
    try:
        yield from executor_map(pool, fn, items, workers=workers, chunksize=chunksize)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def executor_map(
    pool: Executor, fn: Callable[[T], R], items: Iterable[T], *, workers: int, chunksize: int = 1
) -> Iterator[R]:
    """`map(fn, items)` through `pool`, results in input order, with at most `workers * 3`
    chunks submitted and not yet returned: memory stays flat however many items there are.

    Waiting for the oldest chunk, rather than for whichever finishes first, is what keeps the
    order; the chunks behind it keep the workers busy meanwhile. The caller owns `pool` and
    shuts it down (cancelling what is still queued when it stops early).
    """
    pieces = chunks(items, max(1, chunksize))
    pending: deque[Future[list[R]]] = deque(
        pool.submit(_run_chunk, fn, chunk) for chunk in islice(pieces, max(1, workers) * 3)
    )
    while pending:
        done = pending.popleft().result()
        for chunk in islice(pieces, 1):
            pending.append(pool.submit(_run_chunk, fn, chunk))
        yield from done


def _ignore_interrupts() -> None:
    """Ctrl-C (and a SIGTERM sent to the group, as CI runners and `docker stop` do) reaches
    every process of the group; the caller alone stops the run, and a worker finishes the item
    it holds (its files are written whole) rather than dying with a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def chunks(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in lists of `size` (the last may be shorter), lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _run_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]
