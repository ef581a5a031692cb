"""The data tables the extractor reads, loaded once and shaped for lookups."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from importlib import resources

from kg.data import packed_lookup, packed_row, read_lines, read_table, read_words
from kg.model import Geo

GAZETTEER = "gazetteer.tsv.gz"
# Curly apostrophes, and the Latin letters Unicode does not decompose into a letter and an
# accent. tools/make_gazetteer.py folds the same when it writes the gazetteer's names.
_PLACE_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
        "đ": "d", "Đ": "D", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe",
    }
)  # fmt: skip
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})
_GEONAMES_ID = re.compile(r"\bgeonames:([0-9]+)\b")


@dataclass(frozen=True)
class PlaceEntry:
    name: str
    kind: str  # schema.org class: Country, AdministrativeArea, City, Place
    identifier: str  # space-separated: iso3166:CODE, geonames:ID
    # From the large gazetteer only (gazetteer_place): GeoNames' point and population.
    geo: Geo | None = None
    population: int | None = None


@dataclass(frozen=True)
class Unit:
    key: str
    qudt: str
    kind: str


@cache
def places() -> dict[str, PlaceEntry]:
    """Every place name and alias -> its entry (curated rows win over generated ones)."""
    table: dict[str, PlaceEntry] = {}
    for name, (kind, identifier, *_rest) in read_table("places.tsv").items():
        table[name] = PlaceEntry(name, kind, identifier)
    for name, (kind, identifier, *rest) in read_table("places_curated.tsv").items():
        entry = PlaceEntry(name, kind, identifier)
        table[name] = entry
        for alias in rest[0].split(",") if rest and rest[0] else []:
            table[alias.strip()] = entry
    return table


def place(name: str) -> PlaceEntry | None:
    """The gazetteer entry for a name, whichever apostrophe it is written with."""
    return places().get(name.replace("\u2019", "'"))


def gazetteer_place(name: str) -> PlaceEntry | None:
    """The place a name written in text means, or None ("Petronas").

    The tables `place()` reads come first, so that both extractors and the linker agree on a
    name's kind; then the large gazetteer, `kg/data/gazetteer.tsv.gz` (tools/make_gazetteer.py:
    GeoNames' places of 1,000 people or more, ISO 3166 countries and subdivisions, continents,
    one place per name). Case matters; Unicode normal form, curly apostrophes, accents and runs
    of spaces do not: "São Paulo" in NFC or NFD and "Sao Paulo" are one name. The entry's name
    is the one given (NFC); its geo and population come from the large gazetteer, also for a
    name of the first tables when both give it the same GeoNames id (or none).
    """
    written = " ".join(unicodedata.normalize("NFC", name).translate(_APOSTROPHES).split())
    found = _gazetteer_entry(written)
    known = place(written)
    if known is None or found is None or _geonames_id(found) != _geonames_id(known):
        return known or found
    return dataclasses.replace(known, geo=found.geo, population=found.population)


def gazetteer_key(name: str) -> str:
    """A name as the gazetteer stores it: curly apostrophes folded to "'", accents dropped
    ("São Paulo" -> "Sao Paulo", "Łódź" -> "Lodz"), runs of spaces made one."""
    decomposed = unicodedata.normalize("NFD", name.translate(_PLACE_FOLD))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _gazetteer_entry(name: str) -> PlaceEntry | None:
    found = packed_lookup(GAZETTEER, "names", gazetteer_key(name))
    if found is None:
        return None
    kind, identifier, latitude, longitude, population = packed_row(
        GAZETTEER, "places", int(found[0])
    )
    geo = Geo(latitude, longitude) if latitude else None
    return PlaceEntry(name, kind, identifier, geo, int(population) if population else None)


def _geonames_id(entry: PlaceEntry) -> str | None:
    match = _GEONAMES_ID.search(entry.identifier)
    return match.group(1) if match else None


@cache
def place_suffixes() -> tuple[str, ...]:
    return tuple(sorted(read_words("place_suffixes.txt"), key=len, reverse=True))


@cache
def demonyms() -> dict[str, str]:
    """Nationality adjective -> the place name it refers to ("Norwegian" -> "Norway")."""
    return {adjective: values[0] for adjective, values in read_table("demonyms.tsv").items()}


@cache
def titles() -> dict[str, str]:
    """Title phrase (lower case) -> role."""
    return {title: values[0] for title, values in read_table("titles.tsv").items()}


@cache
def title_pattern() -> str:
    """A regex alternative matching any title, longest first, with optional modifiers."""
    heads = sorted(titles(), key=len, reverse=True)
    modifiers = sorted(read_words("title_modifiers.txt"), key=len, reverse=True)
    modifier = "|".join(re.escape(m) for m in modifiers)
    head = "|".join(re.escape(h).replace(r"\ ", r"[ -]") for h in heads)
    return rf"(?:(?:{modifier})[ -])*(?:{head})"


@cache
def org_suffixes() -> frozenset[str]:
    return read_words("org_suffixes.txt")


@cache
def org_abbreviations() -> dict[str, str]:
    return {abbr: values[0] for abbr, values in read_table("org_abbreviations.tsv").items()}


@cache
def unit_forms() -> dict[str, Unit]:
    """Surface form (lower case) -> unit."""
    forms: dict[str, Unit] = {}
    for key, (qudt, kind, *rest) in read_table("units.tsv").items():
        unit = Unit(key, qudt, kind)
        for form in rest[0].split(",") if rest and rest[0] else []:
            forms[form.strip()] = unit
    return forms


@cache
def irregular_plurals() -> dict[str, str]:
    """Plural -> singular where dropping an "s" is wrong ("lives" -> "life")."""
    return {plural: values[0] for plural, values in read_table("irregular_plurals.tsv").items()}


@cache
def qualifiers() -> dict[str, str]:
    return {phrase: values[0] for phrase, values in read_table("qualifiers.tsv").items()}


# given_names_world.txt comes folded to ASCII by unidecode. NFKD takes the accents off most
# letters; these have no decomposition, so they are folded as unidecode folds them, and the
# typographic apostrophes and hyphens of names become the ASCII ones the table is written with.
_NAME_FOLD = str.maketrans(
    {
        "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "ħ": "h", "Ħ": "H", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
        "þ": "th", "Þ": "Th", "\u2018": "'", "\u2019": "'", "\u2010": "-", "\u2011": "-",
    }
)  # fmt: skip


def is_given_name(word: str) -> bool:
    """Whether a word is a given name somewhere in the world ("Robert", "Jean-Claude",
    "Małgorzata", "Kwasi", "Subramanian"): with or without its accents, in any case, a double
    name with a hyphen or a space. Company words can be names too: "Toyota", "Honda", "Chanel",
    "Sydney" are."""
    key = _name_key(word)
    names = given_names_world()
    at = bisect_left(names, key)
    return at < len(names) and names[at] == key


@cache
def given_names_world() -> tuple[str, ...]:
    """The names of given_names_world.txt, sorted as the file is. Searched by bisection: a set
    of its 100,000 names takes several times longer to build than this tuple of them."""
    text = resources.files("kg.data").joinpath("given_names_world.txt").read_text("utf-8")
    lines = text.splitlines()
    first = next(at for at, line in enumerate(lines) if not line.startswith("#"))
    return tuple(lines[first:])


def _name_key(word: str) -> str:
    """A name as given_names_world.txt writes it: "jean claude" and "JEAN-CLAUDE" ->
    "Jean-Claude", "Joaquín" -> "Joaquin", "Małgorzata" -> "Malgorzata"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_NAME_FOLD))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(bare.split()).title()


def words(name: str) -> frozenset[str]:
    return read_words(name)


@cache
def alternation(name: str) -> str:
    """The words of a word list as a regex alternative ("said|says|told"), for patterns."""
    return "|".join(re.escape(word) for word in sorted(read_words(name)))


def lines(name: str) -> tuple[str, ...]:
    return read_lines(name)
