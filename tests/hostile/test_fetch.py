"""Issue 7, groups 7-9: input that would make kg fetch or read something is refused, and nothing
is fetched or read — JSON-LD contexts by reference, RDF/XML entities and DTDs, shapes that import
or query elsewhere.

No network: the socket guard (autouse, in conftest.py) fails a test that tried to connect
anywhere but loopback; worker processes run under `unshare -rn`. No file read: a context named by
path is a FIFO that a watcher thread would see opened (it would block a reader forever), or a
file whose marker IRI must not reach the store. No request: URLs point at a local endpoint that
records every request it gets.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph
import pytest
from conftest import FakeEndpoint
from test_safety import BILLION_LAUGHS, RDF_XML_BODY, RDF_XML_HEAD

from hostile.conftest import assert_unchanged, run_kg, run_kg_offline, snapshot
from kg.loader import load

ROOT = Path(__file__).parents[2]
GOOD = ROOT / "tests" / "fixtures" / "validate" / "good.ttl"
MARKER = "https://marker.example/8f3a-context-was-read"
GRAPH = "https://example.org/graphs/hostile"
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"


# --- a FIFO that tells whether anyone opened it ---------------------------------------------------


class FifoWatch:
    """A FIFO at `path`; `opened` is set when a reader opens it. The watcher then writes an
    empty document and closes it, so a reader never blocks the test for good."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:  # succeeds only while a reader has the FIFO open
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                self._stop.wait(0.005)
                continue
            self.opened.set()
            os.write(fd, b"{}")
            os.close(fd)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[FifoWatch]:
    watch = FifoWatch(tmp_path / "context.fifo")
    yield watch
    watch.close()
    assert not watch.opened.is_set(), f"{watch.path} was opened"


# --- group 7: JSON-LD contexts by reference ------------------------------------------------------


def marker_context(folder: Path) -> Path:
    """A local context file that would map `name` to the marker IRI, were it read."""
    path = folder / "marker-context.jsonld"
    path.write_text(json.dumps({"@context": {"name": MARKER}}), "utf-8")
    return path


def contexts(folder: Path, fifo: Path) -> dict[str, str]:
    """{case id: an @context reference, for a document in `folder`}: a cloud metadata URL,
    `file:` URLs and local paths (relative to the document, as JSON-LD resolves them)."""
    marker = marker_context(fifo.parent)
    return {
        "metadata-service": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "file-etc-passwd": "file:///etc/passwd",
        "file-url-of-a-fifo": fifo.as_uri(),
        "path-of-a-fifo": os.path.relpath(fifo, folder),
        "path-of-a-file": os.path.relpath(marker, folder),
        "file-url-of-a-file": marker.as_uri(),
    }


CASES = (
    "metadata-service",
    "file-etc-passwd",
    "file-url-of-a-fifo",
    "path-of-a-fifo",
    "path-of-a-file",
    "file-url-of-a-file",
)


def document(folder: Path, name: str, context: str, nested: bool = False) -> Path:
    """A JSON-LD file whose context (top-level, or scoped inside a node) is `context`."""
    data: dict[str, object] = {"@id": "https://example.org/x", "name": "X"}
    if nested:
        data = {
            "@context": {"knows": "http://schema.org/knows"},
            "@id": "https://example.org/y",
            "knows": {**data, "@context": [{"s": "http://schema.org/"}, context]},
        }
    else:
        data["@context"] = context
    path = folder / name
    path.write_text(json.dumps(data), "utf-8")
    return path


@pytest.fixture
def store_with_a_graph(tmp_path: Path) -> Path:
    """An embedded store that already holds one graph."""
    path = tmp_path / "people.ttl"
    path.write_text('<https://example.org/p> <http://schema.org/name> "P" .\n', "utf-8")
    store = tmp_path / "store"
    assert load([path], store=store, graph=GRAPH).ok
    return store


def store_quads(store: Path) -> set[pyoxigraph.Quad]:
    return set(pyoxigraph.Store.read_only(str(store)))


