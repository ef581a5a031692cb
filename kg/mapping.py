"""Map a `Record` to an RDF graph, following docs/model.md.

Every node gets a deterministic IRI from the base IRI and the record's keys, so mapping the same
record twice gives the same graph and the same person in two articles gets the same IRI:

    >>> graph = map_record(record)                      # doctest: +SKIP
    >>> str(article_iri(record.article))                # doctest: +SKIP
    'https://example.org/kg/article/3f0c2a9d81b4e6c7'

A record that cannot become RDF (a key that names no entity, a span that does not quote the
article, ...) raises `MappingError`; nothing is half-mapped.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from functools import cache, lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kg.data import read_table
from kg.errors import MappingError
from kg.model import (
    METRIC_KINDS,
    QUALIFIERS,
    Article,
    Entity,
    EntityType,
    Extractor,
    Geo,
    Metric,
    Period,
    Post,
    Quote,
    Record,
    Span,
)
from kg.vocab import (
    ITSRDF,
    KG,
    NIF,
    ORG,
    PROV,
    SCHEMA,
    UNIT,
    iri_problem,
    new_graph,
    slug,
)

DEFAULT_BASE = "https://example.org/kg/"

_KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_KIND = re.compile(r"^[A-Z][A-Za-z]*$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
_ISO3166 = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
# An extractor's name, model and version, each a segment of the agent's IRI.
_AGENT_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_DEGREES = {"latitude": Decimal(90), "longitude": Decimal(180)}
_PERIOD_DATATYPES = {"day": XSD.date, "month": XSD.gYearMonth, "year": XSD.gYear}
_PERIOD_FORMS = {
    "day": re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
    "month": re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
    "year": re.compile(r"^[0-9]{4}$"),
}
# The terms of every span, made once: rdflib's namespaces make a new term on each access.
_NIF_STRING, _NIF_OFFSET_BASED_STRING = NIF.String, NIF.OffsetBasedString
_NIF_BEGIN, _NIF_END = NIF.beginIndex, NIF.endIndex
_NIF_ANCHOR, _NIF_CONTEXT = NIF.anchorOf, NIF.referenceContext


@lru_cache(maxsize=65536)
def _offset(value: int) -> Literal:
    """A character offset: rdflib's Literal from an int checks and casts it on every call."""
    return Literal(value, datatype=XSD.nonNegativeInteger)


_ENTITY_CLASSES = {
    "person": SCHEMA.Person,
    "organization": SCHEMA.Organization,
    "place": SCHEMA.Place,
}


class _Known(NamedTuple):
    """An entity of the record, with its type and where it is (a JSON pointer)."""

    kind: EntityType
    entity: Entity
    pointer: str


def map_record(record: Record, base: str = DEFAULT_BASE) -> Graph:
    """The RDF graph of one record; raises `MappingError` for a record that cannot be mapped."""
    check_base(base)
    mapper = _Mapper(record, base)
    mapper.map()
    return mapper.graph


def article_iri(article: Article, base: str = DEFAULT_BASE) -> URIRef:
    """`{base}article/{key}`: the key is a hash of the URL, or of title and text without one."""
    source = article.url if article.url else f"{article.title}\n{article.text}"
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    return URIRef(f"{base}article/{key}")


def graph_iri(article: URIRef) -> URIRef:
    """The named graph that holds one article's triples in N-Quads and TriG."""
    return URIRef(f"{article}/graph")


def agent_iri(extractor: Extractor, base: str = DEFAULT_BASE) -> URIRef:
    """`{base}agent/kg-{name}[-{model}-{model version}]`: one agent per extractor and model
    version, shared by every article it extracted (`kg-statistical-en_core_web_sm-3.8.0`)."""
    parts = ("kg", extractor.name, extractor.model, extractor.model_version)
    return URIRef(f"{base}agent/{'-'.join(part for part in parts if part)}")


def agent_name(extractor: Extractor) -> str:
    """`kg statistical extractor (en_core_web_sm 3.8.0)`, `kg rules extractor`."""
    model = " ".join(part for part in (extractor.model, extractor.model_version) if part)
    return f"kg {extractor.name} extractor" + (f" ({model})" if model else "")


