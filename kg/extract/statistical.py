"""The statistical layer: the trained model's named entities, checked by kg's rules and tables.

The model finds names the rules have no pattern or list for (a company without "Inc" or
"Group", a small town, a name on no list); the rules keep what they recognise with certainty
(an organization head word, the gazetteer, a Chinese name, a known given name) and overrule the
model's usual errors: a name the model calls a place but no gazetteer knows and the text treats
as a company ("Norvatek shares") is an organization; a product or a title of a work is no
entity at all.

Where the rules found a name only by its context ("Acme Holdings said"), the model's label wins.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kg.extract import lexicon, names
from kg.extract.names import Entities, Mention, nfc
from kg.extract.text import Sentence

if TYPE_CHECKING:
    from spacy.tokens import Doc

_ENTITY_TYPES = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
# Labels of things that are not people, organizations or places: a rule name the model gives
# one of these (a car model as PRODUCT, a film title as WORK_OF_ART) is dropped.
_NOT_ENTITIES = frozenset({"PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "LANGUAGE"})
_LEADING_ARTICLE = re.compile(r"^(?:the|The)\s+")
_LEADING_HONORIFIC = re.compile(rf"(?:{lexicon.alternation('honorifics.txt')})\.?\s+(?=[A-Z])")
_BRACKET = re.compile(r"\s*\(")
_PERSON_BREAK = re.compile(r"\s*\(|['’]s\s")
# A full stop ends a name only when it is no abbreviation's last dot ("U.S.").
_TRAILING = re.compile(r"(?:['’]s|['’]|[\s,;:]|(?<![A-Z]\.[A-Z])\.)+$")


@cache
def _leading_title() -> re.Pattern[str]:
    return re.compile(rf"(?i:{lexicon.title_pattern()})\s+(?=[A-Z])")


@dataclass(frozen=True)
class ModelName:
    """A named entity of the model, trimmed to the name itself."""

    start: int
    end: int
    label: str

    def text(self, text: str) -> str:
        return text[self.start : self.end]


def add_model_entities(text: str, doc: Doc, found: Entities, sentences: list[Sentence]) -> Entities:
    """The rules' entities checked against the model's, with the names only the model found."""
    model = [trimmed for ent in doc.ents if (trimmed := _trimmed(text, ent))]
    merged = Entities(kinds=dict(found.kinds))
    for ident, aliases in found.aliases.items():
        if not any((m.type, m.name) == ident for m in found.mentions):
            merged.register(*ident)  # the publisher: known without a mention
            merged.aliases[ident] |= aliases
    weak: list[Mention] = []
    # A name with an organization head word around a rule's place is that organization:
    # "the Bank of Kenya" holds no mention of Kenya.
    headed = [n for n in model if names.org_head_index(n.text(text)) is not None]
    inside = [
        m
        for m in found.mentions
        if any(
            n.start <= m.start and m.end <= n.end and (n.start, n.end) != (m.start, m.end)
            for n in headed
        )
    ]
    for (type_, name), own in _by_entity([m for m in found.mentions if m not in inside]).items():
        if type_ == "organization" and name in lexicon.words("not_organizations.txt"):
            continue  # "IT services": an acronym the rules took for a company
        label = _vote(own, model)
        if _is_certain(type_, name) or label is None or _ENTITY_TYPES.get(label) == type_:
            for mention in own:
                merged.add(mention, found.kinds.get((type_, name)), is_alias=False)
            merged.aliases.setdefault((type_, name), set()).update(
                found.aliases.get((type_, name), set())
            )
        elif label in _ENTITY_TYPES:
            # Re-typed as the model says, where the model's own names leave room.
            weak += [dataclasses.replace(m, type=_ENTITY_TYPES[label]) for m in own]
    _add_model_names(text, model, merged)
    for mention in weak:
        merged.add(mention)
    names.demonym_governments(text, merged)  # for the people only the model found
    names.link_short_mentions(text, sentences, merged)
    _fold_surnames(merged)
    return merged


def _fold_surnames(entities: Entities) -> None:
    """ "Mr Halvorsen" found by the rules before the model found "Ingrid Halvorsen": one
    person, named in full."""
    full_of: dict[str, str] = {}
    for type_, name in sorted(entities.aliases):
        if type_ == "person" and " " in name:
            for form in names.short_forms("person", name):
                full_of.setdefault(form, name)
    for mention in entities.mentions:
        full = full_of.get(mention.name) if mention.type == "person" else None
        if full is not None:
            entities.aliases[("person", full)].add(nfc(mention.text))
            entities.aliases.pop(("person", mention.name), None)
            mention.name = full


def _trimmed(text: str, ent: object) -> ModelName | None:
    start, end, label = ent.start_char, ent.end_char, ent.label_  # type: ignore[attr-defined]
    if label == "NORP" and _is_group_name(text[start:end]):
        label = "ORG"  # "the Greens", "Social Democrats": a party, not a nationality
    if label not in _ENTITY_TYPES:
        return ModelName(start, end, label) if label in _NOT_ENTITIES else None
    value = text[start:end]
    lead = _LEADING_ARTICLE.match(value)
    if lead:
        start += lead.end()
    honorific = _LEADING_HONORIFIC.match(text, start, end)
    if honorific:
        start, label = honorific.end(), "PERSON"  # "Mr Halvorsen" tagged ORG is a person
    title = _leading_title().match(text, start, end)
    if title:
        start = title.end()  # "President Anna Berg": the title is not part of the name
    # "Committee (NPC", and a person's "Anna Berg's Oscar": the name before the break
    # (an organization may hold a possessive: "Chinese People's Political ... Conference").
    cut = (_PERSON_BREAK if label == "PERSON" else _BRACKET).search(text, start, end)
    if cut:
        end = cut.start()
    trail = _TRAILING.search(text, start, end)
    if trail:
        end = trail.start()
    value = text[start:end]
    if not value[:1].isupper() or "\n" in value or ", " in value:
        return None  # a span over a comma runs two names together
    return ModelName(start, end, label)


def _is_group_name(value: str) -> bool:
    """A plural the model calls a nationality or group that no nationality table knows:
    political parties and movements ("Greens", "Social Democrats")."""
    value = _LEADING_ARTICLE.sub("", value)
    last = value.split(" ")[-1]
    if not value[:1].isupper() or not last.endswith("s") or last.endswith("ss"):
        return False
    singular = value[:-3] + "y" if value.endswith("ies") else value[:-1]
    if singular in lexicon.demonyms() or singular in lexicon.places():
        return False
    return not singular.endswith(_NATIONALITY_ENDINGS)


# Endings of peoples' names ("Americans", "Chinese", "Britons"), not of parties'.
_NATIONALITY_ENDINGS = ("an", "ese", "ish", "i", "on")


def _by_entity(mentions: list[Mention]) -> dict[tuple[str, str], list[Mention]]:
    grouped: dict[tuple[str, str], list[Mention]] = {}
    for mention in sorted(mentions, key=lambda m: (m.start, m.end)):
        grouped.setdefault((mention.type, mention.name), []).append(mention)
    return grouped


def _vote(mentions: list[Mention], model: list[ModelName]) -> str | None:
    """The model's most frequent label over the mentions of one rule entity, if any."""
    labels = Counter(
        name.label
        for mention in mentions
        for name in model
        if name.start < mention.end and mention.start < name.end
    )
    return min(labels, key=lambda label: (-labels[label], label)) if labels else None


