"""Issue 7, group 11: Ctrl-C (SIGINT) and SIGKILL in the middle of a corpus build and of a load.

Ctrl-C goes to the whole process group, as a terminal sends it: exit code 130 and one line, no
traceback, no temporary file. SIGKILL leaves the temporary files being written (the combined
N-Quads, and an article's file a worker was writing), which the next run removes. Every file
written parses and every article has all its files or none; every store graph is entirely old
or entirely new.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pyoxigraph
import pytest
from conftest import OxigraphServer
from test_corpus import copy_articles
from test_load import numbered_graphs, select

from hostile.conftest import kg_command, kg_env, leftovers, run_kg, snapshot
from hostile.test_filesystem import assert_parse
from kg.loader import count_query

SIGNALS = {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}
STOPPED = {  # exit code and message of a run stopped by a signal kg handles
    "sigint": (130, "interrupted"),
    "sigterm": (143, "terminated"),
}
GRAPHS = 60  # enough that a load is still sending when the first graph is seen new


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 copies of the source articles, each with its own URL."""
    folder = tmp_path_factory.mktemp("corpus") / "articles"
    copy_articles(100, folder)
    return folder


@pytest.fixture
def started() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`start(*args, prefix=[])` runs `kg ARGS` in a process group of its own; any still
    running afterwards is killed with its group."""
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str | Path, prefix: list[str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [*(prefix or []), *kg_command(*args)],
            env=kg_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Poll until `condition` holds; fail if the process ends first or 120 s pass."""
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, f"ended before the signal: {process.communicate()}"
        assert time.monotonic() < deadline, "not true within 120 s"
        time.sleep(0.01)


def stop(process: subprocess.Popen[str], how: str) -> str:
    """Send the signal to the process group, as a terminal's Ctrl-C does; its stderr."""
    os.killpg(process.pid, SIGNALS[how])
    _, stderr = process.communicate(timeout=120)
    if how in STOPPED:
        code, word = STOPPED[how]
        assert process.returncode == code, stderr
        assert stderr.splitlines() == [
            f"kg: {word} (what was written is complete; run the command again to finish)"
        ]
    else:
        assert process.returncode == -signal.SIGKILL
    return stderr


# --- a corpus build -------------------------------------------------------------------------------


def assert_articles_whole(out: Path) -> None:
    """Every file but the temporary ones parses, and each article has both its files or
    neither."""
    temporary = set(leftovers(out))
    assert_parse(out, skip=temporary)
    names = set(snapshot(out)) - temporary
    stems = {Path(name).stem for name in names}
    assert names == {f"{stem}.{ext}" for stem in stems for ext in ("ttl", "jsonld")}


def being_written(folder: Path) -> bool:
    """A temporary file of the combined N-Quads is in `folder`."""
    return any(name.startswith(".all.nq.") for name in leftovers(folder))


@pytest.mark.parametrize("how", sorted(SIGNALS))
def test_an_interrupted_build(
    tmp_path: Path,
    corpus: Path,
    offline_prefix: list[str],
    started: Callable[..., subprocess.Popen[str]],
    how: str,
) -> None:
    out, combined = tmp_path / "out", tmp_path / "all.nq"
    first = copy_articles(1, tmp_path / "first", start=500)[0]
    assert run_kg("build", first, "-o", out, "--combined", combined).code == 0
    earlier = combined.read_bytes()
    build = started(
        "build", corpus, "-o", out, "-j", "2", "--combined", combined, prefix=offline_prefix
    )
    # Workers write their articles' files as they go; the combined file is begun when the first
    # job's articles come back to the parent.
    wait_for(lambda: len(list(out.glob("*.ttl"))) >= 5 and being_written(tmp_path), build)
    stop(build, how)
    assert combined.read_bytes() == earlier
    assert_articles_whole(out)
    if how == "sigkill":  # the combined file was being written: its temporary file stays
        assert being_written(tmp_path)
        again = run_kg("build", first, "-o", out, "--combined", combined)
        assert again.code == 0, again.stderr
    assert leftovers(tmp_path) == []


# --- a load ---------------------------------------------------------------------------------------


Graphs = dict[str, frozenset[pyoxigraph.Triple]]


def by_graph(quads: Iterable[pyoxigraph.Quad]) -> Graphs:
    found: dict[str, set[pyoxigraph.Triple]] = defaultdict(set)
    for quad in quads:
        found[str(quad.graph_name.value)].add(quad.triple)
    return {name: frozenset(triples) for name, triples in found.items()}


def graphs_in(path: Path) -> Graphs:
    return by_graph(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.N_QUADS))


class Target:
    """Where a load goes: the embedded store in a folder, or an Oxigraph server."""

    def __init__(self, folder: Path, server: OxigraphServer | None) -> None:
        self.folder = folder
        self.server = server

    @property
    def options(self) -> list[str | Path]:
        if self.server is None:
            return ["--store", self.folder]
        return ["--endpoint", self.server.store_url, "--retries", "0"]

    def count(self, graph: str) -> int:
        if self.server is None:
            try:  # beside the writer, read-only; a compaction may remove a file under it, which
                # RocksDB reports as an IO error or as "Corruption" (a RuntimeError): look again
                store = pyoxigraph.Store.read_only(str(self.folder))
                return len(list(store.quads_for_pattern(None, None, None, named(graph))))
            except (OSError, RuntimeError):
                return -1
        return int(select(self.server.query_url, count_query(graph))[0]["n"])

    def graphs(self) -> Graphs:
        if self.server is None:
            return by_graph(pyoxigraph.Store.read_only(str(self.folder)))
        nquads = httpx.get(self.server.store_url, headers={"Accept": "application/n-quads"})
        nquads.raise_for_status()
        return by_graph(pyoxigraph.parse(nquads.content, format=pyoxigraph.RdfFormat.N_QUADS))


def named(iri: str) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(iri)


@pytest.mark.parametrize("how", sorted(SIGNALS))
@pytest.mark.parametrize("where", ["embedded-store", "oxigraph-server"])
def test_an_interrupted_load(
    tmp_path: Path,
    oxigraph_servers: Callable[..., OxigraphServer],
    started: Callable[..., subprocess.Popen[str]],
    how: str,
    where: str,
) -> None:
    server = oxigraph_servers(tmp_path / "db") if where == "oxigraph-server" else None
    target = Target(tmp_path / "store", server)
    names = numbered_graphs(tmp_path / "old.nq", GRAPHS, 400, "old")
    numbered_graphs(tmp_path / "new.nq", GRAPHS, 600, "new")
    old, new = graphs_in(tmp_path / "old.nq"), graphs_in(tmp_path / "new.nq")
    assert run_kg("load", tmp_path / "old.nq", *target.options).code == 0
    loading = started("load", tmp_path / "new.nq", *target.options)
    wait_for(lambda: target.count(names[0]) == 600, loading)
    stop(loading, how)
    found = target.graphs()
    assert set(found) == set(names)
    assert all(found[name] in (old[name], new[name]) for name in names)
    assert found[names[-1]] == old[names[-1]], "the load ended before the signal"
    again = run_kg("load", tmp_path / "new.nq", *target.options)
    assert again.code == 0, again.stderr
    assert target.graphs() == new
