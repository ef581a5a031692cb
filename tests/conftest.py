"""Shared fixtures: the hand-made example record, its graph, golden updates, external tools,
real Oxigraph servers, and a small SPARQL endpoint that misbehaves on purpose."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import httpx
import pytest
from rdflib import Graph

from kg.mapping import map_record
from kg.model import Record

# The statistical extractor (the default) loads a trained model, about 2 s per `kg` process.
# Most tests check what kg does with an article whatever finds its names, so they run kg's rules
# alone; the tests of the statistical extractor and of the default ask for them by name
# (`extractor="statistical"`, `--extractor statistical`) or clear this with `default_extractor`.
os.environ.setdefault("KG_EXTRACTOR", "rules")

FIXTURES = Path(__file__).parent / "fixtures"
# The annotated real articles: beside the checkout in CI, absent from a user's fresh clone.
SHARED_ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "articles"


@pytest.fixture
def update_golden() -> bool:
    """True when the run may rewrite committed generated files: `KG_UPDATE_GOLDEN=1 pytest`."""
    return os.environ.get("KG_UPDATE_GOLDEN", "") == "1"


@pytest.fixture
def default_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """kg as a user runs it: no KG_EXTRACTOR, so the default (statistical) extractor."""
    monkeypatch.delenv("KG_EXTRACTOR", raising=False)


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
    _unavailable(name, install)


def require_module(name: str, install: str) -> ModuleType:
    """The module imported, or a skip (a fail when CI is set), as for a tool."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _unavailable(name, install)


def _unavailable(name: str, install: str) -> NoReturn:
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


# --- a SPARQL endpoint that misbehaves on purpose ----------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a write; `{auth}` in the body echoes the Authorization header."""

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    hang: bool = False  # never answer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeEndpoint:
    """A SPARQL endpoint on 127.0.0.1: writes get the scripted replies, then 204 (413 for a body
    over `max_body` bytes); a query to /query gets `query_reply`, or the count of statements in
    the last write (plus `miscount`). Every request is recorded."""

    def __init__(
        self,
        script: list[Reply],
        miscount: int = 0,
        max_body: int | None = None,
        query_reply: Reply | None = None,
    ) -> None:
        self.script = list(script)
        self.miscount = miscount
        self.max_body = max_body
        self.query_reply = query_reply
        self.requests: list[Seen] = []
        self.last_count = 0
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval.
        serve = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        serve.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def store_url(self) -> str:
        return f"{self.url}/store"

    @property
    def writes(self) -> list[Seen]:
        return [r for r in self.requests if not r.path.startswith("/query")]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                fake.handle(self)

            do_POST = do_GET = do_PUT

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        headers = dict(request.headers)
        self.requests.append(Seen(request.command, request.path, headers, body))
        if request.path.startswith("/query"):
            count = Reply(200, {"Content-Type": "application/json"}, self._count())
            self._send(request, self.query_reply or count)
            return
        if self.max_body is not None and len(body) > self.max_body:
            self._send(request, Reply(413, body=f"request body over {self.max_body} bytes"))
            return
        reply = self.script.pop(0) if self.script else Reply()
        if reply.hang:
            self.released.wait(60)
            return
        if reply.status < 300:
            self.last_count = sum(1 for line in body.split(b"\n") if line.endswith(b" ."))
        self._send(request, replace_auth(reply, headers.get("Authorization", "")))

    def _count(self) -> str:
        value = {"type": "literal", "value": str(self.last_count + self.miscount)}
        return json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": [{"n": value}]}})

    def _send(self, request: BaseHTTPRequestHandler, reply: Reply) -> None:
        data = reply.body.encode("utf-8")
        request.send_response(reply.status)
        for name, value in reply.headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


def replace_auth(reply: Reply, auth: str) -> Reply:
    return dataclasses.replace(reply, body=reply.body.replace("{auth}", auth))


@pytest.fixture
def fake_endpoint() -> Iterator[Callable[..., FakeEndpoint]]:
    """`fake_endpoint(Reply(503), ...)` starts one; all are stopped afterwards."""
    started: list[FakeEndpoint] = []

    def start(
        *script: Reply,
        miscount: int = 0,
        max_body: int | None = None,
        query_reply: Reply | None = None,
    ) -> FakeEndpoint:
        started.append(FakeEndpoint(list(script), miscount, max_body, query_reply))
        return started[-1]

    yield start
    for fake in started:
        fake.close()
