"""The large place gazetteer (kg/data/gazetteer.tsv.gz, tools/make_gazetteer.py) and
`lexicon.gazetteer_place`, which the statistical extractor asks whether a name is a place."""

from __future__ import annotations

import fnmatch
import gzip
import tomllib
import unicodedata
from pathlib import Path

import pytest

from kg.data import packed_lookup, packed_row
from kg.extract import lexicon
from kg.extract.lexicon import GAZETTEER, gazetteer_key, gazetteer_place
from kg.model import Geo

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "kg" / "data" / GAZETTEER


def table(name: str) -> tuple[str, ...] | None:
    """The large table's row for a name (kind, identifiers, latitude, longitude, population),
    without the small tables gazetteer_place reads first."""
    found = packed_lookup(GAZETTEER, "names", gazetteer_key(name))
    return None if found is None else packed_row(GAZETTEER, "places", int(found[0]))


def row(name: str) -> tuple[str, ...]:
    found = table(name)
    assert found is not None, name
    return found


def entry(name: str) -> lexicon.PlaceEntry:
    found = gazetteer_place(name)
    assert found is not None, name
    return found


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("Cambridge", "geonames:2653941"),  # England's, not Ontario's or Massachusetts'
        ("Kidlington", "geonames:2645722"),  # 13,600 people: over the 1,000 cut
        ("Palo Alto", "geonames:5380748"),
        ("Santa Monica", "geonames:5393212"),
        ("Nottingham", "geonames:2641170"),  # the city, not the unitary authority GB-NGM
    ],
)
def test_cities_are_found_with_their_point(name: str, identifier: str) -> None:
    city = entry(name)
    assert (city.name, city.kind, city.identifier) == (name, "City", identifier)
    assert city.geo is not None and city.population is not None and city.population > 1000


def test_cambridge_carries_geonames_point_and_population() -> None:
    assert gazetteer_place("Cambridge") == lexicon.PlaceEntry(
        "Cambridge", "City", "geonames:2653941", Geo("52.2", "0.11667"), 145674
    )


def test_a_subdivision_is_found_by_its_name_without_the_administrative_word() -> None:
    # ISO 3166-2 writes "Hebei Sheng", "Adygeya, Respublika", "Bristol, City of".
    assert row("Hebei")[:2] == ("AdministrativeArea", "iso3166:CN-HE")
    assert row("Hebei Sheng")[:2] == ("AdministrativeArea", "iso3166:CN-HE")
    assert row("Adygeya")[:2] == ("AdministrativeArea", "iso3166:RU-AD")
    assert row("Respublika Adygeya")[:2] == ("AdministrativeArea", "iso3166:RU-AD")
    assert gazetteer_place("Hebei") == lexicon.PlaceEntry(
        "Hebei", "AdministrativeArea", "iso3166:CN-HE"
    )


def test_a_country_is_found_by_its_common_name() -> None:
    # pycountry's name is "Tanzania, United Republic of"; its common name is "Tanzania".
    assert row("Tanzania")[:2] == ("Country", "iso3166:TZ geonames:149590")
    assert row("United Republic of Tanzania")[:2] == ("Country", "iso3166:TZ geonames:149590")
    assert table("Tanzania, United Republic of") is None
    assert (entry("Tanzania").kind, entry("Tanzania").population) == ("Country", 56318348)


def test_spellings_of_one_name_find_one_place() -> None:
    nfd = entry(unicodedata.normalize("NFD", "São Paulo"))
    assert nfd.name == "São Paulo"  # the name as written, in NFC
    assert entry("São Paulo").identifier == nfd.identifier == "geonames:3448439"
    assert entry("Sao Paulo").identifier == "geonames:3448439"
    assert entry("Palo  Alto").identifier == "geonames:5380748"
    assert table("Łódź") == table("Lodz") and row("Łódź")[1] == "geonames:3093133"
    # Curly apostrophes: "Xi’an" is "Xi'an", in the small table and in the large one.
    assert entry("Xi\u2019an").identifier == entry("Xi'an").identifier == "geonames:1790630"
    assert lexicon.place("Xi'an") == lexicon.PlaceEntry("Xi'an", "City", "geonames:1790630")
    assert table("Xi\u2019an") == table("Xi'an") and row("Xi'an")[1] == "geonames:1790630"