def _is_certain(type_: str, name: str) -> bool:
    """Whether a rule entity rests on a table or a head word rather than on its context."""
    words = name.split(" ")
    if type_ == "organization":
        return (
            names.org_head_index(name) is not None
            or words[-1] in lexicon.words("org_lowercase_heads.txt")  # "the Hebei delegation"
            or name in lexicon.org_abbreviations().values()
            or bool(names.ACRONYM.match(name))
        )
    if type_ == "place":
        return _known_place(name)
    return names.is_chinese_name(words) or words[0] in lexicon.words("given_names.txt")


def _known_place(name: str) -> bool:
    """In kg's gazetteer: a country, a province or state, or a large city."""
    return _place_entry(name) is not None


# A town the model calls a place without the text saying where: big enough to be the place
# meant rather than a name that a hamlet somewhere also has (a surname, a programme's title).
_TOWN = 15_000


def _place_entry(name: str) -> lexicon.PlaceEntry | None:
    """kg's own gazetteer entry, also for a dateline in capitals ("SAN FRANCISCO, Nov. 18")."""
    return _in_capitals_too(lexicon.place, name)


def _world_place(name: str) -> lexicon.PlaceEntry | None:
    """The entry of the world's gazetteer (GeoNames cities of 1,000 people, ISO 3166-2)."""
    return _in_capitals_too(lexicon.gazetteer_place, name)