@pytest.mark.parametrize("nested", [False, True], ids=["top-level", "scoped-in-a-list"])
@pytest.mark.parametrize("case", CASES)
def test_validate_refuses_a_context_by_reference(
    tmp_path: Path, fifo: FifoWatch, case: str, nested: bool
) -> None:
    path = document(tmp_path, "doc.jsonld", contexts(tmp_path, fifo.path)[case], nested)
    result = run_kg("validate", path, "--format", "json")
    assert result.code == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["file"] == str(path)
    assert "refused: kg never fetches a context" in finding["message"]
    assert "\n" not in finding["message"]
    assert MARKER not in result.stdout


@pytest.mark.parametrize("option", ["--shapes", "--ontology"])
@pytest.mark.parametrize("case", CASES)
def test_shapes_or_an_ontology_with_a_context_by_reference_are_refused(
    tmp_path: Path, fifo: FifoWatch, case: str, option: str
) -> None:
    path = document(tmp_path, "extra.jsonld", contexts(tmp_path, fifo.path)[case])
    result = run_kg("validate", GOOD, option, path, "--inference", "rdfs")
    result.assert_error(2, "extra.jsonld", "refused: kg never fetches a context")
    assert result.stdout == ""


@pytest.mark.parametrize("case", CASES)
def test_load_refuses_a_context_by_reference_and_leaves_the_store(
    tmp_path: Path, fifo: FifoWatch, store_with_a_graph: Path, case: str
) -> None:
    before = store_quads(store_with_a_graph)
    path = document(tmp_path, "doc.jsonld", contexts(tmp_path, fifo.path)[case])
    result = run_kg("load", path, "--store", store_with_a_graph, "--graph", GRAPH + "/new")
    result.assert_error(2, "doc.jsonld", "refused: kg never fetches a context")
    assert store_quads(store_with_a_graph) == before


def test_load_reads_kgs_own_context_by_its_iri(tmp_path: Path) -> None:
    path = document(tmp_path, "doc.jsonld", "https://w3id.org/kg-news/context.jsonld")
    result = run_kg("load", path, "--store", tmp_path / "store", "--graph", GRAPH)
    assert result.code == 0, result.stderr
    assert "(1 triple)" in result.stdout


