"""`kg serve`: a local SPARQL endpoint, with a browser query UI, over the embedded store.

    >>> serve(port=7878)            # doctest: +SKIP   (until Ctrl-C)

The server is Oxigraph's own (`oxigraph serve` from the `oxigraph` PyPI package, a dependency
of kg), run as a child process on the store folder: the same RocksDB store pyoxigraph writes
(tests check both ways). It needs the same Oxigraph version as pyoxigraph, which is checked
before it starts. It is bound to 127.0.0.1 unless told otherwise, with the default graph the
union of the named graphs, as `kg query` has it. It serves:

- `/`: YASGUI, a query editor for the browser;
- `/query`: SPARQL 1.1 Protocol queries; `/update`: updates; `/store`: the Graph Store
  Protocol, so `kg load --endpoint http://127.0.0.1:7878/store` loads into it.

While it runs, it holds the store's write lock: `kg query --store` still works (read-only), but
`kg load --store` has to go through the endpoint. Ctrl-C (SIGINT) or SIGTERM stops it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO

import pyoxigraph

from kg.errors import StoreError
from kg.store import default_store_dir

DEFAULT_PORT = 7878
DEFAULT_BIND = "127.0.0.1"
START_TIMEOUT = 30.0  # seconds for the server to open its port
STOP_TIMEOUT = 10.0  # seconds for it to exit after SIGTERM before it is killed


def find_oxigraph() -> str:
    """The `oxigraph` command: next to this Python's executable (kg's own environment), else on
    PATH."""
    beside = shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    found = beside or shutil.which("oxigraph")
    if found is None:
        raise StoreError(
            "oxigraph: command not found (kg serve runs the server of the oxigraph package: "
            "pip install 'oxigraph==" + pyoxigraph.__version__ + "')"
        )
    return found


def check_version(command: str) -> None:
    """Refuse an `oxigraph` whose major.minor differs from pyoxigraph's: its store format may."""
    try:
        out = subprocess.run(
            [command, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise StoreError(f"{command}: cannot run it ({exc})") from exc
    found = re.search(r"(\d+)\.(\d+)\.\d+", out)
    wanted = pyoxigraph.__version__.split(".")[:2]
    if found is None or list(found.groups()) != wanted:
        version = found.group(0) if found else repr(out.strip())
        raise StoreError(
            f"{command}: Oxigraph {version}, but kg writes its store with pyoxigraph "
            f"{pyoxigraph.__version__} (expected the same major.minor: "
            f"pip install 'oxigraph=={pyoxigraph.__version__}')"
        )


def serve(
    store: str | Path | None = None,
    *,
    port: int = DEFAULT_PORT,
    bind: str = DEFAULT_BIND,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the store (default: `default_store_dir()`) until SIGINT or SIGTERM.

    `ready` is called with the server's URL once it answers. Raises `StoreError` when the server
    cannot start (oxigraph missing, store locked, port in use) or stops by itself.
    """
    path = default_store_dir() if store is None else Path(store)
    command = find_oxigraph()
    check_version(command)
    _check_port_free(bind, port)
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        process = _start(command, path, bind, port, log)
        try:
            with _interrupted_by_signals():
                _wait_until_up(process, bind, port, path, log)
                if ready is not None:
                    ready(url(bind, port))
                process.wait()
        except KeyboardInterrupt:
            return  # the way to stop a server; `finally` stops the child
        finally:
            _stop(process)
        if process.returncode not in (0, -signal.SIGINT, -signal.SIGTERM):
            raise _failure(log, path, bind, port)


def url(bind: str, port: int) -> str:
    """The server's address for a browser: `http://127.0.0.1:7878/`."""
    host = _connect_host(bind)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _bind_address(bind: str, port: int) -> str:
    return f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"


def _connect_host(bind: str) -> str:
    """Where to reach a server bound to `bind`: a wildcard address is reached on loopback."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bind, bind)


def _check_port_free(bind: str, port: int) -> None:
    """Refuse a port another program listens on, with a message better than the server's."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server will: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bind, port))
        except OSError as exc:
            raise StoreError(_port_message(bind, port, exc.strerror or str(exc))) from None


def _port_message(bind: str, port: int, reason: str) -> str:
    return (
        f"{_bind_address(bind, port)}: cannot listen there ({reason}; "
        "choose another port with --port, or stop the program using it)"
    )


def _start(command: str, store: Path, bind: str, port: int, log: IO[str]) -> subprocess.Popen[str]:
    args = [command, "serve", "--location", str(store), "--bind", _bind_address(bind, port)]
    args.append("--union-default-graph")
    # No Rust backtrace in the log: its first "Error:" line is what a failure reports.
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    try:
        return subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, text=True
        )
    except OSError as exc:
        raise StoreError(f"{command}: cannot start it ({exc})") from exc


def _wait_until_up(
    process: subprocess.Popen[str], bind: str, port: int, store: Path, log: IO[str]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise _failure(log, store, bind, port)
        if _answers(_connect_host(bind), port):
            return
        time.sleep(0.05)
    raise StoreError(
        f"{_bind_address(bind, port)}: the server did not start within {START_TIMEOUT:g} s"
    )


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _failure(log: IO[str], store: Path, bind: str, port: int) -> StoreError:
    """The server's own error line, said the kg way for the failures people meet."""
    log.seek(0)
    text = log.read()
    errors = [line for line in text.splitlines() if line.startswith("Error")]
    message = errors[0].removeprefix("Error:").strip() if errors else text.strip()[-300:]
    if "lock" in message.lower():
        return StoreError(
            f"{store}: the store is in use by another process (stop it, e.g. kg load or "
            "another kg serve, and try again)"
        )
    if "address" in message.lower() and "in use" in message.lower():
        return StoreError(_port_message(bind, port, "address already in use"))
    return StoreError(f"oxigraph serve --location {store}: {message or 'stopped'}")


@contextlib.contextmanager
def _interrupted_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt here, even when kg was started with SIGINT
    ignored (a background job of a script): both stop the server, and stopping kg never leaves
    a server running that holds the store's lock. Off the main thread, signals stay as they
    are."""
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    try:
        previous = {sig: signal.signal(sig, _raise_interrupt) for sig in stop_signals}
    except ValueError:
        previous = {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    # SIGTERM, not SIGINT: a child started with SIGINT ignored would ignore it too.
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
