"""Mapping a record to RDF (kg/mapping.py), as docs/model.md specifies it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from test_serialize import JSONLD_SCHEMA, jsonld_document, parse_rdflib, same_graph

from kg.consistency import term_problems
from kg.data import read_table
from kg.errors import KgError, MappingError
from kg.mapping import (
    DEFAULT_BASE,
    METRIC_KIND_IRIS,
    QUALIFIER_IRIS,
    agent_iri,
    article_iri,
    canonical_decimal,
    graph_iri,
    map_record,
)
from kg.model import QUALIFIERS, Entity, Extractor, Period, Record, Span
from kg.serialize import Format, serialize_graph, terms
from kg.validate import validate_graph
from kg.vocab import ITSRDF, KG, NIF, ORG, PROV, SCHEMA, UNIT

ONTOLOGY = Path(__file__).parent.parent / "ontology" / "kg.ttl"


def node(kind: str, key: str, base: str = DEFAULT_BASE) -> URIRef:
    return URIRef(f"{base}{kind}/{key}")


def typed(graph: Graph, cls: URIRef) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)}


# --- IRIs -----------------------------------------------------------------------------------


def test_article_iri_is_a_hash_of_the_url(record: Record) -> None:
    assert record.article.url is not None
    digest = hashlib.sha256(record.article.url.encode()).hexdigest()[:16]
    assert article_iri(record.article) == URIRef(f"{DEFAULT_BASE}article/{digest}")


def test_article_iri_without_url_is_a_hash_of_title_and_text(record: Record) -> None:
    article = dataclasses.replace(record.article, url=None)
    digest = hashlib.sha256(f"{article.title}\n{article.text}".encode()).hexdigest()[:16]
    assert article_iri(article) == URIRef(f"{DEFAULT_BASE}article/{digest}")


def test_named_graph_of_an_article() -> None:
    article = URIRef("https://example.org/kg/article/0123456789abcdef")
    assert graph_iri(article) == URIRef("https://example.org/kg/article/0123456789abcdef/graph")


def test_entities_posts_and_roles_have_iris_from_their_keys(graph: Graph) -> None:
    assert node("person", "ni-yuefeng") in typed(graph, SCHEMA.Person)
    assert node("organization", "national-people-s-congress") in typed(graph, SCHEMA.Organization)
    assert node("place", "xiong-an-new-area") in typed(graph, SCHEMA.Place)
    assert node("post", "wang-zhengpu/governor/hebei") in typed(graph, ORG.Post)
    assert node("role", "governor") in typed(graph, ORG.Role)


def test_facts_and_spans_have_iris_under_the_article(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    assert URIRef(f"{article}/metric/high-end-steel-share") in typed(graph, SCHEMA.Observation)
    assert URIRef(f"{article}/quote/ni-we-pursue-innovation") in typed(graph, SCHEMA.Quotation)
    assert URIRef(f"{article}/image/1") in typed(graph, SCHEMA.ImageObject)
    assert URIRef(f"{article}#char=0,{len(record.article.text)}") in typed(graph, NIF.Context)


def test_the_same_person_in_two_articles_has_one_iri(record: Record) -> None:
    other = dataclasses.replace(
        record, article=dataclasses.replace(record.article, url="https://example.com/other")
    )
    first, second = map_record(record), map_record(other)
    assert article_iri(record.article) != article_iri(other.article)
    assert node("person", "ni-yuefeng") in typed(first, SCHEMA.Person) & typed(
        second, SCHEMA.Person
    )


def test_every_node_is_under_the_base(record: Record) -> None:
    base = "http://data.example.com/news/"
    graph = map_record(record, base=base)
    own = {s for s in graph.subjects() if not str(s).startswith("https://www.chinadaily")}
    assert own and all(str(s).startswith(base) for s in own)


def test_no_blank_nodes(graph: Graph) -> None:
    assert not [t for t in graph if any(isinstance(term, BNode) for term in t)]


def test_mapping_twice_gives_the_same_triples(record: Record) -> None:
    assert sorted(map_record(record)) == sorted(map_record(record))


# --- Classes and properties -------------------------------------------------------------------


def test_each_record_item_becomes_a_node_of_its_class(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    assert typed(graph, SCHEMA.NewsArticle) == {article}
    assert (article, RDF.type, PROV.Entity) in graph
    assert typed(graph, SCHEMA.Person) == {node("person", e.key) for e in record.people}
    assert typed(graph, SCHEMA.Organization) == {
        node("organization", e.key) for e in record.organizations
    }
    assert typed(graph, SCHEMA.Place) == {node("place", e.key) for e in record.places}
    assert typed(graph, ORG.Post) == {node("post", p.key) for p in record.posts}
    assert len(typed(graph, SCHEMA.Observation)) == len(record.metrics)
    assert len(typed(graph, SCHEMA.Quotation)) == len(record.quotes)
    assert typed(graph, ORG.Role) == {node("role", r) for r in ("deputy", "secretary", "governor")}


def test_an_entity_kind_adds_its_schema_org_class(graph: Graph) -> None:
    assert (node("place", "beijing"), RDF.type, SCHEMA.City) in graph
    npc = node("organization", "national-people-s-congress")
    assert {SCHEMA.Organization, SCHEMA.GovernmentOrganization} <= set(graph.objects(npc, RDF.type))


def test_article_properties(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    assert graph.value(article, SCHEMA.headline) == Literal(record.article.title)
    assert graph.value(article, SCHEMA.url) == URIRef(str(record.article.url))
    assert graph.value(article, SCHEMA.datePublished) == Literal("2025-03-06", datatype=XSD.date)
    assert graph.value(article, SCHEMA.inLanguage) == Literal("en")
    mentioned = set(graph.objects(article, SCHEMA.mentions))
    entities = typed(graph, SCHEMA.Person) | typed(graph, SCHEMA.Organization)
    assert mentioned == entities | typed(graph, SCHEMA.Place)


def test_image_has_name_and_size(graph: Graph, record: Record) -> None:
    image = URIRef(f"{article_iri(record.article)}/image/1")
    assert graph.value(image, SCHEMA.width) == Literal(1199, datatype=XSD.integer)
    assert graph.value(image, SCHEMA.height) == Literal(693, datatype=XSD.integer)
    assert str(graph.value(image, SCHEMA.name)).endswith("_14.jpeg")


def test_publisher_is_the_organization_of_that_name(graph: Graph, record: Record) -> None:
    publisher = graph.value(article_iri(record.article), SCHEMA.publisher)
    assert publisher == node("organization", "china-daily")
    assert (article_iri(record.article), SCHEMA.mentions, publisher) in graph


def test_a_publisher_the_record_lacks_is_made_from_its_name(record: Record) -> None:
    record.organizations = [o for o in record.organizations if o.key != "china-daily"]
    graph = map_record(record)
    article = article_iri(record.article)
    publisher = node("organization", "china-daily")
    assert graph.value(article, SCHEMA.publisher) == publisher
    assert graph.value(publisher, SCHEMA.name) == Literal("China Daily")
    assert (publisher, PROV.wasDerivedFrom, article) in graph
    assert (article, SCHEMA.mentions, publisher) not in graph


def test_names_and_aliases(graph: Graph) -> None:
    ni = node("person", "ni-yuefeng")
    assert graph.value(ni, SCHEMA.name) == Literal("Ni Yuefeng")
    assert set(graph.objects(ni, SCHEMA.alternateName)) == {Literal("Ni")}


def test_everything_extracted_is_derived_from_the_article(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    for cls in (
        SCHEMA.Person,
        SCHEMA.Organization,
        SCHEMA.Place,
        ORG.Post,
        SCHEMA.Observation,
        SCHEMA.Quotation,
    ):
        for subject in typed(graph, cls):
            assert (subject, PROV.wasDerivedFrom, article) in graph, subject


def test_spans_quote_the_article_text_at_their_offsets(graph: Graph, record: Record) -> None:
    text = record.article.text
    context = URIRef(f"{article_iri(record.article)}#char=0,{len(text)}")
    spans = typed(graph, NIF.String)
    assert spans
    for span in spans:
        begin = int(graph.value(span, NIF.beginIndex))
        end = int(graph.value(span, NIF.endIndex))
        assert str(span).endswith(f"#char={begin},{end}")
        assert str(graph.value(span, NIF.anchorOf)) == text[begin:end]
        assert graph.value(span, NIF.referenceContext) == context
    assert str(graph.value(context, NIF.isString)) == text


def test_each_mention_points_to_its_entity(graph: Graph, record: Record) -> None:
    for entity in record.people:
        spans = set(graph.subjects(ITSRDF.taIdentRef, node("person", entity.key)))
        assert len(spans) == len(entity.mentions)


def test_post_links_holder_organization_role_and_evidence(graph: Graph) -> None:
    post = node("post", "wang-zhengpu/governor/hebei")
    assert graph.value(post, ORG.heldBy) == node("person", "wang-zhengpu")
    assert graph.value(post, ORG.postIn) == node("place", "hebei")
    assert graph.value(graph.value(post, ORG.role), RDFS.label) == Literal("governor")
    evidence = graph.value(post, KG.evidence)
    assert graph.value(evidence, NIF.anchorOf) == Literal("governor of Hebei")


def test_quote_has_text_speaker_and_article(graph: Graph, record: Record) -> None:
    article = article_iri(record.article)
    quote = URIRef(f"{article}/quote/wang-we-will-promote")
    assert str(graph.value(quote, SCHEMA.text)).startswith("We will promote")
    assert graph.value(quote, SCHEMA.creator) == node("person", "wang-zhengpu")
    assert graph.value(quote, SCHEMA.isPartOf) == article


def metric_node(graph: Graph, record: Record, key: str) -> URIRef:
    return URIRef(f"{article_iri(record.article)}/metric/{key}")


def test_metric_properties(graph: Graph, record: Record) -> None:
    metric = metric_node(graph, record, "high-end-steel-share")
    assert graph.value(metric, SCHEMA.value) == Literal("22.0", datatype=XSD.decimal)
    assert graph.value(metric, SCHEMA.unitCode) == UNIT.PERCENT
    assert graph.value(metric, SCHEMA.unitText) == Literal("percent")
    assert graph.value(metric, KG.qualifier) == KG.exact
    assert graph.value(metric, KG.metricKind) == KG.Share
    assert graph.value(metric, SCHEMA.observationAbout) == node("place", "hebei")
    assert graph.value(metric, SCHEMA.observationDate) == Literal("2024-12-31", datatype=XSD.date)
    period = graph.value(metric, KG.periodEvidence)
    assert graph.value(period, NIF.anchorOf) == Literal("by the end of last year")


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("km", UNIT.KiloM),
        ("percent", UNIT.PERCENT),
        ("CNY", UNIT.CCY_CNY),
        ("count", UNIT.NUM),
        ("enterprise", UNIT.NUM),  # a counted noun not in the table
        ("mu", None),  # QUDT has no unit for it: unitText only
    ],
)
def test_metric_unit(record: Record, unit: str, code: URIRef | None) -> None:
    record.metrics[0].unit = unit
    graph = map_record(record)
    metric = metric_node(graph, record, record.metrics[0].key)
    assert graph.value(metric, SCHEMA.unitCode) == code
    assert graph.value(metric, SCHEMA.unitText) == Literal(unit)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("100", "100.0"),
        ("9.8", "9.8"),
        ("9.80", "9.8"),
        ("-0.50", "-0.5"),
        ("0", "0.0"),
        ("69450000000", "69450000000.0"),
    ],
)
def test_decimal_values_are_canonical(value: str, canonical: str) -> None:
    assert canonical_decimal(value) == canonical


@pytest.mark.parametrize(
    ("value", "precision", "datatype"),
    [
        ("2024-12-31", "day", XSD.date),
        ("2024-10", "month", XSD.gYearMonth),
        ("2024", "year", XSD.gYear),
    ],
)
def test_period_datatype_follows_its_precision(
    record: Record, value: str, precision: str, datatype: URIRef
) -> None:
    metric = record.metrics[3]
    assert metric.period is not None
    metric.period = Period(value, precision, metric.period.span)  # type: ignore[arg-type]
    graph = map_record(record)
    date = graph.value(metric_node(graph, record, metric.key), SCHEMA.observationDate)
    assert date == Literal(value, datatype=datatype)


def test_every_qualifier_and_kind_has_an_iri() -> None:
    assert set(QUALIFIER_IRIS) == set(QUALIFIERS)
    assert QUALIFIER_IRIS["more_than"] == KG.moreThan
    assert {"level": KG.Level, "change": KG.Change, "share": KG.Share} == METRIC_KIND_IRIS


# --- Provenance (PROV-O) -----------------------------------------------------------------------

STATISTICAL = Extractor("statistical", "en_core_web_sm", "3.8.0", "spacy 3.8.7")


def with_extractor(record: Record, extractor: Extractor) -> Record:
    return dataclasses.replace(record, extractor=extractor)


def test_a_record_without_an_extractor_maps_without_provenance(graph: Graph) -> None:
    for cls in (PROV.Activity, PROV.SoftwareAgent, SCHEMA.Dataset):
        assert typed(graph, cls) == set(), cls


def test_the_extraction_used_the_article_was_run_by_the_extractor_and_made_the_graph(
    graph: Graph, record: Record
) -> None:
    article = article_iri(record.article)
    activity = URIRef(f"{article}/extraction")
    agent = node("agent", "kg-statistical-en_core_web_sm-3.8.0")
    added = set(map_record(with_extractor(record, STATISTICAL))) - set(graph)
    assert added == {
        (activity, RDF.type, PROV.Activity),
        (activity, PROV.used, article),
        (activity, PROV.wasAssociatedWith, agent),
        (agent, RDF.type, PROV.SoftwareAgent),
        (agent, SCHEMA.name, Literal("kg statistical extractor (en_core_web_sm 3.8.0)")),
        (agent, SCHEMA.softwareVersion, Literal("3.8.0")),
        (graph_iri(article), RDF.type, SCHEMA.Dataset),
        (graph_iri(article), RDF.type, PROV.Entity),
        (graph_iri(article), PROV.wasGeneratedBy, activity),
    }


def test_the_rules_extractor_is_an_agent_without_a_model(record: Record) -> None:
    graph = map_record(with_extractor(record, Extractor("rules")))
    agent = node("agent", "kg-rules")
    assert agent_iri(Extractor("rules")) == agent
    assert typed(graph, PROV.SoftwareAgent) == {agent}
    assert graph.value(agent, SCHEMA.name) == Literal("kg rules extractor")
    assert graph.value(agent, SCHEMA.softwareVersion) is None


def test_one_agent_per_extractor_and_model_version_across_articles(record: Record) -> None:
    other = dataclasses.replace(record.article, url="https://example.org/other.html")
    first = map_record(with_extractor(record, STATISTICAL))
    second = map_record(dataclasses.replace(with_extractor(record, STATISTICAL), article=other))
    assert typed(first, PROV.SoftwareAgent) == typed(second, PROV.SoftwareAgent)
    assert typed(first, PROV.Activity) != typed(second, PROV.Activity)
    newer = dataclasses.replace(STATISTICAL, model_version="3.8.1")
    assert agent_iri(newer) != agent_iri(STATISTICAL)


def test_the_library_version_stays_in_the_record(record: Record) -> None:
    """The graph is the same bytes whichever spaCy 3.8 patch release ran the model."""
    patched = dataclasses.replace(STATISTICAL, library="spacy 3.8.99")
    assert set(map_record(with_extractor(record, patched))) == set(
        map_record(with_extractor(record, STATISTICAL))
    )


@pytest.mark.parametrize("extractor", [STATISTICAL, Extractor("rules")], ids=lambda e: e.name)
def test_provenance_conforms_and_is_written_in_every_format(
    record: Record, extractor: Extractor
) -> None:
    graph = map_record(with_extractor(record, extractor))
    report = validate_graph(graph)
    assert report.conforms, report.findings
    assert set(graph.predicates()) - {RDF.type} - {t.property for t in terms()} == set()
    document = jsonld_document(graph)
    schema = jsonschema.Draft202012Validator(json.loads(JSONLD_SCHEMA.read_text(encoding="utf-8")))
    assert [e.message for e in schema.iter_errors(document)] == []
    assert document["extraction"]["wasAssociatedWith"]["@id"] == str(agent_iri(extractor))
    assert document["extraction"]["generated"]["@id"] == str(graph_iri(article_iri(record.article)))
    for fmt in (Format.JSONLD, Format.TTL, Format.NQ):
        same_graph(graph, parse_rdflib(serialize_graph(graph, fmt), fmt))


# --- Ontology ---------------------------------------------------------------------------------


def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def kg_terms(graph: Graph) -> set[URIRef]:
    return {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and term.startswith(KG)
    }


def test_kg_terms_of_mapper_and_shapes_are_declared_and_every_declared_term_is_used() -> None:
    # The example record mapped, the qualifier and kind tables, the shapes (kg check).
    assert [str(problem) for problem in term_problems()] == []


def test_every_declared_term_is_defined_by_the_ontology() -> None:
    onto = ontology()
    declared = {t for t in onto.subjects(RDF.type, None) if str(t).startswith(str(KG))}
    assert declared == set(onto.subjects(RDFS.isDefinedBy, URIRef(str(KG).rstrip("#"))))


def test_declared_terms_are_labelled_commented_and_aligned() -> None:
    onto = ontology()
    for term in kg_terms(onto):
        assert onto.value(term, RDFS.label) is not None, term
        assert onto.value(term, RDFS.comment) is not None, term
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        assert onto.value(prop, RDFS.domain) is not None, prop
        assert onto.value(prop, RDFS.range) is not None, prop
        aligned = {
            RDFS.subPropertyOf,
            URIRef("http://www.w3.org/2004/02/skos/core#closeMatch"),
            URIRef("http://www.w3.org/2004/02/skos/core#relatedMatch"),
        }
        assert aligned & set(onto.predicates(prop)), prop
    for cls in onto.subjects(RDF.type, OWL.Class):
        assert onto.value(cls, RDFS.subClassOf) is not None, cls


def test_ontology_has_version_no_imports_and_no_blank_nodes() -> None:
    onto = ontology()
    (header,) = onto.subjects(RDF.type, OWL.Ontology)
    assert onto.value(header, OWL.versionInfo) is not None
    assert not list(onto.objects(header, OWL.imports))
    assert not [t for t in onto if any(isinstance(term, BNode) for term in t)]


def test_units_table_names_qudt_units_by_local_name() -> None:
    for key, (local, *_rest) in read_table("units.tsv").items():
        assert local == "" or local.replace("-", "").replace("_", "").isalnum(), key


# --- Records that cannot be mapped -------------------------------------------------------------


def _post_person(record: Record) -> None:
    record.posts[0].person = "nobody"
    record.posts[0].key = "nobody/deputy/national-people-s-congress"


def _post_in_person(record: Record) -> None:
    record.posts[0].organization = "zhang-guohua"
    record.posts[0].key = "ni-yuefeng/deputy/zhang-guohua"


def _quote_by_organization(record: Record) -> None:
    record.quotes[0].speaker = "communist-party-of-china"


def _metric_about_unknown(record: Record) -> None:
    record.metrics[0].about = "atlantis"


def _duplicate_key(record: Record) -> None:
    record.organizations[0].key = "ni-yuefeng"


def _span_text_differs(record: Record) -> None:
    span = record.posts[0].evidence
    record.posts[0].evidence = Span(span.start, span.end, span.text.upper())


def _span_out_of_range(record: Record) -> None:
    end = len(record.article.text)
    record.metrics[0].evidence = Span(end - 2, end + 5, "xx")


def _mention_differs(record: Record) -> None:
    record.people[0].mentions[0] = Span(0, 10, "Ni Yuefeng")


def _post_key_mismatch(record: Record) -> None:
    record.posts[0].key = "ni-yuefeng/secretary/national-people-s-congress"


def _value_not_decimal(record: Record) -> None:
    record.metrics[0].value = "1,200"


def _bad_month(record: Record) -> None:
    period = record.metrics[3].period
    assert period is not None
    record.metrics[3].period = Period("2024-13", "month", period.span)


def _bad_kind(record: Record) -> None:
    record.places[0].kind = "city"


def _bad_key(record: Record) -> None:
    record.people[2] = Entity("Wang Zhengpu", "Wang Zhengpu")


def _bad_url(record: Record) -> None:
    record.article.url = "https://example.org/a b"


def _bad_qualifier(record: Record) -> None:
    record.metrics[0].qualifier = "roughly"  # type: ignore[assignment]


def _bad_model(record: Record) -> None:
    record.extractor = Extractor("statistical", "en core web sm", "3.8.0")


BAD_RECORDS: list[tuple[str, Callable[[Record], None], str, str]] = [
    ("post-person-unknown", _post_person, "/posts/0/person", "not the key of a person"),
    ("post-in-a-person", _post_in_person, "/posts/0/organization", "organization or place"),
    ("quote-by-organization", _quote_by_organization, "/quotes/0/speaker", "key of a person"),
    ("metric-about-unknown", _metric_about_unknown, "/metrics/0/about", "'atlantis' is not"),
    ("duplicate-entity-key", _duplicate_key, "/organizations/0/key", "used twice"),
    ("span-text-differs", _span_text_differs, "/posts/0/evidence", "is not the article text"),
    ("span-out-of-range", _span_out_of_range, "/metrics/0/evidence", "out of range"),
    ("mention-differs", _mention_differs, "/people/0/mentions/0", "is not the article text"),
    ("post-key-mismatch", _post_key_mismatch, "/posts/0/key", "does not match"),
    ("value-not-decimal", _value_not_decimal, "/metrics/0/value", "'1,200' is not a number"),
    ("period-bad-month", _bad_month, "/metrics/3/period/value", "'2024-13' is not a month"),
    ("kind-not-a-class", _bad_kind, "/places/0/kind", "not a class name"),
    ("key-not-a-slug", _bad_key, "/people/2/key", "is not a key"),
    ("url-with-space", _bad_url, "/article/url", "is not an IRI"),
    ("unknown-qualifier", _bad_qualifier, "/metrics/0/qualifier", "'roughly' unknown"),
    ("model-not-a-name", _bad_model, "/extractor/model", "'en core web sm' is not a plain name"),
]


@pytest.mark.parametrize(
    ("breaks", "pointer", "fragment"),
    [pytest.param(b, p, f, id=name) for name, b, p, f in BAD_RECORDS],
)
def test_a_record_that_cannot_be_mapped_is_refused(
    record: Record, breaks: Callable[[Record], None], pointer: str, fragment: str
) -> None:
    breaks(record)
    with pytest.raises(MappingError) as caught:
        map_record(record)
    message = str(caught.value)
    assert message.startswith(f"xiongan-innovation.txt: {pointer}: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "base",
    [
        "example.org/kg/",
        "https://example.org/kg",
        "https://example.org/kg#",
        "https://example.org/kg/#x/",
        "ftp://example.org/kg/",
        "https://example.org/kg/?page=1/",
        "https://exa mple.org/kg/",
        "https:///kg/",
    ],
)
def test_a_base_iri_that_gives_broken_iris_is_refused(record: Record, base: str) -> None:
    with pytest.raises(MappingError, match=r"^base IRI .* not usable \(expected an absolute"):
        map_record(record, base=base)


def test_mapping_errors_are_kg_errors() -> None:
    assert issubclass(MappingError, KgError)