def test_worker_processes_refuse_them_offline(
    tmp_path: Path, fifo: FifoWatch, offline_prefix: list[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for case, context in contexts(folder, fifo.path).items():
        document(folder, f"{case}.jsonld", context)
    result = run_kg_offline(offline_prefix, "validate", folder, "-j", "2", "--format", "json")
    assert result.code == 1, result.stderr
    refused = {
        Path(f["file"]).stem
        for f in json.loads(result.stdout)["findings"]
        if "kg never fetches a context" in f["message"]
    }
    assert refused == set(CASES)


# --- group 8: RDF/XML with entities ---------------------------------------------------------------

RDF_XML = {
    "external-entity-file": RDF_XML_HEAD
    + '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    + RDF_XML_BODY,
    "external-entity-url": RDF_XML_HEAD
    + '<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "http://169.254.169.254/latest/meta-data/">]>\n'
    + RDF_XML_BODY,
    "external-dtd": RDF_XML_HEAD
    + '<!DOCTYPE rdf:RDF SYSTEM "http://169.254.169.254/rdf.dtd">\n'
    + RDF_XML_BODY.replace("&e;", "x"),
    "billion-laughs": BILLION_LAUGHS,
    # The same, behind 5 MB of comment: refused as fast as it is read, not parsed.
    "billion-laughs-late": RDF_XML_HEAD
    + f"<!-- {'x' * 5_000_000} -->\n"
    + BILLION_LAUGHS.removeprefix(RDF_XML_HEAD),
}


@pytest.mark.parametrize("name", sorted(RDF_XML))
def test_rdf_xml_with_entities_is_refused_within_a_second(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.rdf"
    path.write_text(RDF_XML[name], "utf-8")
    started = time.monotonic()
    result = run_kg("validate", path, "--format", "json")
    assert time.monotonic() - started < 1
    assert result.code == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["file"] == str(path)
    assert "(RDF/XML with a DTD or entities is refused" in finding["message"]
    assert "root:" not in result.stdout  # nothing of /etc/passwd


@pytest.mark.parametrize("option", ["--shapes", "--ontology"])
@pytest.mark.parametrize("name", ["external-entity-file", "billion-laughs"])
def test_shapes_or_an_ontology_in_rdf_xml_with_entities_are_refused_within_a_second(
    tmp_path: Path, name: str, option: str
) -> None:
    path = tmp_path / f"{name}.rdf"
    path.write_text(RDF_XML[name], "utf-8")
    started = time.monotonic()
    result = run_kg("validate", GOOD, option, path, "--inference", "rdfs")
    assert time.monotonic() - started < 1
    result.assert_error(2, path.name, "RDF/XML with a DTD or entities is refused")


# --- group 9: shapes that would fetch -------------------------------------------------------------

SHAPE = (
    "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
    "<https://example.org/shapes#S> a sh:NodeShape ;\n"
    "    sh:targetClass <http://schema.org/NewsArticle>"
)


def shapes_text(case: str, url: str) -> str:
    """Shapes that would make a validator request `url`."""
    if case == "owl-imports":
        return (
            f"{SHAPE} .\n<https://example.org/shapes> <{OWL_IMPORTS}> <{url}/more-shapes.ttl> .\n"
        )
    keyword = {"sparql-service": "SERVICE", "sparql-service-silent": "SERVICE SILENT"}[case]
    query = f"SELECT $this WHERE {{ {keyword} <{url}/sparql> {{ $this ?p ?o }} }}"
    return f'{SHAPE} ;\n    sh:sparql [ a sh:SPARQLConstraint ; sh:select "{query}" ] .\n'


@pytest.mark.server
@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("owl-imports", "owl:imports <http://127.0.0.1:"),
        ("sparql-service", "SPARQL with SERVICE refused"),
        ("sparql-service-silent", "SPARQL with SERVICE refused"),
    ],
)
def test_shapes_that_would_fetch_are_refused_and_nothing_is_requested(
    tmp_path: Path, fake_endpoint: Callable[..., FakeEndpoint], case: str, fragment: str
) -> None:
    server = fake_endpoint()
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(shapes_text(case, server.url), "utf-8")
    out = tmp_path / "report.json"
    result = run_kg("validate", GOOD, "--shapes", shapes, "--output", out)
    result.assert_error(2, "shapes.ttl", fragment)
    assert server.requests == []
    assert snapshot(tmp_path) == {"shapes.ttl": shapes.read_bytes()}  # no report written


@pytest.mark.server
def test_an_import_of_shapes_given_beside_them_is_not_followed(
    tmp_path: Path, fake_endpoint: Callable[..., FakeEndpoint]
) -> None:
    server = fake_endpoint()
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "main.ttl").write_text(shapes_text("owl-imports", server.url), "utf-8")
    (folder / "more.ttl").write_text(
        f"<{server.url}/more-shapes.ttl> a <http://www.w3.org/2002/07/owl#Ontology> .\n", "utf-8"
    )
    result = run_kg("validate", GOOD, "--shapes", folder)
    assert result.code == 0, result.stderr
    assert server.requests == []


@pytest.mark.server
def test_an_ontologys_imports_are_not_followed(
    tmp_path: Path, fake_endpoint: Callable[..., FakeEndpoint]
) -> None:
    server = fake_endpoint()
    ontology = tmp_path / "ontology.ttl"
    ontology.write_text(
        f"<https://example.org/o> <{OWL_IMPORTS}> <{server.url}/imported.ttl> .\n", "utf-8"
    )
    before = snapshot(tmp_path)
    result = run_kg("validate", GOOD, "--ontology", ontology, "--inference", "rdfs")
    assert result.code == 0, result.stderr
    assert server.requests == []
    assert_unchanged(tmp_path, before)
