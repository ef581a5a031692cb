"""Loading into stores (`kg/loader.py`, `kg/endpoint.py`): the embedded store, a real Oxigraph
server over both protocols, and small HTTP servers that misbehave on purpose."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph
import pytest
from conftest import FakeEndpoint, OxigraphServer, Reply, free_port
from rdflib import Graph, URIRef
from test_cli import assert_one_error_line, run_kg

import kg.loader
from kg.api import build, write_results
from kg.endpoint import Credentials, Endpoint, query_url_for
from kg.errors import InputError, ValidationFailure
from kg.loader import count_query, load, read_graphs, replace_update
from kg.mapping import article_iri, graph_iri, map_record
from kg.model import Record
from kg.serialize import Format, serialize_graph
from kg.store import open_store

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "xiongan-innovation.txt"
SHARED_ARTICLES = Path(__file__).parents[2] / "shared" / "articles"
SCHEMA_NAME = "http://schema.org/name"
INJECTION = 'x" } } ; DROP ALL ; INSERT DATA { GRAPH <g> { <e> <n> "pwned'
SECRET = "s3cret-Pa55"

needs_shared = pytest.mark.skipif(
    not SHARED_ARTICLES.is_dir(), reason="../shared/articles is not beside the repository"
)
server_backed = pytest.mark.server


# --- inputs --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example article built into every format kg writes."""
    out = tmp_path_factory.mktemp("example") / "out"
    write_results([build(EXAMPLE)], out, list(Format))
    return out


@pytest.fixture
def ttl(example_files: Path) -> Path:
    """The example article's Turtle."""
    return example_files / "xiongan-innovation.ttl"


@pytest.fixture(scope="module")
def shared_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build output (Turtle and JSON-LD) of every shared article."""
    if not SHARED_ARTICLES.is_dir():
        pytest.skip("../shared/articles is not beside the repository")
    out = tmp_path_factory.mktemp("shared") / "out"
    write_results([build(path) for path in sorted(SHARED_ARTICLES.glob("*.txt"))], out)
    return out


def article_file(record: Record, folder: Path, stem: str, fmt: Format = Format.TTL) -> Path:
    """The record mapped and written as `folder/stem.ext`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.{fmt.extension}"
    path.write_bytes(serialize_graph(map_record(record), fmt))
    return path


def variant(record: Record, n: int, *, drop_quotes: bool = False) -> Record:
    """The record as another article (its own IRI), optionally without its quotes."""
    article = dataclasses.replace(record.article, url=f"https://news.example.com/{n}.html")
    quotes = [] if drop_quotes else record.quotes
    return dataclasses.replace(record, article=article, quotes=quotes)


def without_headline(record: Record) -> bytes:
    """The record's Turtle without the article's headline, which the shapes require."""
    graph = map_record(record)
    graph.remove((article_iri(record.article), URIRef("http://schema.org/headline"), None))
    return serialize_graph(graph, Format.TTL)


def graph_of(record: Record) -> str:
    return str(graph_iri(article_iri(record.article)))


def count_triples(path: Path) -> int:
    return len(Graph().parse(path))


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_every_format_gives_the_article_graph(example_files: Path, fmt: Format) -> None:
    (found,) = read_graphs([example_files / f"xiongan-innovation.{fmt.extension}"])
    ttl = example_files / "xiongan-innovation.ttl"
    assert found.name == "https://example.org/kg/article/fd26fdb3d53237a0/graph"
    assert found.article
    assert found.triples == count_triples(ttl)


def test_the_files_of_one_article_in_a_folder_make_one_graph(example_files: Path) -> None:
    (found,) = read_graphs([example_files])
    assert [p.suffix for p in found.sources] == [".jsonld", ".nq", ".nt", ".trig", ".ttl"]


def test_folders_are_read_recursively_in_sorted_order(tmp_path: Path, record: Record) -> None:
    for n, sub in [(2, "b"), (1, "a/deep"), (3, "a")]:
        article_file(variant(record, n), tmp_path / sub, f"article-{n}")
    (tmp_path / "a" / ".article-9.ttl.tmp").write_text("not rdf")  # an atomic write's staging
    (tmp_path / "notes.txt").write_text("not rdf either")
    graphs = read_graphs([tmp_path])
    sources = [g.sources[0].relative_to(tmp_path).as_posix() for g in graphs]
    assert sources == ["a/article-3.ttl", "a/deep/article-1.ttl", "b/article-2.ttl"]


