"""The record model: plain dataclasses for an article and what was extracted from it.

A `Record` is what `kg extract` writes as JSON (checked by `shapes/record.schema.json`) and what
`kg map` turns into RDF. Entities refer to each other by `key` (a slug such as ``ni-yuefeng``),
which is also the last segment of their IRI. Every fact carries `Span`s: character offsets
into `Article.text` (the body, paragraphs joined by a blank line), end exclusive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RECORD_VERSION = "1.0"

Qualifier = Literal["exact", "approximately", "more_than", "at_least", "less_than", "up_to"]
MetricKind = Literal["level", "change", "share"]
Precision = Literal["day", "month", "year"]
EntityType = Literal["person", "organization", "place"]

QUALIFIERS: tuple[str, ...] = (
    "exact",
    "approximately",
    "more_than",
    "at_least",
    "less_than",
    "up_to",
)
METRIC_KINDS: tuple[str, ...] = ("level", "change", "share")


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of the article body: `text == article.text[start:end]`."""

    start: int
    end: int
    text: str


@dataclass
class Image:
    name: str
    width: int | None = None
    height: int | None = None


@dataclass
class Article:
    """One ingested article. `text` is the body; `paragraphs` are spans into it."""

    title: str
    text: str
    paragraphs: list[Span]
    url: str | None = None
    publisher: str | None = None
    published: str | None = None  # ISO date YYYY-MM-DD
    language: str = "en"
    images: list[Image] = field(default_factory=list)
    source: str | None = None  # the input file name, for messages and provenance
    authors: list[str] = field(default_factory=list)  # bylines of a saved page, e.g. ["Li Hongyu"]


@dataclass(frozen=True)
class Geo:
    """Where a place is: WGS 84 latitude and longitude in degrees, as exact decimal strings."""

    latitude: str  # "39.9075", from -90 to 90
    longitude: str  # "116.39723", from -180 to 180


@dataclass
class Entity:
    """A person, organization or place, with every mention found in the text.

    `same_as`, `iso3166` and `geo` are its links to other datasets (`kg.link`), kept in the
    record so that a user can check and edit them; places alone have the last two.
    """

    key: str
    name: str
    aliases: list[str] = field(default_factory=list)
    mentions: list[Span] = field(default_factory=list)
    kind: str | None = None  # finer type: GovernmentOrganization, City, AdministrativeArea, ...
    # The same thing elsewhere: "http://www.wikidata.org/entity/Q148",
    # "https://sws.geonames.org/1816670/".
    same_as: list[str] = field(default_factory=list)
    iso3166: str | None = None  # a place's ISO 3166-1 or 3166-2 code: "CN", "CN-HE"
    geo: Geo | None = None  # a place's coordinates


@dataclass
class Post:
    """A role a person holds in an organization (or in a place's government: "governor of X")."""

    key: str
    person: str  # Entity.key of a person
    role: str  # lower-case head noun of the title, e.g. "secretary", "deputy director"
    organization: str  # Entity.key of an organization or a place
    evidence: Span


@dataclass
class Period:
    """When a metric holds: an ISO date, year-month or year, with the words that said so."""

    value: str  # "2024-12-31", "2024-10" or "2024"
    precision: Precision
    span: Span


@dataclass
class Metric:
    key: str
    value: str  # decimal as a string, exact: "9.8", "69450000000"
    unit: str  # key of kg/data/units.tsv, or a counted noun in the singular ("enterprise")
    qualifier: Qualifier
    kind: MetricKind
    what: str  # a short phrase for what is measured
    evidence: Span
    about: str | None = None  # Entity.key
    period: Period | None = None


@dataclass
class Quote:
    key: str
    text: str
    speaker: str  # Entity.key of a person
    evidence: Span  # the quoted text itself, without the quotation marks


@dataclass(frozen=True)
class Extractor:
    """What extracted a record, for its provenance: kg's extractor and the trained model it ran.

    The fields of `kg.extract.ExtractorInfo`; the mapper makes the model's name and version part
    of the agent's IRI, so they are plain names ("en_core_web_sm", "3.8.0").
    """

    name: str  # one of kg.extract.EXTRACTORS: "statistical" or "rules"
    model: str | None = None  # "en_core_web_sm"; None for the rules
    model_version: str | None = None  # "3.8.0"
    library: str | None = None  # "spacy 3.8.7": in the record only, not in the graph


@dataclass
class Record:
    article: Article
    people: list[Entity] = field(default_factory=list)
    organizations: list[Entity] = field(default_factory=list)
    places: list[Entity] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    # None for a record made by hand, or by a kg that did not record it: it maps all the same.
    extractor: Extractor | None = None
    version: str = RECORD_VERSION

    def entity(self, key: str) -> tuple[EntityType, Entity] | None:
        """The entity with this key and its type, or None."""
        for kind, entities in (
            ("person", self.people),
            ("organization", self.organizations),
            ("place", self.places),
        ):
            for entity in entities:
                if entity.key == key:
                    return kind, entity  # type: ignore[return-value]
        return None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data, in the layout of `shapes/record.schema.json`."""
        data = asdict(self)
        return {"version": data.pop("version"), **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Build a record from data already checked against the record schema."""
        article_data = dict(data["article"])
        article = Article(
            **{
                **article_data,
                "paragraphs": [Span(**p) for p in article_data["paragraphs"]],
                "images": [Image(**i) for i in article_data.get("images", [])],
            }
        )

        def entities(items: list[dict[str, Any]]) -> list[Entity]:
            return [
                Entity(
                    **{
                        **e,
                        "mentions": [Span(**m) for m in e.get("mentions", [])],
                        "geo": None if e.get("geo") is None else Geo(**e["geo"]),
                    }
                )
                for e in items
            ]

        def metric(m: dict[str, Any]) -> Metric:
            period = m.get("period")
            return Metric(
                **{
                    **m,
                    "evidence": Span(**m["evidence"]),
                    "period": None
                    if period is None
                    else Period(**{**period, "span": Span(**period["span"])}),
                }
            )

        return cls(
            version=data["version"],
            article=article,
            people=entities(data.get("people", [])),
            organizations=entities(data.get("organizations", [])),
            places=entities(data.get("places", [])),
            posts=[Post(**{**p, "evidence": Span(**p["evidence"])}) for p in data.get("posts", [])],
            metrics=[metric(m) for m in data.get("metrics", [])],
            quotes=[
                Quote(**{**q, "evidence": Span(**q["evidence"])}) for q in data.get("quotes", [])
            ],
            extractor=None if data.get("extractor") is None else Extractor(**data["extractor"]),
        )