def _in_capitals_too(
    lookup: Callable[[str], lexicon.PlaceEntry | None], name: str
) -> lexicon.PlaceEntry | None:
    entry = lookup(name)
    if entry is None and name.isupper() and len(name) > 3:
        entry = lookup(name.title())
    return entry


def _short_forms(entities: Entities) -> dict[str, tuple[str, str]]:
    """Surnames and initials of the entities known so far, to link the model's short names."""
    forms: dict[str, tuple[str, str]] = {}
    for type_, name in entities.aliases:
        for form in names.short_forms(type_, name):
            forms.setdefault(form, (type_, name))
    return forms


def _add_model_names(text: str, model: list[ModelName], entities: Entities) -> None:
    """Each name the model found, typed once from all its mentions, then added where free.

    Names of several words go first, so that a lone surname the model tags ORG ("Halvorsen")
    is then read as the short form of the person it names.
    """
    by_value: dict[str, list[ModelName]] = {}
    for name in model:
        if name.label in _ENTITY_TYPES:
            by_value.setdefault(nfc(name.text(text)), []).append(name)
    full_names = {v: f for v, f in by_value.items() if " " in v}
    _add_values(text, full_names, entities, _short_forms(entities))
    lone_words = {v: f for v, f in by_value.items() if " " not in v}
    _add_values(text, lone_words, entities, _short_forms(entities))


def _add_values(
    text: str,
    by_value: dict[str, list[ModelName]],
    entities: Entities,
    short: dict[str, tuple[str, str]],
) -> None:
    for value, found in by_value.items():
        type_: str | None
        type_, full = short[value] if value in short else (_type_of(text, value, found), value)
        if type_ is None:
            continue
        kind = None
        if type_ == "place":
            entry = _place_entry(full) or _world_place(full)
            full, kind = (entry.name, entry.kind) if entry else (full, "Place")
        for name in found:
            entities.add(Mention(name.start, name.end, name.text(text), type_, full), kind)
            if type_ == "organization":
                names.add_nested_orgs(name.start, name.text(text), entities)


def _type_of(text: str, value: str, found: list[ModelName]) -> str | None:
    """Person, organization or place for a name the model found, or None to drop it.

    Tables and head words first, then how the text uses the name, then the model's own
    most frequent label.
    """
    words = value.split(" ")
    labels = Counter(_ENTITY_TYPES[n.label] for n in found)
    if value in lexicon.words("not_organizations.txt") or value in lexicon.org_suffixes():
        return None  # "AI", "State-owned", or "Group" standing alone for a group named before
    if len(words) > 1 and _MODEL_NUMBER.fullmatch(words[-1]):
        return None  # "Acme Roadster C200", "Acme S": a product, named by its model
    if names.org_head_index(value) is not None or _company_context(text, value, found):
        return "organization"
    if _known_place(value):
        return "place"
    # The world's gazetteer holds towns named like companies ("Nokia", "Shell"): it settles a
    # name only the model or the text already places somewhere.
    world = _world_place(value)
    if world is not None and (
        _place_context(text, value, found)
        or (labels["place"] == max(labels.values()) and (world.population or 0) >= _TOWN)
    ):
        return "place"
    if _person_context(text, value, found) or words[0] in lexicon.words("given_names.txt"):
        return "person" if len(words) > 1 or labels["person"] else None
    type_ = min(labels, key=lambda t: (-labels[t], t))
    if type_ == "person" and (len(words) == 1 or value.isupper()):
        return None  # a lone word the model guesses to be a name: a brand as often as not
    if type_ == "place" and not _place_context(text, value, found):
        return None  # no gazetteer knows it and nothing in the text says it is somewhere
    return type_


_LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near|outside|around|across)\s+(?:the\s+)?$")


def _place_context(text: str, value: str, mentions: list[ModelName]) -> bool:
    """ "in Swindon", "a plant at Halewood", "Hebei province": where things happen."""
    if any(value.endswith(" " + suffix) for suffix in lexicon.place_suffixes()):
        return True
    return any(_LOCATIVE_BEFORE.search(text[max(0, n.start - 12) : n.start]) for n in mentions)


_COMPANY_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:shares?|stake|chief|boss|bosses|executives?|board|management|chairman|"
    r"spokes(?:man|woman|person)|said\s+it|says\s+it|owns|bought|sold|announced)\b"
)
_COMPANY_BEFORE = re.compile(
    rf"\b(?:shares\s+in|stake\s+in|control\s+(?:of|over)|(?:{lexicon.alternation('org_common_nouns.txt')}))\s+$"
)
_PERSON_BEFORE = re.compile(rf"\b(?:{lexicon.alternation('honorifics.txt')})\.?\s+$")


def _person_context(text: str, value: str, mentions: list[ModelName]) -> bool:
    """ "Mr Miller", "Lord Hanningfield": an honorific before any mention; or a given name
    first and a title beside the name ("chief executive Ingrid Halvorsen", "Anna Berg,
    president of ...")."""
    if any(_PERSON_BEFORE.search(text[max(0, n.start - 8) : n.start]) for n in mentions):
        return True
    words = value.split(" ")
    if not 2 <= len(words) <= 4 or not lexicon.is_given_name(words[0]):
        return False
    return any(
        _title_before_name().search(text[max(0, n.start - 40) : n.start])
        or _title_after_name().match(text, n.end)
        for n in mentions
    )


@cache
def _title_before_name() -> re.Pattern[str]:
    return re.compile(rf"\b(?i:{lexicon.title_pattern()})\s+$")


@cache
def _title_after_name() -> re.Pattern[str]:
    return re.compile(rf",\s+(?:(?:the|a|an|its|now|then)\s+)?(?i:{lexicon.title_pattern()})\b")


def _company_context(text: str, value: str, mentions: list[ModelName]) -> bool:
    """A name no gazetteer knows, used the way news uses a company's name: "Norvatek shares",
    "oil firm Norvatek", "Norway's Norvatek" (a country's, unless a given name says person)."""
    owned = " " not in value or not lexicon.is_given_name(value.split(" ")[0])
    for name in mentions:
        if _COMPANY_AFTER.match(text, name.end) or text.startswith("-owned", name.end):
            return True
        before = text[max(0, name.start - 30) : name.start]
        if _COMPANY_BEFORE.search(before):
            return True
        country = _PLACE_POSSESSIVE.search(before)
        if owned and country and lexicon.place(country.group(1)) is not None:
            return True
    return False


_MODEL_NUMBER = re.compile(r"[A-Z]{0,3}\d{2,4}[a-z]*|[A-Z]")
_PLACE_POSSESSIVE = re.compile(r"\b([A-Z][\w.]*(?: [A-Z][\w.]*)?)['’]s\s+$")