def test_a_triples_file_that_is_not_kg_output_needs_a_graph(tmp_path: Path) -> None:
    path = tmp_path / "people.ttl"
    path.write_text('<https://example.org/p> <http://schema.org/name> "P" .\n')
    with pytest.raises(InputError, match="not kg output.*--graph IRI"):
        read_graphs([path])
    (found,) = read_graphs([path], graph="https://example.org/g")
    assert (found.name, found.triples, found.article) == ("https://example.org/g", 1, False)


def test_two_files_of_one_article_that_disagree_are_refused(tmp_path: Path, record: Record) -> None:
    article_file(variant(record, 0, drop_quotes=True), tmp_path, "x", Format.TTL)
    article_file(variant(record, 0), tmp_path, "x", Format.NQ)  # stale: still has the quotes
    with pytest.raises(InputError, match=r"x\.ttl: graph <.*> differs from the one in .*x\.nq"):
        read_graphs([tmp_path])


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.ttl", None, "no such file or folder"),
        (
            "data.rdf",
            "<rdf/>",
            "not an RDF file kg loads (expected .jsonld, .nq, .nt, .trig, .ttl)",
        ),
        ("relative.ttl", "<a> <b> <c> .", "relative.ttl: Parser error at line 1"),
        ("cut.nt", '<http://a> <http://b> "x', "cut.nt: Parser error"),
        ("broken.jsonld", '{"@id": ', "broken.jsonld: Parser error"),
        ("blank-graph.nq", "<http://a> <http://b> <http://c> _:g .\n", "blank node"),
    ],
)
def test_unreadable_inputs_are_input_errors(
    tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_graphs([path], graph="https://example.org/g")
    assert fragment in str(caught.value)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no RDF files in this folder"):
        read_graphs([tmp_path])


def test_a_bad_graph_iri_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--graph: 'a b' is not an IRI"):
        read_graphs([tmp_path], graph="a b")


# --- requests are written by the RDF library -----------------------------------------------------


def test_the_update_holds_the_injection_as_one_literal(tmp_path: Path, record: Record) -> None:
    (found,) = read_graphs([article_file(named(record, INJECTION), tmp_path, "x")])
    update = replace_update(found)
    store = pyoxigraph.Store()
    store.update(update)
    names = {
        q.object.value
        for q in store.quads_for_pattern(None, pyoxigraph.NamedNode(SCHEMA_NAME), None)
    }
    assert INJECTION in names
    assert len(store) == found.triples
    assert update.startswith(f"DROP SILENT GRAPH <{found.name}> ;\nINSERT DATA {{ GRAPH <")


@dataclass
class BrokenStore:
    """Stands in for a pyoxigraph store whose disk fails at `fails` ("update" or "query")."""

    fails: str

    def update(self, update: str) -> None:
        if self.fails == "update":
            raise OSError("IO error: No space left on device")

    def query(self, query: str) -> list[dict[str, pyoxigraph.Literal]]:
        if self.fails == "query":
            raise OSError("IO error: Input/output error")
        return [{"n": pyoxigraph.Literal("0")}]


@pytest.mark.parametrize(
    ("fails", "fragment"),
    [("update", "cannot write <.*> \\(IO error: No space"), ("query", "cannot count <.*> \\(IO")],
)
def test_a_failing_embedded_store_fails_the_graph(
    tmp_path: Path, ttl: Path, monkeypatch: pytest.MonkeyPatch, fails: str, fragment: str
) -> None:
    monkeypatch.setattr(kg.loader, "open_store", lambda path: BrokenStore(fails))
    report = load([ttl], store=tmp_path / "store")
    (failed,) = report.failed
    assert failed.error is not None
    assert re.match(f"store {tmp_path / 'store'}: {fragment}", failed.error), failed.error
    assert report.triples == 0


def test_a_graph_name_that_could_break_the_request_is_refused() -> None:
    with pytest.raises(ValueError):
        count_query("https://example.org/g> } } ; DROP ALL ; #")


@pytest.mark.parametrize(
    ("endpoint", "query"),
    [
        ("http://h:7878/store", "http://h:7878/query"),
        ("http://h:7878/update", "http://h:7878/query"),
        ("http://h:3030/news/data", "http://h:3030/news/query"),
        ("http://h:3030/news/update", "http://h:3030/news/query"),
        ("http://h:7200/repositories/news/rdf-graphs/service", "http://h:7200/repositories/news"),
        ("http://h:7200/repositories/news/statements", "http://h:7200/repositories/news"),
        ("http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql"),
        ("https://h:8182/sparql", "https://h:8182/sparql"),
    ],
)
def test_the_query_url_is_derived_from_the_endpoint(endpoint: str, query: str) -> None:
    assert query_url_for(endpoint) == query


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://h:7878/somewhere", "give it with --query-endpoint"),
        ("ftp://h/store", "not an endpoint URL"),
        (f"http://me:{SECRET}@h:7878/store", "credentials in the URL"),
    ],
)
def test_endpoint_urls_kg_cannot_use_are_refused(url: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        Endpoint(url, credentials=Credentials())
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"KG_ENDPOINT_USER": "me"}, "must be set together"),
        ({"KG_ENDPOINT_TOKEN": SECRET, "KG_ENDPOINT_PASSWORD": SECRET}, "both set"),
    ],
)
def test_half_set_credentials_are_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        Credentials.from_env(env)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(Credentials(token=SECRET))