@pytest.mark.parametrize("name", ["Petronas", "Novatek", "cambridge", "CAMBRIDGE", ""])
def test_companies_and_other_case_are_not_places(name: str) -> None:
    assert gazetteer_place(name) is None


def test_one_place_per_name_by_the_documented_order() -> None:
    # 1. countries and continents first, even over a city as populous ("Singapore") or one of
    # whose names it is ("Guatemala"); 2. cities of a million people over a subdivision.
    assert row("Singapore")[0] == "Country"
    assert row("Guatemala")[:2] == ("Country", "iso3166:GT geonames:3595528")
    assert row("Oceania")[:2] == ("Place", "geonames:6255151")
    assert row("São Paulo")[:2] == ("City", "geonames:3448439")  # not the state BR-SP
    assert row("Tokyo")[:2] == ("City", "geonames:1850147")  # not the prefecture JP-13
    # 3. a first-level subdivision over an alternate name of a city of a million: Hengyang's
    # "Henan", New York City's "New York".
    assert row("Henan")[:2] == ("AdministrativeArea", "iso3166:CN-HA")
    assert row("New York")[:2] == ("AdministrativeArea", "iso3166:US-NY geonames:5128638")
    assert row("New York City")[:2] == ("City", "geonames:5128581")
    # A city's own name over another's alternate name, unless 100 times as populous.
    assert row("Laiwu")[1] == "geonames:1804591"  # not Shantou
    assert row("Calcutta")[1] == "geonames:1275004"  # Kolkata, not Calcutta, South Africa
    assert row("Peking")[1] == "geonames:1816670"


def test_the_small_tables_come_first_and_keep_their_kinds() -> None:
    # places.tsv says the province; the large table alone would say Jilin City.
    assert gazetteer_place("Jilin") == lexicon.place("Jilin")
    assert row("Jilin")[:2] == ("City", "geonames:2036502")
    # A curated alias, given the large table's point for the same GeoNames id.
    peking = entry("Peking")
    assert (peking.name, peking.kind, peking.geo) == (
        "Beijing",
        "City",
        Geo("39.9075", "116.39723"),
    )
    assert gazetteer_place("Xiong\u2019an New Area") == lexicon.place("Xiong'an New Area")


def test_place_is_unchanged_by_the_large_table() -> None:
    # The rules extractor depends on place(): the large table does not leak into it.
    assert lexicon.place("Kidlington") is None
    assert lexicon.place("Beijing") == lexicon.PlaceEntry("Beijing", "City", "geonames:1816670")


def test_every_name_is_stored_in_lookup_form_and_sorted() -> None:
    lines = gzip.decompress(TABLE.read_bytes()).decode("utf-8").splitlines()
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    places = [row for row in rows if len(row) == 5]
    names = [row for row in rows if len(row) == 2]
    assert len(places) + len(names) == len(rows)
    assert len(names) > 300_000 and len(places) > 150_000
    keys = [name for name, _ in names]
    assert keys == sorted(keys)  # the reader bisects them
    # gazetteer_key changes ASCII text only in its spacing, and most names are ASCII once folded.
    assert [key for key in keys if key != " ".join(key.split())] == []
    assert [key for key in keys if not key.isascii() and gazetteer_key(key) != key] == []
    assert all(0 <= int(number) < len(places) for _, number in names)
    assert {kind for kind, *_ in places} == {"Country", "AdministrativeArea", "City", "Place"}


def test_the_table_names_its_sources_and_ships_in_the_wheel() -> None:
    with gzip.open(TABLE, "rt", encoding="utf-8") as lines:
        header = "".join(line for line, _ in zip(lines, range(6), strict=False))
    assert "GeoNames" in header and "CC-BY 4.0" in header
    assert "pycountry" in header and "iso-codes" in header
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["kg"]
    assert any(fnmatch.fnmatch(f"data/{GAZETTEER}", pattern) for pattern in patterns)
