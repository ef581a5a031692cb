"""A corpus on a Dask cluster, and the N-Quads shards bulk loaders take:
`kg build DIR --dask ADDRESS|local` and `kg build DIR --shards N`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import distributed  # the dask extra, part of the test extra: CI runs these tests
import pyoxigraph
import pytest
from test_cli import assert_one_error_line, files_under, run_kg
from test_corpus import copy_articles, graph_names_in_order, quads

from kg.cluster import Cluster, cluster_map
from kg.corpus import build_corpus
from kg.errors import ClusterError, InputError
from kg.workers import executor_map

ARTICLES = 5
SHARD = 2  # articles per shard: 5 articles make shards of 2, 2 and 1


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A scheduler and two worker processes on this machine, as a remote cluster would be."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus built by local processes (every article's .nq, and the combined file)."""
    work = tmp_path_factory.mktemp("dask")
    copy_articles(ARTICLES, work / "corpus")
    result = run_kg(
        "build", "corpus", "-o", "local", "-j", "2", "--format", "nq",
        "--combined", "local.nq", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return work


@pytest.fixture(scope="module")
def on_cluster(corpus: Path, cluster: str) -> subprocess.CompletedProcess[str]:
    """The same corpus built on the cluster, its address given as a user would. The paths are
    relative to the client's folder, which is not the workers' (they were started from pytest's):
    a worker that read an article or wrote a file itself would miss it, or write elsewhere."""
    return run_kg(
        "build", "corpus", "-o", "remote", "--format", "nq", "--dask", cluster,
        "--shards", str(SHARD), cwd=corpus,
    )  # fmt: skip


def shards_of(out: Path) -> list[Path]:
    return sorted((out / "shards").glob("part-*.nq"))


# --- the same output as local processes ----------------------------------------------------------


def test_the_shards_hold_the_quads_of_a_local_build(
    corpus: Path, cluster: str, on_cluster: subprocess.CompletedProcess[str]
) -> None:
    assert on_cluster.returncode == 0, on_cluster.stderr
    shards = shards_of(corpus / "remote")
    assert [p.name for p in shards] == ["part-00000.nq", "part-00001.nq", "part-00002.nq"]
    assert set().union(*(quads(p) for p in shards)) == quads(corpus / "local.nq")
    assert "shards: 3 N-Quads files in remote/shards" in on_cluster.stdout
    assert f"(2 processes of the Dask cluster at {cluster};" in on_cluster.stdout


def test_each_shard_holds_whole_articles_in_input_order(corpus: Path, on_cluster: object) -> None:
    articles = sorted((corpus / "corpus").glob("*.txt"))
    names = [graph_names_in_order(corpus / "local" / f"{p.stem}.nq")[0] for p in articles]
    in_shards = [graph_names_in_order(p) for p in shards_of(corpus / "remote")]
    assert in_shards == [names[0:2], names[2:4], names[4:5]]
    for path, name in zip(articles, names, strict=True):
        [shard] = [s for s, held in zip(shards_of(corpus / "remote"), in_shards, strict=True)
                   if name in held]  # fmt: skip
        article = quads(corpus / "local" / f"{path.stem}.nq")
        assert {q for q in quads(shard) if q.graph_name.value == name} == article


def test_the_client_writes_the_files_local_processes_write(
    corpus: Path, on_cluster: object
) -> None:
    local, remote = corpus / "local", corpus / "remote"
    assert [n for n in files_under(remote) if not n.startswith("shards")] == files_under(local)
    for name in files_under(local):
        assert (local / name).read_bytes() == (remote / name).read_bytes(), name


def test_a_local_cluster_writes_the_same_shards_byte_for_byte(
    corpus: Path, on_cluster: object
) -> None:
    result = run_kg(
        "build", "corpus", "-o", "here", "--dask", "local", "-j", "2", "--shards", str(SHARD),
        cwd=corpus,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(2 processes of a local Dask cluster;" in result.stdout
    remote = shards_of(corpus / "remote")
    here = shards_of(corpus / "here")
    assert [p.name for p in here] == [p.name for p in remote]
    for mine, theirs in zip(here, remote, strict=True):
        assert mine.read_bytes() == theirs.read_bytes(), mine.name


# --- bulk loaders read the shards ----------------------------------------------------------------


def stored(*paths: Path) -> set[pyoxigraph.Quad]:
    """The quads of N-Quads files as a store holds them (numbers in canonical form)."""
    store = pyoxigraph.Store()
    for path in paths:
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
    return set(store)


def test_pyoxigraph_bulk_loads_the_shards(corpus: Path, on_cluster: object) -> None:
    store = pyoxigraph.Store(str(corpus / "bulk-store"))
    for shard in shards_of(corpus / "remote"):
        store.bulk_load(path=str(shard), format=pyoxigraph.RdfFormat.N_QUADS)
    assert set(store) == stored(corpus / "local.nq")
    assert len(list(store.named_graphs())) == ARTICLES


def test_oxigraph_load_reads_the_shards(corpus: Path, on_cluster: object) -> None:
    # The command of the pip package oxigraph, a dependency of kg: beside this Python.
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    location = corpus / "oxigraph-db"
    shards = [str(p) for p in shards_of(corpus / "remote")]
    loaded = subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", *shards],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert set(pyoxigraph.Store.read_only(str(location))) == stored(corpus / "local.nq")


# --- failures ------------------------------------------------------------------------------------


def test_a_bad_article_is_listed_and_the_others_go_to_the_shards(
    tmp_path: Path, cluster: str
) -> None:
    copy_articles(2, tmp_path / "corpus")
    # "~" sorts after every stem: the bad article is input 1, whichever articles were copied.
    (tmp_path / "corpus" / "0000-~binary.txt").write_bytes(b"\x00")
    result = run_kg(
        "build", "corpus", "missing.txt", "-o", "out", "--dask", cluster, "--shards", "2",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "kg: corpus/0000-~binary.txt: binary file (NUL bytes; expected UTF-8 text)",
        "kg: missing.txt: no such file",
    ]
    shards = shards_of(tmp_path / "out")
    # Inputs 0-1 (one built), 2-3 (one built, one missing): a shard is its inputs' place.
    assert [len(graph_names_in_order(p)) for p in shards] == [1, 1]


def test_an_unreachable_scheduler_is_one_line_and_exit_code_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    copy_articles(1, tmp_path / "corpus")
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "1s")
    result = run_kg("build", "corpus", "-o", "out", "--dask", address, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert_one_error_line(
        result.stderr, f"kg: {address}: cannot connect to the Dask scheduler (", "after 1 s"
    )
    assert not (tmp_path / "out").exists()


def test_an_address_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    copy_articles(1, tmp_path / "corpus")
    result = run_kg("build", "corpus", "-o", "out", "--dask", "nowhere://x", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_one_error_line(
        result.stderr, "kg: nowhere://x: not a Dask scheduler address (", "or local)"
    )


def test_without_the_extra_dask_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    copy_articles(1, tmp_path / "corpus")
    refused = r"^--dask needs the dask extra: pip install 'kg-news\[dask\]'$"
    with pytest.raises(InputError, match=refused):
        build_corpus([tmp_path / "corpus"], tmp_path / "out", dask="local")


# --- shards without a cluster --------------------------------------------------------------------


def test_a_rerun_with_fewer_shards_leaves_no_stale_one(tmp_path: Path) -> None:
    copy_articles(3, tmp_path / "corpus")
    first = build_corpus([tmp_path / "corpus"], tmp_path / "out", shards=1)
    assert [p.name for p in first.shards] == ["part-00000.nq", "part-00001.nq", "part-00002.nq"]
    again = build_corpus([tmp_path / "corpus"], tmp_path / "out", shards=2)
    assert [p.name for p in again.shards] == ["part-00000.nq", "part-00001.nq"]
    assert shards_of(tmp_path / "out") == list(again.shards)
    assert not list((tmp_path / "out" / "shards").glob(".*"))  # no temporary file left


def test_shards_must_hold_at_least_one_article(tmp_path: Path) -> None:
    copy_articles(1, tmp_path / "corpus")
    result = run_kg("build", "corpus", "-o", "out", "--shards", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "shards of 0 articles (expected 1 or more)")


# --- the ordered map ------------------------------------------------------------------------------


def test_results_come_in_input_order_whatever_finishes_first() -> None:
    def slow_first(n: int) -> int:
        if n == 0:
            time.sleep(0.2)  # the first item finishes last
        return n * n

    with ThreadPoolExecutor(4) as pool:
        results = executor_map(pool, slow_first, range(20), workers=4)
        assert list(results) == [n * n for n in range(20)]


def test_only_a_few_items_per_worker_are_taken_ahead_of_the_results() -> None:
    taken = 0

    def items() -> Iterable[int]:
        nonlocal taken
        for n in range(1000):
            taken += 1
            yield n

    with ThreadPoolExecutor(2) as pool:
        results = executor_map(pool, abs, items(), workers=2)
        assert next(results) == 0
        assert taken <= 2 * 3 + 1  # three per worker in flight, one more once the first is back
        assert list(results) == list(range(1, 1000))


def test_a_failure_of_the_cluster_itself_stops_the_run_naming_it() -> None:
    def lost(n: int) -> int:
        raise RuntimeError("worker lost")  # what a task does not turn into a result

    with ThreadPoolExecutor(2) as pool:
        results = cluster_map(Cluster(pool, 2, "tcp://10.0.0.5:8786"), lost, range(3))
        with pytest.raises(ClusterError, match=r"^tcp://10.0.0.5:8786: the Dask cluster failed"):
            list(results)
