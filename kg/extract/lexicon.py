"""The data tables the extractor reads, loaded once and shaped for lookups."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from importlib import resources

from kg.data import read_lines, read_table, read_words


@dataclass(frozen=True)
class PlaceEntry:
    name: str
    kind: str
    identifier: str


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


@cache
def place_suffixes() -> tuple[str, ...]:
    return tuple(sorted(read_words("place_suffixes.txt"), key=len, reverse=True))


@cache
def demonyms() -> dict[str, str]:
    """Nationality adjective -> the place name it refers to ("German" -> "Germany")."""
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
    """Whether a word is a given name somewhere in the world ("James", "Jean-Pierre", "Michał",
    "Kwasi", "Natarajan"): with or without its accents, in any case, a double name with a hyphen
    or a space. Company words can be names too: "Tata", "Dell", "Sony", "London" are."""
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
    """A name as given_names_world.txt writes it: "jean pierre" and "JEAN-PIERRE" ->
    "Jean-Pierre", "Eloísa" -> "Eloisa", "Michał" -> "Michal"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_NAME_FOLD))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(bare.split()).title()


def words(name: str) -> frozenset[str]:
    return read_words(name)


def lines(name: str) -> tuple[str, ...]:
    return read_lines(name)
