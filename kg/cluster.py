"""Run kg's per-article work on a Dask cluster: `kg build DIR --dask ADDRESS` (or `local`).

    >>> with dask_cluster("tcp://10.0.0.5:8786", workers=2) as cluster:   # doctest: +SKIP
    ...     results = list(cluster_map(cluster, build_one, items))

Dask is an optional extra (`pip install 'kg-news[dask]'`), imported here and only when asked for.
Tasks name kg's functions rather than carry their code, so every worker needs kg installed,
the same version as the client. The scheduler's address is `tcp://HOST:PORT` (any scheme
`distributed` knows); `local` starts a `LocalCluster` of `workers` processes on this machine.
How long to wait for the scheduler is Dask's setting `distributed.comm.timeouts.connect`
(30 s; `DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s` in the environment).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from kg.errors import ClusterError, InputError, KgError
from kg.workers import executor_map

LOCAL = "local"
MISSING_EXTRA = "--dask needs the dask extra: pip install 'kg-news[dask]'"

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Cluster:
    """A connected cluster: where its tasks go, and how many it runs at once."""

    executor: Executor
    threads: int  # over all its workers: how much work to keep in flight
    address: str  # as given, for messages


@contextmanager
def dask_cluster(address: str, *, workers: int) -> Iterator[Cluster]:
    """Connect to the scheduler at `address`, or start a local cluster of `workers` processes
    (`address` "local"), and disconnect (or stop it) when the block ends."""
    distributed = _import_distributed()
    with ExitStack() as stack:
        target: Any = address
        if address != LOCAL:
            _check_address(distributed, address)
        else:
            # Processes, one thread each: pySHACL holds the GIL. No dashboard: it needs bokeh,
            # and a port of its own.
            target = stack.enter_context(
                _connecting(
                    address,
                    lambda: distributed.LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                    ),
                )
            )
        client = stack.enter_context(
            _connecting(address, lambda: distributed.Client(target, set_as_default=False))
        )
        executor = client.get_executor(pure=False)  # results are not cached by argument hash
        stack.callback(executor.shutdown, wait=False)  # cancels what is queued on an early stop
        threads = sum(client.nthreads().values())
        yield Cluster(executor, max(1, threads), address)


def cluster_map(
    cluster: Cluster, fn: Callable[[T], R], items: Iterable[T]
) -> Generator[R, None, None]:
    """`map(fn, items)` on the cluster, results in input order (see `kg.workers.executor_map`).

    `fn` is expected to turn its own failures into results; anything else raised is the
    cluster's (a worker that died, a scheduler gone) and stops the run as a `ClusterError`.
    """
    try:
        # One item per task: an article is ~0.1 s of work, a task ~1 ms of the scheduler's.
        yield from executor_map(cluster.executor, fn, items, workers=cluster.threads)
    except KgError:
        raise
    except Exception as exc:
        raise ClusterError(
            f"{cluster.address}: the Dask cluster failed ({type(exc).__name__}: {exc})"
        ) from exc


def _import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise InputError(MISSING_EXTRA) from None
    return distributed


def _check_address(distributed: ModuleType, address: str) -> None:
    """Refuse an address that names no scheduler before a `Client` is made of it: a Client
    that fails on one hangs in its finalizer (for its connect timeout) and prints a traceback."""
    try:
        scheme, location = distributed.comm.parse_address(address)
        distributed.comm.registry.get_backend(scheme).resolve_address(location)
    except ValueError as exc:
        raise InputError(
            f"{address}: not a Dask scheduler address ({exc}; expected tcp://HOST:PORT or local)"
        ) from None
    except OSError as exc:  # a host name that does not resolve
        raise _unreachable(address, exc) from None


@contextmanager
def _connecting(address: str, connect: Callable[[], Any]) -> Iterator[Any]:
    """`connect()` as a context manager, with its failure said in one line naming `address`."""
    try:
        resource = connect()
    except OSError as exc:  # refused, or timed out (distributed's TimeoutError is an OSError)
        raise _unreachable(address, exc) from None
    with resource:
        yield resource


def _unreachable(address: str, exc: OSError) -> ClusterError:
    return ClusterError(f"{address}: cannot connect to the Dask scheduler ({exc})")
