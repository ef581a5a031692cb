"""Serializing a mapped graph (kg/serialize.py): every format parses back to the same graph,
every run gives the same bytes, and the JSON-LD is one framed article object."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.plugins.serializers.turtle import TurtleSerializer

from kg import serialize as serialize_module
from kg.consistency import context_problems, schema_problems
from kg.errors import KgError, MappingError, OutputError
from kg.mapping import article_iri, graph_iri, map_record
from kg.model import Article, Entity, Quote, Record, Span
from kg.packaged import packaged_file
from kg.safety import KG_CONTEXT_IRI
from kg.serialize import (
    Format,
    build_context,
    context_bytes,
    expand,
    serialize_graph,
    terms,
    write_outputs,
)
from kg.validate import validate_graph
from kg.vocab import KG, PREFIXES, SCHEMA

ROOT = Path(__file__).parent.parent
CONTEXT_FILE = ROOT / "ontology" / "context.jsonld"
JSONLD_SCHEMA = ROOT / "shapes" / "jsonld.schema.json"
RDFLIB_FORMATS = {
    Format.TTL: "turtle",
    Format.JSONLD: "json-ld",
    Format.NT: "nt",
    Format.NQ: "nquads",
    Format.TRIG: "trig",
}
OXIGRAPH_FORMATS = {
    Format.TTL: ox.RdfFormat.TURTLE,
    Format.JSONLD: ox.RdfFormat.JSON_LD,
    Format.NT: ox.RdfFormat.N_TRIPLES,
    Format.NQ: ox.RdfFormat.N_QUADS,
    Format.TRIG: ox.RdfFormat.TRIG,
}


def parse_rdflib(data: bytes, fmt: Format) -> Graph:
    """Every triple of the data, whatever graph it is in."""
    merged = Graph()
    for s, p, o, _ in parse_dataset(data, fmt).quads():
        merged.add((s, p, o))
    return merged


def parse_dataset(data: bytes, fmt: Format) -> Dataset:
    dataset = Dataset()
    with warnings.catch_warnings():
        # rdflib 7.6's quad and JSON-LD parsers call its own deprecated API; only those
        # warnings, raised from inside rdflib, are ignored.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"rdflib\.")
        dataset.parse(data=data, format=RDFLIB_FORMATS[fmt])
    return dataset


def parse_oxigraph(data: bytes, fmt: Format) -> Graph:
    """Parse with pyoxigraph, then read its canonical N-Triples back with rdflib to compare."""
    triples = {quad.triple for quad in ox.parse(data, format=OXIGRAPH_FORMATS[fmt])}
    ntriples = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=ntriples, format="nt")


def same_graph(expected: Graph, found: Graph) -> None:
    assert isomorphic(expected, found), sorted(
        set(to_isomorphic(expected)) ^ set(to_isomorphic(found))
    )[:5]


def jsonld_document(graph: Graph) -> dict[str, Any]:
    return json.loads(serialize_graph(graph, Format.JSONLD))


# --- Format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "extension", "media_type"),
    [
        (Format.TTL, "ttl", "text/turtle"),
        (Format.JSONLD, "jsonld", "application/ld+json"),
        (Format.NT, "nt", "application/n-triples"),
        (Format.NQ, "nq", "application/n-quads"),
        (Format.TRIG, "trig", "application/trig"),
    ],
)
def test_format_extension_and_media_type(fmt: Format, extension: str, media_type: str) -> None:
    assert (fmt.extension, fmt.media_type) == (extension, media_type)
    assert Format.from_name(extension.upper()) is fmt
    assert Format.from_path(Path(f"out/a.{extension}")) is fmt


def test_an_unknown_format_names_the_allowed_ones() -> None:
    with pytest.raises(OutputError) as caught:
        Format.from_name("ttll")
    assert str(caught.value) == "format 'ttll' not supported (expected: jsonld, nq, nt, trig, ttl)"


# --- Parsing back -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_each_format_parses_back_to_the_graph_with_rdflib(graph: Graph, fmt: Format) -> None:
    same_graph(graph, parse_rdflib(serialize_graph(graph, fmt), fmt))


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_each_format_parses_back_to_the_graph_with_pyoxigraph(graph: Graph, fmt: Format) -> None:
    same_graph(graph, parse_oxigraph(serialize_graph(graph, fmt), fmt))


RAPPER_SYNTAX = {
    Format.TTL: "turtle",
    Format.NT: "ntriples",
    Format.NQ: "nquads",
    Format.TRIG: "trig",
}


@pytest.mark.parametrize("fmt", list(RAPPER_SYNTAX), ids=lambda f: f.extension)
def test_rapper_reads_the_same_graph(
    graph: Graph,
    record: Record,
    fmt: Format,
    tmp_path: Path,
    require_tool: Callable[[str, str], str],
) -> None:
    rapper = require_tool("rapper", "apt-get install -y raptor2-utils")
    source = tmp_path / f"a.{fmt.extension}"
    source.write_bytes(serialize_graph(graph, fmt))
    done = subprocess.run(
        [rapper, "-q", "-i", RAPPER_SYNTAX[fmt], "-o", "nquads", str(source)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    same_graph(graph, parse_rdflib(done.stdout, Format.NQ))
    if fmt in (Format.NQ, Format.TRIG):
        name = graph_iri(article_iri(record.article)).n3().encode()
        assert all(line.endswith(b" " + name + b" .") for line in done.stdout.splitlines())


@pytest.mark.parametrize("fmt", [Format.NQ, Format.TRIG], ids=lambda f: f.extension)
def test_quads_put_the_article_in_its_named_graph(
    graph: Graph, record: Record, fmt: Format
) -> None:
    dataset = parse_dataset(serialize_graph(graph, fmt), fmt)
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names == {str(graph_iri(article_iri(record.article)))}


def test_the_named_graph_can_be_chosen(graph: Graph) -> None:
    data = serialize_graph(graph, Format.NQ, graph_iri="https://example.org/g")
    assert all(line.endswith(b" <https://example.org/g> .") for line in data.splitlines())


# --- Determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_two_runs_give_the_same_bytes(record: Record, fmt: Format) -> None:
    assert serialize_graph(map_record(record), fmt) == serialize_graph(map_record(record), fmt)


def test_other_processes_give_the_same_bytes(graph: Graph) -> None:
    """Set and dict order varies with the hash seed; the output must not."""
    script = (
        "import json, sys; from kg.model import Record; from kg.mapping import map_record; "
        "from kg.serialize import Format, serialize_graph; "
        "r = Record.from_json(json.load(open(sys.argv[1], encoding='utf-8'))); "
        "g = map_record(r); "
        "sys.stdout.buffer.write(b'\\0'.join(serialize_graph(g, f) for f in Format))"
    )
    expected = b"\0".join(serialize_graph(graph, fmt) for fmt in Format)
    fixture = Path(__file__).parent / "fixtures" / "xiongan.record.json"
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(fixture)], capture_output=True, env=env, check=True
        )
        assert done.stdout == expected, f"PYTHONHASHSEED={seed}"


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_every_file_ends_with_one_newline(graph: Graph, fmt: Format) -> None:
    data = serialize_graph(graph, fmt)
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")


def test_turtle_binds_kg_prefixes_sorted(graph: Graph) -> None:
    lines = serialize_graph(graph, Format.TTL).decode().splitlines()
    prefixes = [line.split()[1:3] for line in lines if line.startswith("@prefix")]
    assert [p for p, _ in prefixes] == sorted(p for p, _ in prefixes)
    assert {p.rstrip(":"): iri.strip("<>") for p, iri in prefixes}.items() <= {
        k: str(v) for k, v in PREFIXES.items()
    }.items()
    assert ["schema:", "<http://schema.org/>"] in prefixes


# --- Round trips of awkward text ------------------------------------------------------------

awkward_text = st.text(
    # Surrogates cannot be encoded in UTF-8 and never come out of kg.ingest.
    alphabet=st.characters(exclude_categories=("Cs",)),
    min_size=1,
    max_size=40,
).map(lambda s: s + "'\"\\\n")


def awkward_record(name: str, alias: str, quote: str) -> Record:
    text = f"{name}\n\n{quote}"
    article = Article(title=alias, text=text, paragraphs=[], url=None, source="awkward.txt")
    person = Entity("someone", name, [alias], [Span(0, len(name), name)])
    start = len(name) + 2
    evidence = Span(start, start + len(quote), quote)
    return Record(article=article, people=[person], quotes=[Quote("q", quote, "someone", evidence)])


@settings(max_examples=60, deadline=None)
@given(name=awkward_text, alias=awkward_text, quote=awkward_text)
@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
def test_awkward_names_and_quotes_round_trip_exactly(
    fmt: Format, name: str, alias: str, quote: str
) -> None:
    graph = map_record(awkward_record(name, alias, quote))
    data = serialize_graph(graph, fmt)
    for parsed in (parse_rdflib(data, fmt), parse_oxigraph(data, fmt)):
        same_graph(graph, parsed)
        person = URIRef("https://example.org/kg/person/someone")
        assert parsed.value(person, SCHEMA.name) == Literal(name)
        assert parsed.value(person, SCHEMA.alternateName) == Literal(alias)
        assert Literal(quote) in set(parsed.objects(None, SCHEMA.text))


# --- JSON-LD ----------------------------------------------------------------------------------


def test_committed_context_is_the_generated_one(update_golden: bool) -> None:
    if update_golden:
        CONTEXT_FILE.write_bytes(context_bytes())
    # One problem per term that differs (the check of `kg check`, kg/consistency.py).
    assert [str(problem) for problem in context_problems(context=CONTEXT_FILE)] == []


def test_jsonld_carries_the_committed_context_inline(graph: Graph) -> None:
    document = jsonld_document(graph)
    assert {"@context": document["@context"]} == json.loads(CONTEXT_FILE.read_bytes())
    assert "@import" not in document["@context"]


def test_jsonld_parses_without_the_network(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the JSON-LD parser tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    same_graph(graph, parse_rdflib(serialize_graph(graph, Format.JSONLD), Format.JSONLD))


# --- JSON-LD 1.0 processors (jsonld-java in Jena and RDF4J; here pyld) ---------------------------


def read_jsonld_1_0(document: dict[str, Any]) -> Graph:
    """The graph a JSON-LD 1.0 processor reads: pyld in json-ld-1.0 mode, kg's context served
    from the packaged file and any other reference refused (nothing is fetched)."""

    def load(url: str, options: object = None) -> dict[str, Any]:
        if url != KG_CONTEXT_IRI:
            raise AssertionError(f"the JSON-LD processor tried to fetch {url}")
        context = json.loads(packaged_file("ontology", "context.jsonld").read_bytes())
        return {"contextUrl": None, "documentUrl": url, "document": context}

    options = {
        "format": "application/n-quads",
        "processingMode": "json-ld-1.0",
        "documentLoader": load,
    }
    return Graph().parse(data=jsonld.to_rdf(document, options), format="nt")


JSONLD_PAIRS = {
    "example": lambda graph: (
        serialize_graph(graph, Format.JSONLD),
        serialize_graph(graph, Format.TTL),
    ),
    "committed-output": lambda graph: tuple(
        (ROOT / "output" / f"xiongan-innovation.{ext}").read_bytes() for ext in ("jsonld", "ttl")
    ),
}


@pytest.mark.parametrize("pair", JSONLD_PAIRS)
def test_a_json_ld_1_0_processor_reads_the_graph_of_the_turtle(graph: Graph, pair: str) -> None:
    jsonld_data, turtle = JSONLD_PAIRS[pair](graph)
    document = json.loads(jsonld_data)
    assert "@version" not in document["@context"]  # 1.0 processors refuse a context for 1.1
    same_graph(Graph().parse(data=turtle, format="turtle"), read_jsonld_1_0(document))


def test_a_json_ld_1_0_processor_reads_kgs_published_context(graph: Graph) -> None:
    document = jsonld_document(graph)
    document["@context"] = KG_CONTEXT_IRI
    same_graph(graph, read_jsonld_1_0(document))


def test_a_context_declaring_1_1_is_refused_by_a_json_ld_1_0_processor(graph: Graph) -> None:
    # What the test above guards against: the reason the context declares no version.
    document = jsonld_document(graph)
    document["@context"]["@version"] = 1.1
    with pytest.raises(jsonld.JsonLdError):
        read_jsonld_1_0(document)


@settings(max_examples=40, deadline=None)
@given(name=awkward_text, alias=awkward_text, quote=awkward_text)
def test_a_json_ld_1_0_processor_reads_awkward_text_exactly(
    name: str, alias: str, quote: str
) -> None:
    graph = map_record(awkward_record(name, alias, quote))
    same_graph(graph, read_jsonld_1_0(jsonld_document(graph)))


def test_jsonld_is_one_article_with_everything_nested(graph: Graph, record: Record) -> None:
    document = jsonld_document(graph)
    assert "@graph" not in document
    assert document["@id"] == str(article_iri(record.article))
    assert "schema:NewsArticle" in document["@type"]
    assert [p["name"] for p in document["people"]] == [
        "Ni Yuefeng",
        "Wang Zhengpu",
        "Zhang Guohua",
    ]
    counts = {key: len(document[key]) for key in ("organizations", "places", "posts", "metrics")}
    assert counts == {
        "organizations": len(record.organizations),
        "places": len(record.places),
        "posts": len(record.posts),
        "metrics": len(record.metrics),
    }
    assert {q["creator"] for q in document["quotes"]} == {
        "https://example.org/kg/person/ni-yuefeng",
        "https://example.org/kg/person/wang-zhengpu",
    }
    assert document["publisher"]["name"] == "China Daily"


def test_jsonld_metric_values_for_plain_json_readers(graph: Graph) -> None:
    metrics = {m["@id"].rsplit("/", 1)[1]: m for m in jsonld_document(graph)["metrics"]}
    steel = metrics["high-end-steel-share"]
    assert (steel["value"], steel["unitCode"], steel["qualifier"], steel["metricKind"]) == (
        "22.0",
        "unit:PERCENT",
        "kg:exact",
        "kg:Share",
    )
    assert steel["observationDate"] == {"@value": "2024-12-31", "@type": "xsd:date"}
    assert steel["evidence"]["beginIndex"] < steel["evidence"]["endIndex"]


def test_jsonld_lists_are_present_when_empty(record: Record) -> None:
    record.posts, record.metrics, record.quotes, record.article.images = [], [], [], []
    document = jsonld_document(map_record(record))
    assert (document["posts"], document["metrics"], document["quotes"], document["image"]) == (
        [],
        [],
        [],
        [],
    )


def test_jsonld_passes_its_json_schema(graph: Graph) -> None:
    assert schema_problems([JSONLD_SCHEMA]) == []  # the schema itself (kg check)
    schema = json.loads(JSONLD_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(jsonld_document(graph))]
    assert errors == []


def test_jsonld_of_a_byline_passes_its_json_schema_and_the_shapes(record: Record) -> None:
    record.article.authors = ["Li Hongyu", "Ni Yuefeng"]  # a new person, and one of the record
    graph = map_record(record)
    assert validate_graph(graph).conforms
    document = jsonld_document(graph)
    schema = json.loads(JSONLD_SCHEMA.read_text(encoding="utf-8"))
    errors = jsonschema.Draft202012Validator(schema).iter_errors(document)
    assert [f"{e.json_path}: {e.message}" for e in errors] == []
    assert [author["@id"].rsplit("/", 1)[1] for author in document["author"]] == [
        "li-hongyu",
        "ni-yuefeng",
    ]
    assert len(list(graph.objects(URIRef(document["author"][1]["@id"]), SCHEMA.name))) == 1
    assert isomorphic(
        Graph().parse(data=serialize_graph(graph, Format.TTL), format="turtle"), graph
    )


def test_json_schema_catches_a_wrong_qualifier(graph: Graph) -> None:
    schema = json.loads(JSONLD_SCHEMA.read_text(encoding="utf-8"))
    document = jsonld_document(graph)
    document["metrics"][0]["qualifier"] = "kg:roughly"
    paths = [e.json_path for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert paths == ["$.metrics[0].qualifier"]


def json_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {k for k in value if not k.startswith("@")} | {
            key for k, v in value.items() if k != "@context" for key in json_keys(v)
        }
    if isinstance(value, list):
        return {key for item in value for key in json_keys(item)}
    return set()


def test_every_json_key_is_a_context_term(graph: Graph) -> None:
    document = jsonld_document(graph)
    assert json_keys(document) - set(document["@context"]) == set()


def test_each_property_has_one_plain_forward_term() -> None:
    """The writer picks a property's JSON key by property; two candidates would be ambiguous."""
    plain = [t.property for t in terms() if not t.reverse and t.klass is None]
    assert len(plain) == len(set(plain))