def named(record: Record, name: str) -> Record:
    """The record with its first person renamed."""
    first = dataclasses.replace(record.people[0], name=name)
    return dataclasses.replace(record, people=[first, *record.people[1:]])


# --- a real Oxigraph server ----------------------------------------------------------------------


def select(url: str, query: str) -> list[dict[str, str]]:
    response = httpx.post(
        url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def target(server: OxigraphServer, protocol: str) -> str:
    return server.store_url if protocol == "gsp" else server.update_url


def expected_counts(folder: Path) -> dict[str, int]:
    return {g.name: g.triples for g in read_graphs([folder])}


@server_backed
@pytest.mark.shared
@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_every_shared_article_loads_and_loading_twice_changes_nothing(
    oxigraph: OxigraphServer, shared_files: Path, protocol: str
) -> None:
    expected = expected_counts(shared_files)
    assert len(expected) == len(list(SHARED_ARTICLES.glob("*.txt")))
    first = load([shared_files], endpoint=target(oxigraph, protocol), protocol=protocol)
    assert first.ok, [g.error for g in first.failed]
    assert {g.graph: g.triples for g in first.loaded} == expected
    assert counts(oxigraph) == expected
    again = load([shared_files], endpoint=target(oxigraph, protocol), protocol=protocol)
    assert again.ok
    assert counts(oxigraph) == expected
    assert select(oxigraph.query_url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": "0"}]


@server_backed
@pytest.mark.parametrize("protocol", ["gsp", "update"])
def test_a_changed_article_replaces_its_graph_and_leaves_the_others(
    oxigraph: OxigraphServer, tmp_path: Path, record: Record, protocol: str
) -> None:
    for n in range(3):
        article_file(variant(record, n), tmp_path / "v1", f"article-{n}")
    assert load([tmp_path / "v1"], endpoint=target(oxigraph, protocol), protocol=protocol).ok
    before = counts(oxigraph)
    changed = variant(record, 1, drop_quotes=True)
    path = article_file(changed, tmp_path / "v2", "article-1")
    report = load([path], endpoint=target(oxigraph, protocol), protocol=protocol)
    assert report.ok
    after = counts(oxigraph)
    assert after[graph_of(changed)] == count_triples(path) < before[graph_of(changed)]
    assert {g: n for g, n in after.items() if g != graph_of(changed)} == {
        g: n for g, n in before.items() if g != graph_of(changed)
    }
    quotes = "SELECT ?q WHERE { GRAPH ?g { ?q a <http://schema.org/Quotation> } }"
    assert len(select(oxigraph.query_url, quotes)) == 2 * len(record.quotes)


@server_backed
@pytest.mark.parametrize("protocol", ["gsp", "update", "embedded"])
def test_an_injection_in_a_name_is_stored_verbatim(
    oxigraph: OxigraphServer, tmp_path: Path, record: Record, protocol: str
) -> None:
    other = article_file(variant(record, 7), tmp_path / "other", "other")
    evil = article_file(named(record, INJECTION), tmp_path / "evil", "evil")
    store = tmp_path / "store"
    where = {"store": store} if protocol == "embedded" else {
        "endpoint": target(oxigraph, protocol), "protocol": protocol
    }  # fmt: skip
    assert load([other], **where).ok  # type: ignore[arg-type]
    assert load([evil], **where).ok  # type: ignore[arg-type]
    run = store_select(store) if protocol == "embedded" else server_select(oxigraph)
    expected = {
        graph_of(variant(record, 7)): count_triples(other),
        graph_of(record): count_triples(evil),
    }
    assert graph_counts(run) == expected
    query = f"SELECT ?s WHERE {{ GRAPH ?g {{ ?s <{SCHEMA_NAME}> {json.dumps(INJECTION)} }} }}"
    assert run(query) == [{"s": f"https://example.org/kg/person/{record.people[0].key}"}]


Select = Callable[[str], list[dict[str, str]]]


def server_select(server: OxigraphServer) -> Select:
    return lambda query: select(server.query_url, query)


def store_select(path: Path) -> Select:
    def run(query: str) -> list[dict[str, str]]:
        store = open_store(path, read_only=True)
        solutions = store.query(query)
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        names = [v.value for v in solutions.variables]
        return [{n: row[n].value for n in names} for row in solutions]

    return run


def graph_counts(run: Select) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    return {row["g"]: int(row["n"]) for row in run(query)}


def counts(server: OxigraphServer) -> dict[str, int]:
    """{graph IRI: triples} of every named graph in the server's store."""
    return graph_counts(server_select(server))


# --- the embedded store, across processes --------------------------------------------------------


def count_in_new_process(store: Path, graph: str) -> int:
    """The triples of `graph`, counted by a fresh Python process opening the store read-only."""
    code = (
        "import sys, pyoxigraph\n"
        "store = pyoxigraph.Store.read_only(sys.argv[1])\n"
        "(row,) = store.query(sys.argv[2])\n"
        "print(row['n'].value)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(store), count_query(graph)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(result.stdout)


def test_the_embedded_store_keeps_the_data_for_the_next_process(
    tmp_path: Path, example_files: Path
) -> None:
    ttl = example_files / "xiongan-innovation.ttl"
    result = run_kg("load", ttl, "--store", tmp_path / "store", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    graph = "https://example.org/kg/article/fd26fdb3d53237a0/graph"
    triples = count_triples(ttl)
    assert f"loaded {graph} ({triples} triples)" in result.stdout
    assert "loaded 1 of 1 graph (" in result.stdout
    assert count_in_new_process(tmp_path / "store", graph) == triples


def test_a_store_another_process_writes_is_refused_in_one_line(
    tmp_path: Path, example_files: Path
) -> None:
    store = tmp_path / "store"
    code = (
        "import sys, pyoxigraph\n"
        "s = pyoxigraph.Store(sys.argv[1])\n"
        "print('open', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        result = run_kg(
            "load", example_files / "xiongan-innovation.ttl", "--store", store, cwd=tmp_path
        )
    finally:
        holder.communicate("", timeout=60)
    assert result.returncode == 3
    assert_one_error_line(result.stderr, str(store), "in use by another process")
    assert "Traceback" not in result.stderr


def test_build_load_goes_to_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_STORE", str(tmp_path / "default-store"))
    result = run_kg("build", EXAMPLE, "-o", tmp_path / "out", "--load", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    graph = "https://example.org/kg/article/fd26fdb3d53237a0/graph"
    triples = count_triples(tmp_path / "out" / "xiongan-innovation.ttl")
    assert result.stdout.splitlines()[:3] == [
        str(tmp_path / "out" / "xiongan-innovation.ttl"),
        str(tmp_path / "out" / "xiongan-innovation.jsonld"),
        f"loaded {graph} ({triples} triples)",
    ]
    assert count_in_new_process(tmp_path / "default-store", graph) == triples


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["build", EXAMPLE, "-o", "out", "--store", "db"], "--store and --endpoint need --load"),
        (["load", "x.ttl", "--store", "db", "--endpoint", "http://h/store"], "not allowed with"),
        (["load", "x.ttl", "--timeout", "0"], "not a positive number"),
        (["load", "x.ttl", "--retries", "-1"], "not a whole number"),
        (["load", "x.ttl", "--protocol", "ftp"], "invalid choice"),
        (["load", "x.ttl", "--protocol", "update"], "need --endpoint"),
    ],
)
def test_load_usage_errors_exit_2(tmp_path: Path, args: list[str | Path], fragment: str) -> None:
    (tmp_path / "x.ttl").write_text("")
    result = run_kg(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_one_error_line(result.stderr, fragment)


def test_load_help_has_an_example(tmp_path: Path) -> None:
    result = run_kg("load", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "example:\n  kg load output/ --endpoint http://localhost:7878/store" in result.stdout


@server_backed
def test_build_load_into_an_oxigraph_endpoint(oxigraph: OxigraphServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_kg(
        "build", EXAMPLE, "-o", out, "--load", "--endpoint", oxigraph.store_url, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert counts(oxigraph) == expected_counts(out)
    assert f"into {oxigraph.store_url} (gsp)" in result.stdout


# --- a server killed in the middle of a load -----------------------------------------------------


def numbered_graphs(path: Path, graphs: int, triples: int, version: str) -> list[str]:
    """An N-Quads file of `graphs` named graphs of `triples` triples each; their names."""
    names = [f"https://example.org/test/graph/{i}" for i in range(graphs)]
    quads = [
        pyoxigraph.Quad(
            pyoxigraph.NamedNode(f"https://example.org/test/{i}/{j}"),
            pyoxigraph.NamedNode("https://example.org/test/value"),
            pyoxigraph.Literal(f"{version} {j}"),
            pyoxigraph.NamedNode(name),
        )
        for i, name in enumerate(names)
        for j in range(triples)
    ]
    pyoxigraph.serialize(quads, path, pyoxigraph.RdfFormat.N_QUADS)
    return names


@server_backed
def test_a_server_killed_mid_load_leaves_every_graph_old_or_new(
    oxigraph_servers: Callable[..., OxigraphServer], tmp_path: Path
) -> None:
    server = oxigraph_servers(tmp_path / "db")
    names = numbered_graphs(tmp_path / "old.nq", 40, 1000, "old")
    numbered_graphs(tmp_path / "new.nq", 40, 1500, "new")
    assert load([tmp_path / "old.nq"], endpoint=server.store_url).ok
    loading = subprocess.Popen(
        [sys.executable, "-m", "kg", "load", tmp_path / "new.nq", "--endpoint", server.store_url,
         "--retries", "0", "--timeout", "10"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: graph_count(server, names[0]) == 1500, seconds=60)
        server.stop(signal.SIGKILL)
    finally:
        _, stderr = loading.communicate(timeout=60)
    assert loading.returncode == 3, stderr
    assert "cannot connect" in stderr or "connection lost" in stderr, stderr
    found = counts(oxigraph_servers(tmp_path / "db"))
    assert set(found) == set(names)
    assert set(found.values()) <= {1000, 1500}, found
    assert found[names[0]] == 1500 and found[names[-1]] == 1000


def graph_count(server: OxigraphServer, graph: str) -> int:
    return int(select(server.query_url, count_query(graph))[0]["n"])


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s")
        time.sleep(0.005)


# --- faults, each from a small HTTP server (`fake_endpoint`, in conftest.py) -------------------


@server_backed
def test_a_refused_connection_is_a_clear_error_within_the_timeout(
    tmp_path: Path, ttl: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/store"
    report = load([ttl], endpoint=url, timeout=2, retries=1)
    assert not report.ok and not report.loaded
    assert report.seconds - report.read_seconds < 2
    result = run_kg(
        "load", ttl, "--endpoint", url, "--timeout", "2", "--retries", "1", cwd=tmp_path
    )
    assert result.returncode == 3
    first, last = result.stderr.splitlines()
    assert first.startswith(f"kg: PUT {url}?graph=https%3A%2F%2Fexample.org%2Fkg%2Farticle%2F")
    assert first.endswith(": cannot connect ([Errno 111] Connection refused) after 2 attempts")
    assert last == "kg: 1 of 1 graph not loaded"
    assert "loaded 0 of 1 graph (0 triples)" in result.stdout


@server_backed
def test_503_twice_then_success_is_retried(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path
) -> None:
    fake = fake_endpoint(Reply(503), Reply(503))
    report = load([ttl], endpoint=fake.store_url, retries=2)
    assert report.ok, report.failed
    assert [r.method for r in fake.requests] == ["PUT", "PUT", "PUT", "POST"]
    graph = "https://example.org/kg/article/fd26fdb3d53237a0/graph"
    assert all(r.path == f"/store?graph={quote(graph, safe='')}" for r in fake.writes)
    assert fake.writes[0].headers["Content-Type"] == "text/turtle"
    assert report.triples == count_triples(ttl)


@server_backed
def test_backoff_is_capped_exponential_and_honours_retry_after(
    fake_endpoint: Callable[..., FakeEndpoint],
) -> None:
    fake = fake_endpoint(*[Reply(503)] * 7, Reply(429, {"Retry-After": "3"}), Reply(502))
    waits: list[float] = []
    endpoint = Endpoint(fake.store_url, credentials=Credentials(), retries=9, sleep=waits.append)
    with endpoint:
        endpoint.put_graph("https://example.org/g", b"")
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 3.0, 8.0]
    assert len(fake.writes) == 10


@server_backed
def test_429_with_retry_after_is_waited_for(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path
) -> None:
    fake = fake_endpoint(Reply(429, {"Retry-After": "1"}))
    started = time.monotonic()
    report = load([ttl], endpoint=fake.store_url, retries=1)
    assert report.ok
    assert time.monotonic() - started >= 1.0  # the backoff alone would wait 0.5 s
    assert len(fake.writes) == 2


@server_backed
@pytest.mark.parametrize(
    "env",
    [
        {"KG_ENDPOINT_TOKEN": SECRET},
        {"KG_ENDPOINT_USER": "editor", "KG_ENDPOINT_PASSWORD": SECRET},
    ],
    ids=["token", "basic"],
)
def test_401_is_not_retried_and_no_credential_is_shown(
    fake_endpoint: Callable[..., FakeEndpoint],
    tmp_path: Path,
    ttl: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake = fake_endpoint(Reply(401, body="Unauthorized: {auth} is not valid here"))
    result = run_kg("load", ttl, "--endpoint", fake.store_url, cwd=tmp_path)
    assert result.returncode == 3
    assert len(fake.writes) == 1
    sent = fake.writes[0].headers["Authorization"]
    assert SECRET in sent or base64.b64encode(f"editor:{SECRET}".encode()).decode() in sent
    message = result.stderr.splitlines()[0]
    assert ": 401 Unauthorized (Unauthorized: " in message
    assert "check KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or KG_ENDPOINT_TOKEN" in message
    output = result.stdout + result.stderr
    assert SECRET not in output and sent.split()[1] not in output


@server_backed
def test_a_server_that_never_answers_times_out(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path
) -> None:
    fake = fake_endpoint(Reply(hang=True))
    report = load([ttl], endpoint=fake.store_url, timeout=0.5, retries=0)
    (failed,) = report.failed
    assert failed.error is not None
    assert failed.error.endswith(": no answer within 0.5 s (raise --timeout?) after 1 attempt")
    assert report.seconds - report.read_seconds < 3


@server_backed
def test_other_errors_are_not_retried_and_the_next_graph_still_loads(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path, record: Record
) -> None:
    for n in range(2):
        article_file(variant(record, n), tmp_path, f"article-{n}")
    fake = fake_endpoint(Reply(400, body="Parser error at line 3\n  near 'x'"))
    report = load([tmp_path], endpoint=fake.store_url)
    assert [g.ok for g in report.graphs] == [False, True]
    error = report.graphs[0].error
    assert error is not None and error.endswith(
        ": 400 Bad Request (Parser error at line 3 near 'x')"
    )
    assert len(fake.writes) == 2
    assert report.triples == report.graphs[1].triples


@server_backed
def test_a_count_that_differs_is_a_failure(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path
) -> None:
    report = load([ttl], endpoint=fake_endpoint(miscount=-1).store_url)
    (failed,) = report.failed
    assert failed.error is not None
    assert f"holds {failed.triples - 1} triples after loading {failed.triples}" in failed.error
    assert report.loaded == [] and report.triples == 0


@server_backed
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt.ttl", '<https://example.org/a> <https://example.org/b> "unterminated .\n'),
        ("corrupt.jsonld", '{"@context": {}, "@id": "https://example.org/a", '),
        ("corrupt.nq", "<https://example.org/a> <https://example.org/b> <c> <g> .\n"),
    ],
)
def test_a_corrupt_file_is_refused_before_any_request(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path, ttl: Path, name: str, content: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-good.ttl").write_bytes(ttl.read_bytes())
    (folder / name).write_text(content)
    fake = fake_endpoint()
    result = run_kg("load", folder, "--endpoint", fake.store_url, cwd=tmp_path)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, name, "Parser error")
    assert fake.requests == []


@server_backed
def test_a_file_that_does_not_conform_is_refused_before_any_request(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path, record: Record
) -> None:
    path = tmp_path / "no-headline.ttl"
    path.write_bytes(without_headline(record))
    fake = fake_endpoint()
    with pytest.raises(ValidationFailure, match="no-headline.ttl: does not conform"):
        load([path], endpoint=fake.store_url)
    assert fake.requests == []


def test_many_articles_are_validated_in_worker_processes(
    tmp_path: Path, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kg.loader, "PARALLEL_FROM", 2)
    for n in range(4):
        article_file(variant(record, n), tmp_path, f"article-{n}")
    assert len(read_graphs([tmp_path], workers=2)) == 4
    (tmp_path / "article-2.ttl").write_bytes(without_headline(variant(record, 2)))
    with pytest.raises(ValidationFailure, match=r"article-2\.ttl: does not conform"):
        read_graphs([tmp_path], workers=2)


@server_backed
def test_a_remote_jsonld_context_is_never_fetched(
    fake_endpoint: Callable[..., FakeEndpoint], tmp_path: Path
) -> None:
    fake = fake_endpoint()
    path = tmp_path / "remote.jsonld"
    document = {
        "@context": f"{fake.url}/context.jsonld",
        "@id": "https://example.org/a",
        "name": "A",
    }
    path.write_text(json.dumps(document))
    with pytest.raises(InputError, match="remote.jsonld: @context .* kg never fetches a context"):
        load([path], endpoint=fake.store_url, graph="https://example.org/g")
    assert fake.requests == []


@server_backed
def test_a_redirect_to_another_host_is_not_followed(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_ENDPOINT_TOKEN", SECRET)
    elsewhere = fake_endpoint()
    moved = f"http://localhost:{elsewhere.server.server_address[1]}/store?graph=x"
    fake = fake_endpoint(Reply(307, {"Location": moved}))
    report = load([ttl], endpoint=fake.store_url)
    (failed,) = report.failed
    assert failed.error is not None
    assert f"307 Temporary Redirect, redirected to {moved} (kg follows no redirects" in failed.error
    assert elsewhere.requests == []
    assert fake.writes[0].headers["Authorization"] == f"Bearer {SECRET}"


@server_backed
def test_credentials_go_to_the_endpoint_origin_only(
    fake_endpoint: Callable[..., FakeEndpoint], ttl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KG_ENDPOINT_TOKEN", SECRET)
    writes, queries = fake_endpoint(), fake_endpoint(miscount=count_triples(ttl))
    report = load([ttl], endpoint=writes.store_url, query_endpoint=f"{queries.url}/query")
    assert report.ok
    assert writes.writes[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert [r.method for r in queries.requests] == ["POST"]
    assert "Authorization" not in queries.requests[0].headers