def check_base(base: str) -> None:
    """Refuse a base IRI that would give broken IRIs; the base must end in '/'."""
    parts = urlsplit(base)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "#" in base
        or not base.endswith("/")
        or iri_problem(base) is not None
    ):
        # '#' is refused too: span IRIs add their own fragment ('#char=0,5') to the article IRI.
        raise MappingError(
            f"base IRI {base!r} not usable "
            "(expected an absolute http(s) IRI ending in '/', without query or fragment)"
        )


def canonical_decimal(value: str) -> str:
    """The canonical xsd:decimal form: `69450000000` -> `69450000000.0`, `9.80` -> `9.8`.

    Turtle writers print decimals in this form, so using it from the start keeps every
    serialization of a value identical (`"69450000000"` and `69450000000.0` differ as RDF terms).
    """
    number = Decimal(value)
    text = format(number, "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0") or "0"
    whole = "0" if whole in ("-0", "0") and fraction == "0" else whole
    return f"{whole}.{fraction}"


@cache
def unit_table() -> dict[str, str]:
    """{unit key: QUDT local name}; units QUDT lacks (e.g. the Chinese mu) map to ''."""
    return {key: values[0] for key, values in read_table("units.tsv").items()}


def unit_iri(unit: str) -> URIRef | None:
    """The QUDT unit for a record's unit; counted nouns not in the table count as `unit:NUM`."""
    local = unit_table().get(unit, "NUM")
    return UNIT[local] if local else None


def _camel(word: str) -> str:
    head, *rest = word.split("_")
    return head + "".join(part.capitalize() for part in rest)


QUALIFIER_IRIS = {q: KG[_camel(q)] for q in QUALIFIERS}
METRIC_KIND_IRIS = {k: KG[k.capitalize()] for k in METRIC_KINDS}


