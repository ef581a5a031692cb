"""Run the extraction steps over an article and assemble their findings into a `Record`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.extract.metrics import FoundMetric, find_metrics
from kg.extract.names import Entities, Mention, find_entities
from kg.extract.pipeline import DEFAULT_EXTRACTOR, check_extractor, extractor_info, parse
from kg.extract.posts import FoundPost, find_posts
from kg.extract.quotes import find_quotes
from kg.extract.statistical import add_model_entities
from kg.extract.text import sentences
from kg.model import Article, Entity, Extractor, Metric, Period, Post, Quote, Record, Span
from kg.vocab import slug

if TYPE_CHECKING:
    from spacy.tokens import Doc

_TYPES = (("person", "people"), ("organization", "organizations"), ("place", "places"))


def extract_record(
    article: Article, extractor: str = DEFAULT_EXTRACTOR, doc: Doc | None = None
) -> Record:
    """Find the people, organizations, places, posts, metrics and quotes of one article.

    `doc` is the article's text parsed by the model already (`kg.extract.parse_texts`, which
    parses many articles in one batch); without it the statistical extractor parses the text.
    """
    text = article.text
    split = sentences(text, article.paragraphs)
    found = find_entities(text, split, article.publisher)
    if check_extractor(extractor) == "statistical":
        found = add_model_entities(text, parse(text) if doc is None else doc, found, split)
    mentions = found.sorted_mentions()
    keys = _entity_keys(found)
    record = Record(article=article, extractor=Extractor(**vars(extractor_info(extractor))))
    for type_, field in _TYPES:
        setattr(record, field, _entities(text, found, mentions, keys, type_))
    found_posts = find_posts(text, mentions)
    record.posts = [
        Post(
            key=f"{keys['person', p.person]}/{slug(p.role)}/{_org_key(keys, p)}",
            person=keys["person", p.person],
            role=p.role,
            organization=_org_key(keys, p),
            evidence=_span(text, p.start, p.end),
        )
        for p in found_posts
    ]
    record.quotes = [
        Quote(
            key=f"{q.start}-{q.end}",
            text=q.text,
            speaker=keys["person", q.speaker],
            evidence=_span(text, q.start, q.end),
        )
        for q in find_quotes(text, split, mentions, found_posts)
    ]
    record.metrics = _metrics(text, find_metrics(text, split, mentions, article.published), keys)
    return record


def _org_key(keys: dict[tuple[str, str], str], post: FoundPost) -> str:
    return keys[post.organization.type, post.organization.name]


def _entity_keys(found: Entities) -> dict[tuple[str, str], str]:
    """A key per entity, unique within the record even when two types share a name."""
    keys: dict[tuple[str, str], str] = {}
    used: set[str] = set()
    for type_, _field in _TYPES:
        for name in sorted(found.names(type_)):
            key = slug(name)
            if key in used:
                key = f"{key}-{type_}"
            used.add(key)
            keys[type_, name] = key
    return keys


def _entities(
    text: str,
    found: Entities,
    mentions: list[Mention],
    keys: dict[tuple[str, str], str],
    type_: str,
) -> list[Entity]:
    entities = []
    for name in found.names(type_):
        own = [m for m in mentions if m.type == type_ and m.name == name]
        entities.append(
            Entity(
                key=keys[type_, name],
                name=name,
                aliases=sorted(found.aliases[type_, name] - {name}),
                mentions=[_span(text, m.start, m.end) for m in own],
                kind=found.kinds.get((type_, name)),
            )
        )
    # First mentioned first; entities never mentioned (the publisher) last, by name.
    return sorted(
        entities, key=lambda e: (not e.mentions, e.mentions[0].start if e.mentions else 0, e.name)
    )


def _metrics(text: str, found: list[FoundMetric], keys: dict[tuple[str, str], str]) -> list[Metric]:
    metrics: list[Metric] = []
    seen: dict[str, int] = {}
    for m in found:
        key = f"{m.start}-{m.end}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}-{seen[key]}"
        about = None
        if m.about:
            type_, name = m.about.split(":", 1)
            about = keys.get((type_, name))
        period = None
        if m.period is not None:
            period = Period(m.period.value, m.period.precision, m.period.span)  # type: ignore[arg-type]
        metrics.append(
            Metric(
                key=key,
                value=_decimal_text(m.value),
                unit=m.unit,
                qualifier=m.qualifier,  # type: ignore[arg-type]
                kind=m.kind,  # type: ignore[arg-type]
                what=m.what,
                evidence=_span(text, m.start, m.end),
                about=about,
                period=period,
            )
        )
    return metrics


def _decimal_text(value: object) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _span(text: str, start: int, end: int) -> Span:
    return Span(start, end, text[start:end])
