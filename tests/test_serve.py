"""`kg serve` (`kg/server.py`): Oxigraph's server over the embedded store, run as a user runs it,
answering SPARQL over HTTP on the store pyoxigraph wrote, and stopping cleanly."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest
from conftest import free_port
from test_cli import ROOT, assert_one_error_line, run_kg

import kg
import kg.server
from kg.cli import main
from kg.errors import StoreError
from kg.server import check_version, url
from kg.store import open_store

EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
POSTS = (ROOT / "queries" / "posts.rq").read_text(encoding="utf-8")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
NAMES = "SELECT ?name WHERE { ?p a <http://schema.org/Person> ; <http://schema.org/name> ?name }"

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example article, built and loaded into an embedded store by kg (pyoxigraph)."""
    folder = tmp_path_factory.mktemp("serve")
    files = kg.write_result(kg.build(EXAMPLE), folder / "out")
    assert kg.load(files, store=folder / "store").ok
    return folder / "store"


@pytest.fixture
def store(tmp_path: Path, example_store: Path) -> Path:
    """A store of its own for each test: the server writes to it."""
    path = tmp_path / "store"
    ttl = next((example_store.parent / "out").glob("*.ttl"))
    assert kg.load([ttl], store=path).ok
    return path


def start_serve(store: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    """`kg serve` as a user starts it, in a session of its own (so a test can Ctrl-C the whole
    group, as a terminal does)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port), *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def wait_until_serving(process: subprocess.Popen[str], base: str) -> str:
    """The line kg prints once the server answers (kg exits if it never does); then check that
    it does answer."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("serving "), (line, process.communicate())
    httpx.get(f"{base}query", params={"query": "ASK {}"}, timeout=5).raise_for_status()
    return line


@pytest.fixture
def served(store: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`kg serve` running on a free port: (the process, its URL). Stopped by PID afterwards."""
    port = free_port()
    with start_serve(store, port) as process:
        base = f"http://127.0.0.1:{port}/"
        try:
            wait_until_serving(process, base)
            yield process, base
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)


def post_query(base: str, sparql: str) -> list[dict[str, str]]:
    response = httpx.post(
        f"{base}query",
        content=sparql.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        timeout=30,
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    return [{name: term["value"] for name, term in row.items()} for row in rows]


def stop(process: subprocess.Popen[str], how: str) -> tuple[str, str]:
    if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground group
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT if how == "sigint" else signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return out, err


# --- serving the store pyoxigraph wrote ----------------------------------------------------------


def test_serve_answers_sparql_over_http_on_the_store_kg_wrote(
    served: tuple[subprocess.Popen[str], str], store: Path
) -> None:
    process, base = served
    expected = kg.query(POSTS, store=store)  # read-only, beside the server
    rows = post_query(base, POSTS)
    assert [tuple(row.values()) for row in rows] == [
        tuple(term.value for term in row if term is not None) for row in expected.rows
    ]
    assert len(rows) == 6
    # Queries without GRAPH see the union of the article graphs, as kg query has it.
    assert {row["name"] for row in post_query(base, NAMES)} == {
        "Ni Yuefeng",
        "Wang Zhengpu",
        "Zhang Guohua",
    }
    ui = httpx.get(base, timeout=30)
    assert ui.status_code == 200 and "text/html" in ui.headers["Content-Type"]
    via_kg = kg.query(POSTS, endpoint=f"{base}query")
    assert via_kg.rows == expected.rows


def test_what_the_server_writes_pyoxigraph_reads(
    served: tuple[subprocess.Popen[str], str], store: Path
) -> None:
    process, base = served
    graph = "https://example.org/kg/test/written-by-the-server"
    response = httpx.put(
        f"{base}store",
        params={"graph": graph},
        content=b'<urn:a> <http://schema.org/name> "served" .\n',
        headers={"Content-Type": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code in (200, 201, 204), response.text
    stop(process, "sigint")
    reopened = open_store(store)  # for writing: the server freed the lock
    quads = list(reopened.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(graph)))
    del reopened
    assert [q.object.value for q in quads] == ["served"]


@pytest.mark.parametrize("how", ["sigint", "ctrl-c", "sigterm"])
def test_serve_stops_cleanly_and_frees_the_store(store: Path, how: str) -> None:
    port = free_port()
    with start_serve(store, port) as process:
        line = wait_until_serving(process, f"http://127.0.0.1:{port}/")
        out, err = stop(process, how)
    assert process.returncode == 0, err
    assert (err, out) == ("", "")
    assert line == f"serving {store} at http://127.0.0.1:{port}/ (Ctrl-C stops)\n"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    reopened = open_store(store)  # for writing: the server freed the lock
    del reopened


def test_serve_listens_on_127_0_0_1_by_default() -> None:
    assert url(kg.server.DEFAULT_BIND, 7878) == "http://127.0.0.1:7878/"
    assert url("0.0.0.0", 8080) == "http://127.0.0.1:8080/"
    assert url("::", 8080) == "http://[::1]:8080/"


# --- clear one-line errors -----------------------------------------------------------------------


def test_a_store_in_use_is_a_clear_error(store: Path) -> None:
    holder = open_store(store)  # this process holds the write lock
    try:
        result = run_kg("serve", "--store", store, "--port", str(free_port()), cwd=store.parent)
    finally:
        del holder
    assert result.returncode == 3
    assert_one_error_line(result.stderr, f"kg: {store}: the store is in use by another process")
    assert result.stdout == ""


def test_a_port_in_use_is_a_clear_error(store: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_kg("serve", "--store", store, "--port", str(port), cwd=store.parent)
    assert result.returncode == 3
    assert_one_error_line(result.stderr, f"127.0.0.1:{port}: cannot listen there", "--port")


def test_a_missing_oxigraph_is_a_clear_error(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kg.server.shutil, "which", lambda *args, **kwargs: None)
    assert main(["serve", "--store", str(store), "--port", str(free_port())]) == 3
    err = capsys.readouterr().err
    assert_one_error_line(err, "oxigraph: command not found", "pip install")


def test_an_oxigraph_of_another_version_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "oxigraph"
    fake.write_text("#!/bin/sh\necho 'oxigraph 0.4.11'\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(
        StoreError, match=r"Oxigraph 0\.4\.11, but kg writes its store with pyoxigraph"
    ):
        check_version(str(fake))


def test_the_oxigraph_kg_runs_matches_pyoxigraph() -> None:
    check_version(kg.server.find_oxigraph())


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_a_usage_error(tmp_path: Path, port: str) -> None:
    result = run_kg("serve", "--port", port, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "is not a port number")