class _Mapper:
    """One mapping run: the record, its IRIs, and the graph being filled."""

    def __init__(self, record: Record, base: str) -> None:
        self.record = record
        self.base = base
        self.where = record.article.source or "record"
        self.graph = new_graph()
        self.terms: dict[Node, Node] = {}
        self.article = article_iri(record.article, base)
        self.context = self.span_iri(0, len(record.article.text))
        self.entities = self._index_entities()

    # --- IRIs -----------------------------------------------------------------------------

    def entity_iri(self, kind: EntityType, key: str) -> URIRef:
        return URIRef(f"{self.base}{kind}/{key}")

    def span_iri(self, start: int, end: int) -> URIRef:
        return URIRef(f"{self.article}#char={start},{end}")

    # --- checks ---------------------------------------------------------------------------

    def fail(self, pointer: str, message: str) -> MappingError:
        return MappingError(f"{self.where}: {pointer}: {message}")

    def _index_entities(self) -> dict[str, _Known]:
        index: dict[str, _Known] = {}
        groups: tuple[tuple[EntityType, str, list[Entity]], ...] = (
            ("person", "people", self.record.people),
            ("organization", "organizations", self.record.organizations),
            ("place", "places", self.record.places),
        )
        for kind, group, entities in groups:
            for i, entity in enumerate(entities):
                pointer = f"/{group}/{i}"
                self.check_key(f"{pointer}/key", entity.key)
                if entity.key in index:
                    raise self.fail(
                        f"{pointer}/key",
                        f"key {entity.key!r} is used twice (keys of entities must be unique)",
                    )
                if entity.kind is not None and not _KIND.match(entity.kind):
                    raise self.fail(
                        f"{pointer}/kind",
                        f"{entity.kind!r} is not a class name (expected e.g. 'City')",
                    )
                index[entity.key] = _Known(kind, entity, pointer)
        return index

    def check_key(self, pointer: str, key: str) -> None:
        if not _KEY.match(key):
            raise self.fail(pointer, f"{key!r} is not a key (expected a slug like 'ni-yuefeng')")

    def refer(self, pointer: str, key: str, allowed: tuple[EntityType, ...]) -> URIRef:
        """The IRI of the entity a fact refers to by key, if it is of an allowed type."""
        found = self.entities.get(key)
        if found is None or found.kind not in allowed:
            raise self.fail(pointer, f"{key!r} is not the key of a {' or '.join(allowed)}")
        return self.entity_iri(found.kind, key)

    def check_span(self, pointer: str, span: Span) -> None:
        text = self.record.article.text
        if not 0 <= span.start <= span.end <= len(text):
            raise self.fail(
                pointer,
                f"offsets {span.start}-{span.end} out of range "
                f"(expected 0 <= start <= end <= {len(text)})",
            )
        if text[span.start : span.end] != span.text:
            raise self.fail(
                pointer,
                f"text {span.text!r} is not the article text at {span.start}-{span.end} "
                f"({text[span.start : span.end]!r})",
            )

    def check_iri(self, pointer: str, iri: str) -> URIRef:
        problem = iri_problem(iri)
        if problem is not None:
            raise self.fail(pointer, f"{iri!r} is not an IRI ({problem})")
        return URIRef(iri)

    # --- triples --------------------------------------------------------------------------

    def add(self, subject: URIRef, predicate: URIRef, obj: URIRef | Literal) -> None:
        # One object per distinct term: rdflib's `__eq__` is Python code, and every dictionary
        # lookup downstream (the store's indexes, the writers, the validator) calls it unless
        # the two keys are the same object. A third less time mapping and writing Turtle.
        intern = self.terms.setdefault
        self.graph.add((intern(subject, subject), intern(predicate, predicate), intern(obj, obj)))

    def map(self) -> None:
        self.map_article()
        if self.record.extractor is not None:
            self.map_extraction(self.record.extractor)
        self.map_text()
        for known in self.entities.values():
            self.map_entity(known)
        for i, post in enumerate(self.record.posts):
            self.map_post(f"/posts/{i}", post)
        for i, metric in enumerate(self.record.metrics):
            self.map_metric(f"/metrics/{i}", metric)
        for i, quote in enumerate(self.record.quotes):
            self.map_quote(f"/quotes/{i}", quote)

    def map_article(self) -> None:
        article, node = self.record.article, self.article
        self.add(node, RDF.type, SCHEMA.NewsArticle)
        self.add(node, RDF.type, PROV.Entity)
        self.add(node, SCHEMA.headline, Literal(article.title))
        self.add(node, SCHEMA.inLanguage, Literal(article.language))
        if article.url:
            self.add(node, SCHEMA.url, self.check_iri("/article/url", article.url))
        if article.published:
            self.add(
                node,
                SCHEMA.datePublished,
                self.period_literal("/article/published", article.published, "day"),
            )
        if article.publisher:
            self.add(node, SCHEMA.publisher, self.publisher(article.publisher))
        for i, author in enumerate(article.authors):
            self.add(node, SCHEMA.author, self.author(f"/article/authors/{i}", author))
        for n, image in enumerate(article.images, start=1):
            iri = URIRef(f"{node}/image/{n}")
            self.add(node, SCHEMA.image, iri)
            self.add(iri, RDF.type, SCHEMA.ImageObject)
            self.add(iri, SCHEMA.name, Literal(image.name))
            for predicate, size in ((SCHEMA.width, image.width), (SCHEMA.height, image.height)):
                if size is not None:
                    self.add(iri, predicate, Literal(size, datatype=XSD.integer))
        for key, known in self.entities.items():
            self.add(node, SCHEMA.mentions, self.entity_iri(known.kind, key))

    def publisher(self, name: str) -> URIRef:
        """The organization named as publisher: the record's own, else one made from the name."""
        for key, known in self.entities.items():
            if known.kind == "organization" and name in (known.entity.name, *known.entity.aliases):
                return self.entity_iri(known.kind, key)
        iri = self.entity_iri("organization", slug(name))
        self.add(iri, RDF.type, SCHEMA.Organization)
        self.add(iri, SCHEMA.name, Literal(name))
        self.add(iri, PROV.wasDerivedFrom, self.article)
        return iri

    def author(self, pointer: str, name: str) -> URIRef:
        """A person of the byline: the record's own (same name, alias or key), else a new one."""
        if not name.strip():
            raise self.fail(pointer, "empty name (expected a person's name)")
        key = slug(name)
        for found, known in self.entities.items():
            entity = known.entity
            if known.kind == "person" and (found == key or name in (entity.name, *entity.aliases)):
                return self.entity_iri("person", found)
        iri = self.entity_iri("person", key)
        self.add(iri, RDF.type, SCHEMA.Person)
        self.add(iri, SCHEMA.name, Literal(name))
        self.add(iri, PROV.wasDerivedFrom, self.article)
        return iri

    def map_extraction(self, extractor: Extractor) -> None:
        """PROV-O: an activity used the article, kg's extractor (a software agent) ran it, and
        it generated the article's graph. The graph carries prov:wasGeneratedBy, not each node
        in it: in a store, that named graph holds exactly the triples the extraction made."""
        for name in ("name", "model", "model_version"):
            value = getattr(extractor, name)
            if value is not None and not _AGENT_PART.match(value):
                raise self.fail(
                    f"/extractor/{name}",
                    f"{value!r} is not a plain name (expected e.g. 'en_core_web_sm' or '3.8.0')",
                )
        activity = URIRef(f"{self.article}/extraction")
        agent = agent_iri(extractor, self.base)
        dataset = graph_iri(self.article)
        self.add(activity, RDF.type, PROV.Activity)
        self.add(activity, PROV.used, self.article)
        self.add(activity, PROV.wasAssociatedWith, agent)
        self.add(agent, RDF.type, PROV.SoftwareAgent)
        self.add(agent, SCHEMA.name, Literal(agent_name(extractor)))
        if extractor.model_version is not None:
            self.add(agent, SCHEMA.softwareVersion, Literal(extractor.model_version))
        self.add(dataset, RDF.type, SCHEMA.Dataset)
        self.add(dataset, RDF.type, PROV.Entity)
        self.add(dataset, PROV.wasGeneratedBy, activity)

    def map_text(self) -> None:
        text, node = self.record.article.text, self.context
        self.add(node, RDF.type, NIF.Context)
        self.add(node, RDF.type, NIF.OffsetBasedString)
        self.add(node, NIF.isString, Literal(text))
        self.add(node, NIF.beginIndex, _offset(0))
        self.add(node, NIF.endIndex, _offset(len(text)))
        self.add(node, NIF.sourceUrl, self.article)

    def span(self, pointer: str, span: Span) -> URIRef:
        """The NIF string node of a checked span."""
        self.check_span(pointer, span)
        node = self.span_iri(span.start, span.end)
        self.add(node, RDF.type, _NIF_STRING)
        self.add(node, RDF.type, _NIF_OFFSET_BASED_STRING)
        self.add(node, _NIF_BEGIN, _offset(span.start))
        self.add(node, _NIF_END, _offset(span.end))
        self.add(node, _NIF_ANCHOR, Literal(span.text))
        self.add(node, _NIF_CONTEXT, self.context)
        return node

    def map_entity(self, known: _Known) -> None:
        kind, entity, pointer = known
        node = self.entity_iri(kind, entity.key)
        self.add(node, RDF.type, _ENTITY_CLASSES[kind])
        if entity.kind:
            self.add(node, RDF.type, SCHEMA[entity.kind])
        self.add(node, SCHEMA.name, Literal(entity.name))
        for alias in entity.aliases:
            self.add(node, SCHEMA.alternateName, Literal(alias))
        self.add(node, PROV.wasDerivedFrom, self.article)
        for i, mention in enumerate(entity.mentions):
            self.add(self.span(f"{pointer}/mentions/{i}", mention), ITSRDF.taIdentRef, node)
        self.map_links(known, node)

    def map_links(self, known: _Known, node: URIRef) -> None:
        """schema:sameAs each linked IRI; a place's kg:iso3166Code and schema:geo."""
        kind, entity, pointer = known
        for i, iri in enumerate(entity.same_as):
            self.add(node, SCHEMA.sameAs, self.check_iri(f"{pointer}/same_as/{i}", iri))
        for name, value in (("iso3166", entity.iso3166), ("geo", entity.geo)):
            if value is not None and kind != "place":
                raise self.fail(f"{pointer}/{name}", f"a {kind} has no {name} (only places do)")
        if entity.iso3166 is not None:
            if not _ISO3166.match(entity.iso3166):
                raise self.fail(
                    f"{pointer}/iso3166",
                    f"{entity.iso3166!r} is not an ISO 3166 code (expected e.g. 'CN' or 'CN-HE')",
                )
            self.add(node, KG.iso3166Code, Literal(entity.iso3166))
        if entity.geo is not None:
            self.map_geo(f"{pointer}/geo", node, entity.geo)

    def map_geo(self, pointer: str, place: URIRef, geo: Geo) -> None:
        node = URIRef(f"{place}/geo")
        self.add(place, SCHEMA.geo, node)
        self.add(node, RDF.type, SCHEMA.GeoCoordinates)
        for name, value in (("latitude", geo.latitude), ("longitude", geo.longitude)):
            literal = self.decimal(f"{pointer}/{name}", value)
            if abs(Decimal(value)) > _DEGREES[name]:
                limit = _DEGREES[name]
                raise self.fail(
                    f"{pointer}/{name}", f"{value} is out of range (expected -{limit} to {limit})"
                )
            self.add(node, SCHEMA[name], literal)

    def map_post(self, pointer: str, post: Post) -> None:
        role_key = slug(post.role)
        expected = f"{post.person}/{role_key}/{post.organization}"
        if post.key != expected:
            raise self.fail(
                f"{pointer}/key", f"{post.key!r} does not match (expected {expected!r})"
            )
        node = URIRef(f"{self.base}post/{post.key}")
        role = URIRef(f"{self.base}role/{role_key}")
        self.add(node, RDF.type, ORG.Post)
        self.add(node, ORG.heldBy, self.refer(f"{pointer}/person", post.person, ("person",)))
        self.add(
            node,
            ORG.postIn,
            self.refer(f"{pointer}/organization", post.organization, ("organization", "place")),
        )
        self.add(node, ORG.role, role)
        self.add(role, RDF.type, ORG.Role)
        self.add(role, RDFS.label, Literal(post.role))
        self.add(node, KG.evidence, self.span(f"{pointer}/evidence", post.evidence))
        self.add(node, PROV.wasDerivedFrom, self.article)

    def map_metric(self, pointer: str, metric: Metric) -> None:
        self.check_key(f"{pointer}/key", metric.key)
        node = URIRef(f"{self.article}/metric/{metric.key}")
        self.add(node, RDF.type, SCHEMA.Observation)
        self.add(node, SCHEMA.value, self.decimal(f"{pointer}/value", metric.value))
        unit = unit_iri(metric.unit)
        if unit is not None:
            self.add(node, SCHEMA.unitCode, unit)
        self.add(node, SCHEMA.unitText, Literal(metric.unit))
        self.add(
            node,
            KG.qualifier,
            self.choice(f"{pointer}/qualifier", metric.qualifier, QUALIFIER_IRIS),
        )
        self.add(node, KG.metricKind, self.choice(f"{pointer}/kind", metric.kind, METRIC_KIND_IRIS))
        self.add(node, SCHEMA.variableMeasured, Literal(metric.what))
        if metric.about is not None:
            about = self.refer(
                f"{pointer}/about", metric.about, ("person", "organization", "place")
            )
            self.add(node, SCHEMA.observationAbout, about)
        if metric.period is not None:
            self.map_period(f"{pointer}/period", node, metric.period)
        self.add(node, KG.evidence, self.span(f"{pointer}/evidence", metric.evidence))
        self.add(node, PROV.wasDerivedFrom, self.article)

    def map_period(self, pointer: str, node: URIRef, period: Period) -> None:
        literal = self.period_literal(f"{pointer}/value", period.value, period.precision)
        self.add(node, SCHEMA.observationDate, literal)
        self.add(node, KG.periodEvidence, self.span(f"{pointer}/span", period.span))

    def period_literal(self, pointer: str, value: str, precision: str) -> Literal:
        form = _PERIOD_FORMS.get(precision)
        if form is None:
            raise self.fail(pointer, f"precision {precision!r} unknown (expected day, month, year)")
        if not form.match(value):
            raise self.fail(pointer, f"{value!r} is not a {precision} (expected {form.pattern})")
        return Literal(value, datatype=_PERIOD_DATATYPES[precision])

    def decimal(self, pointer: str, value: str) -> Literal:
        if not _DECIMAL.match(value):
            raise self.fail(pointer, f"{value!r} is not a number (expected a decimal like '9.8')")
        return Literal(canonical_decimal(value), datatype=XSD.decimal)

    def choice(self, pointer: str, value: str, iris: dict[str, URIRef]) -> URIRef:
        if value not in iris:
            raise self.fail(pointer, f"{value!r} unknown (expected one of {', '.join(iris)})")
        return iris[value]

    def map_quote(self, pointer: str, quote: Quote) -> None:
        self.check_key(f"{pointer}/key", quote.key)
        node = URIRef(f"{self.article}/quote/{quote.key}")
        self.add(node, RDF.type, SCHEMA.Quotation)
        self.add(node, SCHEMA.text, Literal(quote.text))
        self.add(node, SCHEMA.creator, self.refer(f"{pointer}/speaker", quote.speaker, ("person",)))
        self.add(node, SCHEMA.isPartOf, self.article)
        self.add(node, KG.evidence, self.span(f"{pointer}/evidence", quote.evidence))
        self.add(node, PROV.wasDerivedFrom, self.article)
