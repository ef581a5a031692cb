"""Validation never fetches anything: remote JSON-LD contexts, DTDs and entities, owl:imports and
SPARQL that would fetch are refused or ignored, and a socket guard (and a server that counts what
reaches it) proves that nothing connects."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from kg.conformance import CHECKS, validate_files
from kg.errors import BrokenShapes
from kg.safety import (
    KG_CONTEXT_IRI,
    fetching_queries,
    kg_context,
    resolve_contexts,
    xml_declaration,
)

ROOT = Path(__file__).parents[1]
GOOD = ROOT / "tests" / "fixtures" / "validate" / "good.ttl"
RDF_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
RDF_XML_BODY = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="https://example.org/x"><rdf:value>&e;</rdf:value>'
    "</rdf:Description></rdf:RDF>\n"
)


# --- proof that nothing connects -----------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every attempt to resolve a name or open a connection fails, and is recorded."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the test's socket guard: no network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], f"validation tried to connect: {attempts}"


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        body = b'{"@context": {"name": "http://schema.org/name"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that would serve any context or import; (its URL, the paths
    requested)."""
    hits: list[str] = []
    handler = type("Handler", (_Counting,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def hostile_files(folder: Path, url: str) -> dict[str, str]:
    """{file name: the kg check expected to refuse it, or "" when it is valid}: every way a
    file could make a validator fetch `url`."""
    files = {
        "remote-context.jsonld": (
            json.dumps({"@context": f"{url}/context.jsonld", "@id": "https://example.org/x"}),
            "remote-context",
        ),
        "context-in-a-list.jsonld": (
            json.dumps({"@context": [{"s": "http://schema.org/"}, f"{url}/c"], "s:name": "x"}),
            "remote-context",
        ),
        "scoped-context.jsonld": (
            json.dumps(
                {
                    "@context": {"knows": {"@id": "http://schema.org/knows", "@context": url}},
                    "@id": "https://example.org/x",
                    "knows": {"@id": "https://example.org/y"},
                }
            ),
            "remote-context",
        ),
        "import.jsonld": (
            json.dumps({"@context": {"@import": url, "@version": 1.1}, "@id": "https://e.org/x"}),
            "remote-context",
        ),
        "file-context.jsonld": (
            json.dumps({"@context": "file:///etc/hosts", "@id": "https://example.org/x"}),
            "remote-context",
        ),
        "local-context.jsonld": (
            json.dumps({"@context": "remote-context.jsonld", "@id": "https://example.org/x"}),
            "remote-context",
        ),
        "external-entity.rdf": (
            RDF_XML_HEAD + f'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}/e">]>\n' + RDF_XML_BODY,
            "xml-dtd",
        ),
        "external-dtd.rdf": (
            RDF_XML_HEAD + f'<!DOCTYPE rdf:RDF SYSTEM "{url}/rdf.dtd">\n' + RDF_XML_BODY,
            "xml-dtd",
        ),
        "imports.ttl": (
            "<https://example.org/data> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
            f"    <http://www.w3.org/2002/07/owl#imports> <{url}/ontology.ttl> .\n",
            "",
        ),
    }
    for name, (text, _) in files.items():
        (folder / name).write_text(text, "utf-8")
    return {name: check for name, (_, check) in files.items()}


def test_nothing_is_fetched_in_process(no_network: list[Any], tmp_path: Path) -> None:
    expected = hostile_files(tmp_path, "http://example.org")
    run = validate_files([tmp_path])
    found = {Path(f.file).name: f.shape for f in run.findings}
    assert found == {name: CHECKS + check for name, check in expected.items() if check}


@pytest.mark.server
def test_nothing_reaches_a_server_from_the_command_or_its_workers(
    counting_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = counting_server
    expected = hostile_files(tmp_path, url)
    ontology = tmp_path / "ontology" / "imports.ttl"
    ontology.parent.mkdir()
    ontology.write_text(
        f"<{url}/o> <http://www.w3.org/2002/07/owl#imports> <{url}/more.ttl> .\n", "utf-8"
    )
    shapes = tmp_path / "shapes" / "imports.ttl"
    shapes.parent.mkdir()
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"<{url}/shapes> <http://www.w3.org/2002/07/owl#imports> <{url}/shapes.ttl> .\n"
        "<https://example.org/shapes#S> a sh:NodeShape ; "
        "sh:targetClass <https://example.org/ns#Nothing> .\n",
        "utf-8",
    )
    # The import is of shapes given beside it (an import of anything else is refused).
    (shapes.parent / "imported.ttl").write_text(
        f"<{url}/shapes.ttl> a <http://www.w3.org/2002/07/owl#Ontology> .\n", "utf-8"
    )
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    files = [tmp_path / name for name in expected]
    options: list[list[str | Path]] = [
        [],
        ["-j", "2", "--ontology", ontology, "--inference", "rdfs"],
        ["--shapes", shapes.parent],
    ]
    for extra in options:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kg",
                "validate",
                *map(str, [*files, *extra, "--format", "json"]),
            ],
            env={**os.environ, "PYTHONPATH": path},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        refused = {Path(f["file"]).name for f in json.loads(done.stdout)["findings"]}
        assert refused == {name for name, check in expected.items() if check}
    assert hits == []


# --- RDF/XML -------------------------------------------------------------------------------------

BILLION_LAUGHS = (
    RDF_XML_HEAD
    + '<!DOCTYPE rdf:RDF [\n  <!ENTITY lol "lol">\n'
    + "".join(
        f'  <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + RDF_XML_BODY.replace("&e;", "&lol9;")
)


def test_a_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "laughs.rdf"
    path.write_text(BILLION_LAUGHS, "utf-8")
    started = time.monotonic()
    (finding,) = validate_files([path]).findings
    assert time.monotonic() - started < 5
    assert finding.shape == CHECKS + "xml-dtd"
    assert (finding.line, finding.column) == (2, 1)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "DOCTYPE"),
        (b'<rdf:RDF><!ENTITY e "x"></rdf:RDF>', "ENTITY"),
        (b"<!doctype rdf:RDF>", "DOCTYPE"),
        ("<!DOCTYPE x>".encode("utf-16"), "not UTF-8"),
    ],
)
def test_declarations_are_found_in_the_bytes(data: bytes, fragment: str) -> None:
    refused = xml_declaration(data)
    assert refused is not None and fragment in refused


