"""Read a record back from a graph kg wrote: the inverse of `kg.mapping`, for `kg view` of a
`.ttl` file.

    >>> record = record_from_graph(Graph().parse("output/xiongan-innovation.ttl"))  # doctest: +SKIP
    >>> [person.name for person in record.people]                                   # doctest: +SKIP
    ['Ni Yuefeng', 'Zhang Guohua', 'Wang Zhengpu']

Everything a page shows is in the graph, keys included (they end the IRIs). What the graph does
not keep is order: entities come back in the order of their first mention, facts in the order of
their evidence, aliases and links sorted. Paragraphs are the body split at its blank lines, as
`kg.ingest` joined them. A graph that lacks what kg writes raises `InputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from kg.errors import InputError
from kg.files import input_name, read_input
from kg.mapping import METRIC_KIND_IRIS, QUALIFIER_IRIS
from kg.model import (
    Article,
    Entity,
    EntityType,
    Geo,
    Image,
    Metric,
    Period,
    Post,
    Quote,
    Record,
    Span,
)
from kg.vocab import ITSRDF, KG, NIF, ORG, SCHEMA, new_graph

# The RDF files `read_graph` reads, by suffix: kg's triples formats (its .nq and .trig hold the
# same triples as its .ttl, and its JSON-LD names a context).
GRAPH_FORMATS = {".ttl": "turtle", ".nt": "nt"}
PARAGRAPH_BREAK = "\n\n"  # kg.ingest joins paragraphs with a blank line
_ENTITY_CLASSES: dict[EntityType, URIRef] = {
    "person": SCHEMA.Person,
    "organization": SCHEMA.Organization,
    "place": SCHEMA.Place,
}
_PRECISIONS = {10: "day", 7: "month", 4: "year"}  # length of an ISO date, year-month, year
_QUALIFIERS = {iri: name for name, iri in QUALIFIER_IRIS.items()}
_METRIC_KINDS = {iri: name for name, iri in METRIC_KIND_IRIS.items()}

T = TypeVar("T")


def read_graph(path: str | Path, rdf_format: str | None = None) -> Graph:
    """The triples of an RDF file kg wrote (.ttl, .nt), or of standard input for `-`, in
    `rdf_format` ("turtle", "nt": `GRAPH_FORMATS`) whatever the extension."""
    path = Path(path)
    where = input_name(path)
    rdf_format = rdf_format or GRAPH_FORMATS.get(path.suffix.lower())
    if rdf_format not in GRAPH_FORMATS.values():
        expected = ", ".join(GRAPH_FORMATS)
        raise InputError(f"{where}: not an RDF file kg reads back (expected {expected})")
    data = read_input(path, "an RDF file")
    try:
        return new_graph().parse(data=data, format=rdf_format)
    except Exception as exc:  # rdflib raises parser errors of many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{where}: not valid {rdf_format} ({first})") from exc


def record_from_graph(graph: Graph, source: str | None = None) -> Record:
    """The record a kg graph was mapped from (see the module docstring); `source` names the
    file in messages and becomes `Article.source`."""
    return _Reader(graph, source or "graph").record()


class _Reader:
    def __init__(self, graph: Graph, where: str) -> None:
        self.graph = graph
        self.where = where

    def fail(self, node: Node, what: str) -> InputError:
        return InputError(f"{self.where}: <{node}> has no {what} (expected a graph kg wrote)")

    def value(self, node: Node, predicate: URIRef) -> Node | None:
        # The least of several (which the shapes report), so that a page is the same every time.
        return min(self.graph.objects(node, predicate), key=str, default=None)

    def one(self, node: Node, predicate: URIRef, what: str) -> Node:
        value = self.value(node, predicate)
        if value is None:
            raise self.fail(node, what)
        return value

    def text(self, node: Node, predicate: URIRef) -> str | None:
        value = self.value(node, predicate)
        return None if value is None else str(value)

    def record(self) -> Record:
        articles = sorted(self.graph.subjects(RDF.type, SCHEMA.NewsArticle), key=str)
        if len(articles) != 1:
            raise InputError(
                f"{self.where}: {len(articles)} articles in this graph "
                "(expected the one schema:NewsArticle of a file kg wrote)"
            )
        [node] = articles
        article = self.article(node)
        people, organizations, places = (
            self.entities(node, kind) for kind in ("person", "organization", "place")
        )
        return Record(
            article=article,
            people=people,
            organizations=organizations,
            places=places,
            posts=self.facts(ORG.Post, self.post),
            metrics=self.facts(SCHEMA.Observation, self.metric),
            quotes=self.facts(SCHEMA.Quotation, self.quote),
        )

    def article(self, node: Node) -> Article:
        context = min(self.graph.subjects(NIF.sourceUrl, node), key=str, default=None)
        if context is None:
            raise self.fail(node, "text (a nif:Context whose nif:sourceUrl is the article)")
        text = str(self.one(context, NIF.isString, "nif:isString"))
        publisher = self.value(node, SCHEMA.publisher)
        images = sorted(self.graph.objects(node, SCHEMA.image), key=_last_number)
        return Article(
            title=str(self.one(node, SCHEMA.headline, "schema:headline")),
            text=text,
            paragraphs=_paragraphs(text),
            url=self.text(node, SCHEMA.url),
            publisher=None if publisher is None else self.text(publisher, SCHEMA.name),
            published=self.text(node, SCHEMA.datePublished),
            language=self.text(node, SCHEMA.inLanguage) or "en",
            images=[self.image(image) for image in images],
            source=self.where,
            authors=sorted(
                str(self.one(author, SCHEMA.name, "schema:name"))
                for author in self.graph.objects(node, SCHEMA.author)
            ),
        )

    def image(self, node: Node) -> Image:
        def size(predicate: URIRef) -> int | None:
            value = self.value(node, predicate)
            return None if value is None else int(str(value))

        name = str(self.one(node, SCHEMA.name, "schema:name"))
        return Image(name, size(SCHEMA.width), size(SCHEMA.height))

    def span(self, node: Node) -> Span:
        begin = self.one(node, NIF.beginIndex, "nif:beginIndex")
        end = self.one(node, NIF.endIndex, "nif:endIndex")
        return Span(int(str(begin)), int(str(end)), str(self.one(node, NIF.anchorOf, "anchor")))

    def entities(self, article: Node, kind: EntityType) -> list[Entity]:
        found = [
            self.entity(node, kind)
            for node in self.graph.objects(article, SCHEMA.mentions)
            if (node, RDF.type, _ENTITY_CLASSES[kind]) in self.graph
        ]
        return sorted(found, key=lambda e: (e.mentions[0].start if e.mentions else -1, e.key))

    def entity(self, node: Node, kind: EntityType) -> Entity:
        finer = sorted(
            str(cls).removeprefix(str(SCHEMA))
            for cls in self.graph.objects(node, RDF.type)
            if cls != _ENTITY_CLASSES[kind] and str(cls).startswith(str(SCHEMA))
        )
        geo = self.value(node, SCHEMA.geo)
        return Entity(
            key=_last_segment(node),
            name=str(self.one(node, SCHEMA.name, "schema:name")),
            aliases=sorted(str(a) for a in self.graph.objects(node, SCHEMA.alternateName)),
            mentions=sorted(self.span(s) for s in self.graph.subjects(ITSRDF.taIdentRef, node)),
            kind=finer[0] if finer else None,
            same_as=sorted(str(iri) for iri in self.graph.objects(node, SCHEMA.sameAs)),
            iso3166=self.text(node, KG.iso3166Code),
            geo=None
            if geo is None
            else Geo(
                str(self.one(geo, SCHEMA.latitude, "schema:latitude")),
                str(self.one(geo, SCHEMA.longitude, "schema:longitude")),
            ),
        )

    def facts(self, cls: URIRef, read: Callable[[Node], T]) -> list[T]:
        nodes = sorted(
            self.graph.subjects(RDF.type, cls),
            key=lambda n: (self.span(self.one(n, KG.evidence, "kg:evidence")).start, str(n)),
        )
        return [read(node) for node in nodes]

    def evidence(self, node: Node) -> Span:
        return self.span(self.one(node, KG.evidence, "kg:evidence"))

    def post(self, node: Node) -> Post:
        role = self.one(node, ORG.role, "org:role")
        return Post(
            key=str(node).split("/post/", 1)[-1],
            person=_last_segment(self.one(node, ORG.heldBy, "org:heldBy")),
            role=str(self.one(role, RDFS.label, "rdfs:label")),
            organization=_last_segment(self.one(node, ORG.postIn, "org:postIn")),
            evidence=self.evidence(node),
        )

    def metric(self, node: Node) -> Metric:
        about = self.value(node, SCHEMA.observationAbout)
        return Metric(
            key=_last_segment(node),
            # The canonical xsd:decimal "60.0" is the extractor's "60".
            value=str(self.one(node, SCHEMA.value, "schema:value")).removesuffix(".0"),
            unit=str(self.one(node, SCHEMA.unitText, "schema:unitText")),
            qualifier=self.choice(node, KG.qualifier, _QUALIFIERS),
            kind=self.choice(node, KG.metricKind, _METRIC_KINDS),
            what=str(self.one(node, SCHEMA.variableMeasured, "schema:variableMeasured")),
            evidence=self.evidence(node),
            about=None if about is None else _last_segment(about),
            period=self.period(node),
        )

    def period(self, node: Node) -> Period | None:
        value = self.value(node, SCHEMA.observationDate)
        if value is None:
            return None
        text = str(value)
        span = self.span(self.one(node, KG.periodEvidence, "kg:periodEvidence"))
        return Period(text, _PRECISIONS.get(len(text), "day"), span)  # type: ignore[arg-type]

    def choice(self, node: Node, predicate: URIRef, names: dict[URIRef, str]) -> Any:
        value = self.value(node, predicate)
        if value not in names:
            raise self.fail(node, f"known {predicate.n3(self.graph.namespace_manager)}")
        return names[value]  # type: ignore[index]

    def quote(self, node: Node) -> Quote:
        return Quote(
            key=_last_segment(node),
            text=str(self.one(node, SCHEMA.text, "schema:text")),
            speaker=_last_segment(self.one(node, SCHEMA.creator, "schema:creator")),
            evidence=self.evidence(node),
        )


def _paragraphs(text: str) -> list[Span]:
    spans, start = [], 0
    for part in text.split(PARAGRAPH_BREAK):
        spans.append(Span(start, start + len(part), part))
        start += len(part) + len(PARAGRAPH_BREAK)
    return [span for span in spans if span.text]


def _last_segment(node: Node) -> str:
    return str(node).rstrip("/").rsplit("/", 1)[-1]


def _last_number(node: Node) -> tuple[int, str]:
    last = _last_segment(node)
    return (int(last) if last.isdigit() else 0, str(node))