def test_same_text_values_are_ordered_by_their_datatype(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    graph.add((article, SCHEMA.inLanguage, Literal("en", datatype=XSD.language)))
    first = serialize_graph(graph, Format.JSONLD)
    assert json.loads(first)["inLanguage"] == ["en", {"@value": "en", "@type": "xsd:language"}]
    assert serialize_graph(graph, Format.JSONLD) == first
    same_graph(graph, parse_rdflib(first, Format.JSONLD))


def test_jsonld_values_of_every_kind(
    graph: Graph, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several values in natural order (digit runs as numbers, then N3), language tags,
    datatypes the term states or not, text outside ASCII, properties without a term."""
    article = article_iri(record.article)
    other = URIRef("https://example.org/vocab#note")
    for value in (
        Literal("b10"),
        Literal("b2"),
        Literal("b10", lang="en"),
        Literal("b010"),
        URIRef("https://example.org/b10"),
    ):
        graph.add((article, SCHEMA.alternateName, value))
    graph.add((article, SCHEMA.name, Literal("名前 ü😀\u2028", lang="zh-Hant")))
    graph.add((article, SCHEMA.width, Literal("640", datatype=XSD.integer)))
    graph.add((article, SCHEMA.height, Literal("1.5", datatype=XSD.decimal)))
    graph.add((article, other, Literal("2024-01-02", datatype=XSD.date)))
    data = serialize_graph(graph, Format.JSONLD)
    document = json.loads(data)
    assert document["alternateName"] == [
        "b2",
        "b010",
        "b10",
        {"@value": "b10", "@language": "en"},
        {"@id": "https://example.org/b10"},
    ]
    assert document["name"] == {"@value": "名前 ü😀\u2028", "@language": "zh-Hant"}
    assert "名前 ü😀\u2028".encode() in data  # as UTF-8, not escaped
    assert document["width"] == 640
    assert document["height"] == {"@value": "1.5", "@type": "xsd:decimal"}
    assert document[str(other)] == {"@value": "2024-01-02", "@type": "xsd:date"}
    assert data == library_bytes(graph, Format.JSONLD, monkeypatch)
    same_graph(graph, parse_rdflib(data, Format.JSONLD))


json_ld_values = st.one_of(
    awkward_text.map(Literal),
    st.builds(Literal, awkward_text, lang=st.sampled_from(["en", "zh-Hant", "de-CH"])),
    st.integers(min_value=0, max_value=10**12).map(lambda n: Literal(n, datatype=XSD.integer)),
    st.builds(Literal, awkward_text, datatype=st.sampled_from([XSD.token, XSD.anyURI])),
    st.from_regex(r"[a-z]{1,3}[0-9]{0,3}", fullmatch=True).map(Literal),
    st.from_regex(r"[a-z]{1,3}[0-9]{0,3}", fullmatch=True).map(
        lambda local: URIRef(f"https://example.org/{local}")
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    SCHEMA.name,  # a plain term for one value
                    SCHEMA.alternateName,  # a plain term for a set
                    SCHEMA.width,  # a term typed xsd:integer
                    SCHEMA.sameAs,  # a term for IRIs
                    URIRef("https://example.org/vocab#note"),  # no term
                ]
            ),
            json_ld_values,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_jsonld_writes_any_values_as_without_fast_paths_and_they_parse_back(
    values: list[tuple[URIRef, Any]],
) -> None:
    record = Record.from_json(
        json.loads((ROOT / "tests" / "fixtures" / "xiongan.record.json").read_text("utf-8"))
    )
    graph = map_record(record)
    for prop, value in values:
        graph.add((article_iri(record.article), prop, value))
    data = serialize_graph(graph, Format.JSONLD)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_FAST", "0")
        assert serialize_graph(graph, Format.JSONLD) == data
    same_graph(graph, parse_rdflib(data, Format.JSONLD))


def test_every_property_of_the_graph_has_a_term(graph: Graph) -> None:
    properties = {term.property for term in terms()}
    assert set(graph.predicates()) - {RDF.type} - properties == set()


def test_iri_valued_terms_are_typed_id_and_literal_terms_carry_their_datatype(
    graph: Graph,
) -> None:
    for term in terms():
        if term.reverse:
            values = [s for s, _ in graph.subject_objects(term.property)]
        else:
            values = [o for _, o in graph.subject_objects(term.property)]
        if term.value == "@id":
            assert all(isinstance(v, URIRef) for v in values), term.name
        elif term.value is not None:
            assert all(
                isinstance(v, Literal) and v.datatype == expand(term.value) for v in values
            ), term.name
        else:
            assert not any(isinstance(v, URIRef) for v in values), term.name


def test_context_terms_for_kg_properties_follow_the_ontology() -> None:
    context = build_context()["@context"]
    kg_terms = {
        name: entry
        for name, entry in context.items()
        if isinstance(entry, dict) and entry.get("@id", "").startswith("kg:")
    }
    objects = {"evidence", "periodEvidence", "qualifier", "metricKind"}
    assert set(kg_terms) == objects | {"iso3166Code"}
    assert all(kg_terms[name]["@type"] == "@id" for name in objects)
    # A datatype property whose range is xsd:string gives plain strings, as schema:name does.
    assert kg_terms["iso3166Code"] == {"@id": "kg:iso3166Code"}


def test_a_kg_datatype_property_gets_its_range_as_the_term_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ontology = serialize_module.read_ontology()
    ontology.add((KG.evidence, RDF.type, OWL.DatatypeProperty))
    ontology.remove((KG.evidence, RDF.type, OWL.ObjectProperty))
    ontology.set((KG.evidence, RDFS.range, XSD.gYear))
    monkeypatch.setattr(serialize_module, "read_ontology", lambda: ontology)
    serialize_module.terms.cache_clear()
    try:
        (evidence,) = [t for t in terms() if t.name == "evidence"]
        assert evidence.definition() == {"@id": "kg:evidence", "@type": "xsd:gYear"}
    finally:
        serialize_module.terms.cache_clear()


# --- Writing files --------------------------------------------------------------------------


def test_write_outputs_writes_turtle_jsonld_and_extras(graph: Graph, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = write_outputs(graph, out, "xiongan-innovation", [Format.NQ])
    names = ["xiongan-innovation.ttl", "xiongan-innovation.jsonld", "xiongan-innovation.nq"]
    assert written == [out / name for name in names]
    assert sorted(os.listdir(out)) == sorted(names)
    assert (out / "xiongan-innovation.ttl").read_bytes() == serialize_graph(graph, Format.TTL)


def test_a_failed_serialization_writes_no_file(
    graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(graph: Graph) -> bytes:
        raise ValueError("cannot")

    monkeypatch.setitem(serialize_module._TRIPLE_WRITERS, Format.JSONLD, broken)
    out = tmp_path / "out"
    with pytest.raises(MappingError, match=r"^cannot serialize the graph as jsonld \(cannot\)$"):
        write_outputs(graph, out, "a")
    assert not out.exists()


def test_a_failed_write_leaves_no_file(graph: Graph, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file, not a directory")
    with pytest.raises(OutputError, match="out: not a directory"):
        write_outputs(graph, tmp_path / "out", "a")
    assert os.listdir(tmp_path) == ["out"]


def test_rdflib_failures_become_kg_errors(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> bytes:
        raise Exception("boom")  # rdflib's serializers raise bare Exceptions

    monkeypatch.setenv("KG_FAST", "0")  # rdflib's own Turtle writer
    monkeypatch.setattr(Graph, "serialize", boom)
    with pytest.raises(KgError, match=r"^cannot serialize the graph as ttl \(boom\)$"):
        serialize_graph(graph, Format.TTL)


def test_fast_turtle_failures_become_kg_errors(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> str:
        raise Exception("boom")

    monkeypatch.delenv("KG_FAST", raising=False)
    monkeypatch.setattr(TurtleSerializer, "get_pname", boom)
    with pytest.raises(KgError, match=r"^cannot serialize the graph as ttl \(boom\)$"):
        serialize_graph(graph, Format.TTL)


def test_a_node_the_frame_cannot_reach_is_an_error(graph: Graph) -> None:
    graph.add((URIRef("https://example.org/kg/stray"), SCHEMA.name, Literal("stray")))
    with pytest.raises(MappingError, match=r"^.*stray: not reachable from the article"):
        serialize_graph(graph, Format.JSONLD)


# --- fast paths -------------------------------------------------------------------------------

SHARED_ARTICLES = ROOT.parent / "shared" / "articles"
FAST_PATH_SOURCES = sorted(SHARED_ARTICLES.glob("*.txt")) + [
    ROOT / "examples/xiongan-innovation.txt"
]


def library_bytes(graph: Graph, fmt: Format, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The bytes with kg's fast writers turned off (`KG_FAST=0`): the libraries' own."""
    with monkeypatch.context() as patch:
        patch.setenv("KG_FAST", "0")
        return serialize_graph(graph, fmt)


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.extension)
@pytest.mark.parametrize("source", FAST_PATH_SOURCES, ids=lambda p: p.stem)
def test_fast_paths_write_the_same_bytes(
    source: Path, fmt: Format, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.api import build

    graph = build(source).graph
    monkeypatch.delenv("KG_FAST", raising=False)
    assert serialize_graph(graph, fmt) == library_bytes(graph, fmt, monkeypatch)


def test_the_fast_turtle_writer_covers_kg_graphs(graph: Graph) -> None:
    assert serialize_module._fast_turtle(graph) is not None  # not a fallback


@settings(max_examples=40, deadline=None)
@given(name=awkward_text, alias=awkward_text, quote=awkward_text)
def test_fast_turtle_writes_awkward_text_as_rdflib_does(name: str, alias: str, quote: str) -> None:
    graph = map_record(awkward_record(name, alias, quote))
    fast = serialize_module._fast_turtle(graph)
    assert fast == graph.serialize(format="turtle", encoding="utf-8").rstrip(b"\n") + b"\n"


@settings(max_examples=40, deadline=None)
@given(name=awkward_text, alias=awkward_text, quote=awkward_text)
def test_fast_ntriples_write_awkward_text_as_rdflib_does(name: str, alias: str, quote: str) -> None:
    graph = map_record(awkward_record(name, alias, quote))
    rdflib_lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    assert serialize_module._fast_ntriples(graph) == b"".join(sorted(rdflib_lines))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_the_fast_json_writer_writes_what_json_dumps_writes(value: Any) -> None:
    parts: list[str] = []
    serialize_module._indented_json(value, "\n", parts)
    assert "".join(parts) == json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@pytest.mark.parametrize(
    "extra",
    [
        (URIRef("https://example.org/x"), URIRef("https://example.org/new#p"), Literal("a")),
        (URIRef("https://example.org/x"), RDF.type, RDFS.Class),
        (URIRef("https://example.org/x"), SCHEMA.about, RDF.nil),
        (URIRef("https://example.org/x"), SCHEMA.about, BNode("b0")),
    ],
    ids=["predicate-without-prefix", "rdfs-class", "rdf-nil", "blank-node"],
)
def test_graphs_the_fast_turtle_writer_does_not_cover_are_left_to_rdflib(
    graph: Graph, extra: tuple[URIRef, URIRef, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    graph.add(extra)
    assert serialize_module._fast_turtle(graph) is None
    assert serialize_graph(graph, Format.TTL) == library_bytes(graph, Format.TTL, monkeypatch)
