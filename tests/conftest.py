"""Shared fixtures: the hand-made example record, its graph, golden updates, external tools,
and real Oxigraph servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from kg.mapping import map_record
from kg.model import Record

FIXTURES = Path(__file__).parent / "fixtures"
# The annotated real articles: beside the checkout in CI, absent from a user's fresh clone.
SHARED_ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "articles"


@pytest.fixture
def update_golden() -> bool:
    """True when the run may rewrite committed generated files: `KG_UPDATE_GOLDEN=1 pytest`."""
    return os.environ.get("KG_UPDATE_GOLDEN", "") == "1"


@pytest.fixture
def record() -> Record:
    """A fresh copy of the hand-written record of examples/xiongan-innovation.txt."""
    data = json.loads((FIXTURES / "xiongan.record.json").read_text(encoding="utf-8"))
    return Record.from_json(data)


@pytest.fixture
def graph(record: Record) -> Graph:
    """The example record mapped with the default base IRI."""
    return map_record(record)


@pytest.fixture
def require_tool() -> Callable[[str, str], str]:
    """`require_tool("rapper", "apt-get install -y raptor2-utils")`: the tool's path, or a skip
    (a fail when CI is set: CI must run every test)."""
    return _require_tool


def _require_tool(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{name} is not installed, and CI must run every test")
    pytest.skip(f"{name} is not installed ({install}); CI runs this test")


# --- a real Oxigraph server ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OxigraphServer:
    """`oxigraph serve` on 127.0.0.1, storing in `location`; stopped by its PID."""

    location: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        return f"{self.url}/store"

    @property
    def update_url(self) -> str:
        return f"{self.url}/update"

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Send `sig` to the server's PID (SIGKILL: a crash) and wait until it is gone."""
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
        self.process.wait(timeout=30)


def oxigraph_command() -> str:
    """The `oxigraph` console script of the environment running the tests (the `oxigraph`
    PyPI package), else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    return _require_tool("oxigraph", "pip install oxigraph")


def start_oxigraph(location: Path, port: int | None = None) -> OxigraphServer:
    """Start `oxigraph serve --location LOCATION --bind 127.0.0.1:PORT` and wait until it
    answers a query."""
    port = port or free_port()
    log = (location.parent / f"{location.name}.oxigraph.log").open("ab")
    process = subprocess.Popen(
        [oxigraph_command(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    log.close()
    server = OxigraphServer(location, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited with {process.returncode} (see {log.name})")
        try:
            httpx.get(server.query_url, params={"query": "ASK {}"}, timeout=1).raise_for_status()
            return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"oxigraph serve did not answer on port {port} within 30 s")


@pytest.fixture
def oxigraph_servers(tmp_path: Path) -> Iterator[Callable[..., OxigraphServer]]:
    """`start(location, port=None)` starts a server; every one started is stopped afterwards."""
    started: list[OxigraphServer] = []

    def start(location: Path | None = None, port: int | None = None) -> OxigraphServer:
        server = start_oxigraph(location or tmp_path / f"oxigraph-{len(started)}", port)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def oxigraph(oxigraph_servers: Callable[..., OxigraphServer]) -> OxigraphServer:
    """A fresh Oxigraph server with an empty store."""
    return oxigraph_servers()
