"""kg.validate and shapes/kg.shacl.ttl: the mapped fixture conforms, and each way of breaking a
graph is reported as a violation of the right shape, rule, constraint component and path.

`graph` (tests/conftest.py) is a fresh mapping of the example record, so each test may break it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from kg import validate
from kg.consistency import shapes_problems
from kg.data import read_table
from kg.errors import KgError
from kg.mapping import METRIC_KIND_IRIS, QUALIFIER_IRIS
from kg.validate import SHAPES_NAMESPACE as KGSH
from kg.validate import Finding, ShapesError, ValidationReport, format_report, validate_graph
from kg.vocab import KG, NIF, ORG, PROV, SCHEMA, UNIT

ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILE = ROOT / "shapes" / "kg.shacl.ttl"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


# --- helpers for finding and changing nodes ------------------------------------------------------


def first(graph: Graph, cls: URIRef, having: URIRef | None = None) -> URIRef:
    """The first node of a class (in IRI order), optionally one that has a property."""
    nodes = sorted(
        node
        for node in graph.subjects(RDF.type, cls)
        if isinstance(node, URIRef) and (having is None or (node, having, None) in graph)
    )
    assert nodes, f"the fixture has no {cls}" + (f" with {having}" if having else "")
    return nodes[0]


def article(graph: Graph) -> URIRef:
    return first(graph, SCHEMA.NewsArticle)


def context(graph: Graph) -> URIRef:
    return first(graph, NIF.Context)


def rename(graph: Graph, old: URIRef, new: URIRef) -> None:
    """Replace a node everywhere, as a mapper with a different IRI scheme would."""
    for s, p, o in list(graph):
        if old in (s, o):
            graph.remove((s, p, o))
            graph.add((new if s == old else s, p, new if o == old else o))


def metric_with_past_evidence(graph: Graph) -> None:
    # A well-formed span (IRI, offsets, anchor) that runs 5 characters past the end of the text.
    text = str(graph.value(context(graph), NIF.isString))
    begin, end = len(text) - 3, len(text) + 5
    span = URIRef(f"{article(graph)}#char={begin},{end}")
    graph.add((span, RDF.type, NIF.String))
    graph.add((span, NIF.beginIndex, Literal(begin, datatype=XSD.nonNegativeInteger)))
    graph.add((span, NIF.endIndex, Literal(end, datatype=XSD.nonNegativeInteger)))
    graph.add((span, NIF.anchorOf, Literal(text[begin:])))
    graph.add((span, NIF.referenceContext, context(graph)))
    graph.set((first(graph, SCHEMA.Observation), KG.evidence, span))


def anchor_mismatch(graph: Graph) -> None:
    span = first(graph, NIF.String)
    graph.set((span, NIF.anchorOf, Literal("not what the text says")))


def person_outside_person_iris(graph: Graph) -> None:
    person = first(graph, SCHEMA.Person)
    rename(graph, person, URIRef(str(person).replace("/person/", "/people/")))


def image_width_zero(graph: Graph) -> None:
    graph.set((first(graph, SCHEMA.ImageObject), SCHEMA.width, Literal(0, datatype=XSD.integer)))


# --- the fixture conforms ------------------------------------------------------------------------


def test_mapped_fixture_conforms(graph: Graph) -> None:
    report = validate_graph(graph)
    assert report.conforms, format_report(report)
    assert report.findings == []


# --- broken graphs -------------------------------------------------------------------------------

Break = Callable[[Graph], None]


def violation(rule: str, component: str, path: URIRef | None) -> tuple[str, str, str, str | None]:
    """(node shape, rule, constraint component, path) of an expected violation."""
    shape = rule.split("-")[0]
    if not shape.endswith("Shape"):  # a SPARQL constraint: name its node shape in the table
        raise AssertionError(f"use sparql_violation() for {rule}")
    return (KGSH + shape, KGSH + rule, str(SH[component]), None if path is None else str(path))


def sparql_violation(
    shape: str, rule: str, path: URIRef | None = None
) -> tuple[str, str, str, str | None]:
    return (
        KGSH + shape,
        KGSH + rule,
        str(SH.SPARQLConstraintComponent),
        None if path is None else str(path),
    )


BROKEN: list[tuple[str, Break, tuple[str, str, str, str | None]]] = [
    (
        "person-without-name",
        lambda g: g.remove((first(g, SCHEMA.Person), SCHEMA.name, None)),
        violation("PersonShape-name", "MinCountConstraintComponent", SCHEMA.name),
    ),
    (
        "value-as-string",
        lambda g: g.set((first(g, SCHEMA.Observation), SCHEMA.value, Literal("9.8"))),
        violation("ObservationShape-value", "DatatypeConstraintComponent", SCHEMA.value),
    ),
    (
        "date-published-not-a-date",
        lambda g: g.set((article(g), SCHEMA.datePublished, Literal("6 March 2025"))),
        violation(
            "NewsArticleShape-datePublished", "DatatypeConstraintComponent", SCHEMA.datePublished
        ),
    ),
    (
        "post-without-holder",
        lambda g: g.remove((first(g, ORG.Post), ORG.heldBy, None)),
        violation("PostShape-heldBy", "MinCountConstraintComponent", ORG.heldBy),
    ),
    (
        "metric-without-value",
        lambda g: g.remove((first(g, SCHEMA.Observation), SCHEMA.value, None)),
        violation("ObservationShape-value", "MinCountConstraintComponent", SCHEMA.value),
    ),
    (
        "evidence-past-text",
        metric_with_past_evidence,
        sparql_violation("ContextShape", "SpansWithinText"),
    ),
    (
        "unknown-unit",
        lambda g: g.set((first(g, SCHEMA.Observation), SCHEMA.unitCode, UNIT.FURLONG)),
        violation("ObservationShape-unitCode", "InConstraintComponent", SCHEMA.unitCode),
    ),
    (
        "unknown-qualifier",
        lambda g: g.set((first(g, SCHEMA.Observation), KG.qualifier, KG.roughly)),
        violation("ObservationShape-qualifier", "InConstraintComponent", KG.qualifier),
    ),
    (
        "unknown-metric-kind",
        lambda g: g.set((first(g, SCHEMA.Observation), KG.metricKind, KG.Total)),
        violation("ObservationShape-metricKind", "InConstraintComponent", KG.metricKind),
    ),
    (
        "anchor-not-the-text",
        anchor_mismatch,
        sparql_violation("ContextShape", "AnchorsMatchText"),
    ),
    (
        "post-in-a-person",
        lambda g: g.set((first(g, ORG.Post), ORG.postIn, first(g, SCHEMA.Person))),
        violation("PostShape-postIn", "OrConstraintComponent", ORG.postIn),
    ),
    (
        "quote-by-an-organization",
        lambda g: g.set(
            (first(g, SCHEMA.Quotation), SCHEMA.creator, first(g, SCHEMA.Organization))
        ),
        violation("QuotationShape-creator", "ClassConstraintComponent", SCHEMA.creator),
    ),
    (
        "person-iri-outside-person",
        person_outside_person_iris,
        violation("PersonShape", "PatternConstraintComponent", None),
    ),
    (
        "unknown-property",
        lambda g: g.add((first(g, SCHEMA.Person), SCHEMA.birthDate, Literal("1964"))),
        violation("PersonShape", "ClosedConstraintComponent", SCHEMA.birthDate),
    ),
    (
        "image-width-zero",
        image_width_zero,
        violation("ImageObjectShape-width", "MinExclusiveConstraintComponent", SCHEMA.width),
    ),
    (
        "observation-date-as-string",
        lambda g: g.set(
            (
                first(g, SCHEMA.Observation, having=SCHEMA.observationDate),
                SCHEMA.observationDate,
                Literal("last year"),
            )
        ),
        violation(
            "ObservationShape-observationDate", "OrConstraintComponent", SCHEMA.observationDate
        ),
    ),
    (
        "period-without-evidence",
        lambda g: g.remove(
            (first(g, SCHEMA.Observation, having=KG.periodEvidence), KG.periodEvidence, None)
        ),
        sparql_violation("ObservationShape", "PeriodWithEvidence", KG.periodEvidence),
    ),
    (
        "role-without-label",
        lambda g: g.remove((first(g, ORG.Role), RDFS.label, None)),
        violation("RoleShape-label", "MinCountConstraintComponent", RDFS.label),
    ),
    (
        "entity-not-derived-from-article",
        lambda g: g.remove((first(g, SCHEMA.Place), PROV.wasDerivedFrom, None)),
        violation("PlaceShape-wasDerivedFrom", "MinCountConstraintComponent", PROV.wasDerivedFrom),
    ),
]


def summary(finding: Finding) -> tuple[str, str, str, str | None]:
    return (finding.shape, finding.rule, finding.component, finding.path)


@pytest.mark.parametrize(
    ("break_graph", "expected"),
    [pytest.param(b, e, id=name) for name, b, e in BROKEN],
)
def test_broken_graph_is_a_violation_of_the_right_shape(
    graph: Graph, break_graph: Break, expected: tuple[str, str, str, str | None]
) -> None:
    break_graph(graph)
    report = validate_graph(graph)
    assert not report.conforms
    # Exactly this rule is broken: a change that trips other shapes too is a weaker test.
    assert [summary(f) for f in report.violations] == [expected], format_report(report)


def test_span_findings_name_the_context_and_the_span(graph: Graph) -> None:
    # The span checks run per context (see kgsh:SpansWithinText): the span is the value.
    metric_with_past_evidence(graph)
    (finding,) = validate_graph(graph).violations
    span = graph.value(first(graph, SCHEMA.Observation), KG.evidence)
    assert (finding.focus, finding.value) == (str(context(graph)), span)
    assert finding.message.startswith("a span ends at ")


def test_missing_date_is_a_warning_only(graph: Graph) -> None:
    graph.remove((article(graph), SCHEMA.datePublished, None))
    report = validate_graph(graph)
    assert report.conforms
    assert report.violations == []
    assert [(f.severity, f.rule, f.component) for f in report.findings] == [
        (
            "Warning",
            KGSH + "NewsArticleShape-datePublishedKnown",
            str(SH.MinCountConstraintComponent),
        )
    ]


def test_inverse_path_is_written_as_sparql(graph: Graph) -> None:
    place = first(graph, SCHEMA.Place)
    graph.remove((article(graph), SCHEMA.mentions, place))
    (finding,) = validate_graph(graph).violations
    assert finding.path == f"^<{SCHEMA.mentions}>"
    assert finding.focus == str(place)


def test_format_report_names_the_rule_and_component(graph: Graph) -> None:
    graph.remove((first(graph, SCHEMA.Person), SCHEMA.name, None))
    graph.remove((article(graph), SCHEMA.datePublished, None))
    text = format_report(validate_graph(graph))
    head, *lines = text.splitlines()
    assert head == "does not conform to the kg shapes (1 violation, 1 warning)"
    assert lines[0].startswith("Violation: <https://example.org/kg/person/")
    assert "schema:name" in lines[0]
    assert lines[0].endswith("(kgsh:PersonShape-name, sh:MinCountConstraintComponent)")
    assert lines[1].startswith("Warning: ")


def test_format_report_of_a_conforming_graph() -> None:
    assert format_report(ValidationReport(conforms=True)) == "conforms to the kg shapes"


# --- the validator itself ------------------------------------------------------------------------


def test_shapes_pass_shacl_for_shacl() -> None:
    # What pySHACL's meta_shacl=True checks, each result listed (tests/test_consistency.py).
    assert [str(problem) for problem in shapes_problems()] == []


def test_shapes_are_parsed_once(graph: Graph) -> None:
    validate_graph(graph)
    before = validate._read_shapes.cache_info()
    validate_graph(graph)
    after = validate._read_shapes.cache_info()
    assert after.misses == before.misses == 1
    assert after.hits > before.hits


def test_validation_fetches_nothing(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    graph.add((article(graph), OWL.imports, URIRef("http://example.invalid/ontology.ttl")))
    report = validate_graph(graph)
    # owl:imports is not followed; the extra triple is only a closed-shape violation.
    assert [summary(f) for f in report.violations] == [
        violation("NewsArticleShape", "ClosedConstraintComponent", OWL.imports)
    ]


def test_pyshacl_failure_is_a_kg_error(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise pyshacl.errors.ReportableRuntimeError("shape load failed")

    monkeypatch.setattr(pyshacl, "validate", broken)
    with pytest.raises(ShapesError, match="pySHACL could not validate") as caught:
        validate_graph(graph, engine="pyshacl")
    assert isinstance(caught.value, KgError)
    assert caught.value.exit_code == 3


# --- the shapes agree with the mapper, the model and the data tables -----------------------------


def in_list(shapes: Graph, rule: str) -> set[Node]:
    head = shapes.value(URIRef(KGSH + rule), SH["in"])
    assert head is not None, f"{rule} has no sh:in"
    return set(Collection(shapes, head))


def test_unit_codes_are_the_unit_table(shapes: Graph) -> None:
    table = {UNIT[values[0]] for values in read_table("units.tsv").values() if values[0]}
    assert in_list(shapes, "ObservationShape-unitCode") == table | {UNIT.NUM}


def test_qualifiers_and_kinds_are_the_mappers(shapes: Graph) -> None:
    assert in_list(shapes, "ObservationShape-qualifier") == set(QUALIFIER_IRIS.values())
    assert in_list(shapes, "ObservationShape-metricKind") == set(METRIC_KIND_IRIS.values())


def test_every_shape_is_named(shapes: Graph) -> None:
    top = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.objects(None, SH.property))
    top |= set(shapes.objects(None, SH.sparql))
    assert top and all(isinstance(s, URIRef) and s.startswith(KGSH) for s in top)


def test_every_emitted_node_has_a_shape(graph: Graph, shapes: Graph) -> None:
    targets = set(shapes.objects(None, SH.targetClass))
    unshaped = {
        node
        for node in set(graph.subjects(RDF.type, None))
        if not targets & set(graph.objects(node, RDF.type))
    }
    assert unshaped == set()


# --- fast paths -------------------------------------------------------------------------------

SHARED_ARTICLES = ROOT.parent / "shared" / "articles"


def findings_both_ways(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The full report with kg's fast paths on, then off (`KG_FAST=0`)."""
    monkeypatch.delenv("KG_FAST", raising=False)
    fast = validate_graph(graph)
    monkeypatch.setenv("KG_FAST", "0")
    plain = validate_graph(graph)
    monkeypatch.delenv("KG_FAST")
    return repr(fast), repr(plain)


@pytest.mark.parametrize(
    "source",
    [*sorted(SHARED_ARTICLES.glob("*.txt")), ROOT / "examples" / "xiongan-innovation.txt"],
    ids=lambda p: p.stem,
)
def test_fast_paths_find_the_same_in_articles(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.api import build

    fast, plain = findings_both_ways(build(source).graph, monkeypatch)
    assert fast == plain


@pytest.mark.parametrize("break_graph", [pytest.param(b, id=name) for name, b, _ in BROKEN])
def test_fast_paths_find_the_same_in_broken_graphs(
    graph: Graph, break_graph: Break, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_graph(graph)
    fast, plain = findings_both_ways(graph, monkeypatch)
    assert "Violation" in fast
    assert fast == plain