def test_plain_rdf_xml_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.rdf"
    path.write_text(RDF_XML_HEAD + RDF_XML_BODY.replace("&e;", "x"), "utf-8")
    run = validate_files([path])
    assert run.findings == []
    assert run.files[0].triples == 1


# --- JSON-LD contexts ----------------------------------------------------------------------------


def test_kgs_context_by_its_iri_is_replaced_by_the_packaged_one(tmp_path: Path) -> None:
    document, refused = resolve_contexts({"@context": KG_CONTEXT_IRI, "@id": "x"}, tmp_path)
    assert refused is None
    assert document["@context"] == kg_context()


def test_the_first_refused_context_is_named_with_its_pointer(tmp_path: Path) -> None:
    _, refused = resolve_contexts(
        {"@context": {"a": "http://a/"}, "b": [{"@context": ["http://x/c"]}]}, tmp_path
    )
    assert refused is not None
    assert (refused.pointer, refused.reference) == ("/b/0/@context/0", "http://x/c")
    assert "kg never fetches a context" in refused.message


# --- SPARQL in shapes ----------------------------------------------------------------------------

SHAPES_WITH = """@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/shapes#S> a sh:NodeShape ;
    sh:targetClass <https://example.org/ns#C> ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:{key} \"\"\"{query}\"\"\" ] .
"""


@pytest.mark.parametrize(
    ("key", "query", "keyword"),
    [
        ("select", "SELECT $this WHERE { SERVICE <http://x/sparql> { $this ?p ?o } }", "SERVICE"),
        ("select", "SELECT $this FROM <http://x/g> WHERE { $this ?p ?o }", "FROM"),
        ("select", "SELECT $this FROM NAMED <http://x/g> WHERE { $this ?p ?o }", "FROM"),
        ("ask", "ASK { SERVICE SILENT <http://x/sparql> { $this ?p ?o } }", "SERVICE"),
        (  # SPARQL reads \\u escapes before anything else, so this is SERVICE too
            "select",
            "SELECT $this WHERE { \\\\u0053ERVICE <http://x/s> { $this ?p ?o } }",
            "SERVICE",
        ),
        ("update", "LOAD <http://x/data.ttl>", "LOAD"),
        ("update", "INSERT { $this a ?c } USING <http://x/g> WHERE { $this a ?c }", "USING"),
    ],
)
def test_sparql_that_would_fetch_is_refused(
    no_network: list[Any], tmp_path: Path, key: str, query: str, keyword: str
) -> None:
    text = SHAPES_WITH.format(key=key, query=query)
    problems = fetching_queries(Graph().parse(data=text, format="turtle"))
    assert len(problems) == 1
    assert f"SPARQL with {keyword} refused" in problems[0]
    assert problems[0].startswith("<https://example.org/shapes#S> sh:sparql [...]")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(text, "utf-8")
    with pytest.raises(BrokenShapes, match=keyword):
        validate_files([GOOD], shapes=shapes)


def test_sparql_that_does_not_parse_is_refused() -> None:
    text = SHAPES_WITH.format(key="select", query="SELECT $this WHERE {")
    (problem,) = fetching_queries(Graph().parse(data=text, format="turtle"))
    assert "SPARQL does not parse" in problem


def test_kgs_own_sparql_fetches_nothing() -> None:
    shapes = Graph().parse(ROOT / "shapes" / "kg.shacl.ttl")
    assert fetching_queries(shapes) == []


def test_an_owl_import_in_data_is_not_followed(no_network: list[Any], tmp_path: Path) -> None:
    hostile_files(tmp_path, "http://example.org")
    run = validate_files([tmp_path / "imports.ttl"], inference="rdfs")
    assert run.findings == []
