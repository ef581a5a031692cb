"""Entity linking, offline (`kg/link.py`): the gazetteer, the alias tables, and what the links
become in the record, the graph and the JSON-LD."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.api import build_record
from kg.data import read_table
from kg.errors import InputError, MappingError
from kg.link import (
    GEONAMES,
    WIKIDATA,
    Links,
    default_links,
    link_entity,
    link_record,
    parse_links,
    place_link,
    read_links,
)
from kg.mapping import map_record
from kg.model import Article, Entity, Geo, Record, Span
from kg.record import check_record_json, record_problems
from kg.serialize import Format, serialize_graph
from kg.validate import validate_graph
from kg.vocab import KG, SCHEMA

ROOT = Path(__file__).parents[1]
BAD_LINKS = Path(__file__).parent / "fixtures" / "bad_links"
BEIJING = GEONAMES.format("1816670")

# One row per way a links file can be wrong: (file in tests/fixtures/bad_links/, line, fragment).
BAD = [
    ("wrong-header.csv", 1, "header 'name,type,id' (expected 'type,name,id')"),
    ("no-header.csv", None, "no header"),
    ("unknown-type.csv", 2, "type 'company' unknown"),
    ("empty-name.csv", 2, "empty name"),
    ("bad-id.csv", 2, "'53536' is neither a Wikidata QID nor an http(s) IRI"),
    ("not-http-iri.csv", 2, "'urn:x:1' is neither a Wikidata QID nor an http(s) IRI"),
    ("two-columns.csv", 2, "2 columns (expected 3"),
    ("conflicting-rows.csv", 4, "is linked to http://www.wikidata.org/entity/Q1 on line 2"),
    ("unclosed-quote.csv", 2, "not CSV"),
    ("latin1.csv", None, "not UTF-8"),
    ("missing.csv", None, "no such file"),
]


def place(name: str, *aliases: str, kind: str | None = None) -> Entity:
    return Entity(key="x", name=name, aliases=list(aliases), kind=kind)


def write_links(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "links.csv"
    path.write_text("type,name,id\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# --- places --------------------------------------------------------------------------------------


def test_a_city_gets_its_geonames_id_and_coordinates() -> None:
    linked = link_entity("place", place("Beijing", kind="City"), Links())
    assert linked.same_as == [BEIJING]
    assert linked.geo == Geo("39.9075", "116.39723")
    assert linked.iso3166 is None


def test_a_province_gets_its_iso_3166_2_code() -> None:
    linked = link_entity("place", place("Hebei", "Hebei province"), Links())
    assert (linked.iso3166, linked.same_as, linked.geo) == ("CN-HE", [], None)


def test_a_country_gets_its_iso_code_geonames_id_and_wikidata_item() -> None:
    linked = link_entity("place", place("China", kind="Country"), default_links())
    assert linked.iso3166 == "CN"
    assert linked.same_as == [GEONAMES.format("1814991"), WIKIDATA + "Q148"]


def test_curated_aliases_and_curly_apostrophes_link_too() -> None:
    assert link_entity("place", place("Peking"), Links()).same_as == [BEIJING]
    assert place_link("People\u2019s Republic of China") is None  # not a gazetteer name
    assert place_link("Xi\u2019an") == place_link("Xi'an")


def test_a_place_the_gazetteer_lacks_stays_unlinked() -> None:
    entity = place("Xiong'an New Area", "Xiong'an", kind="AdministrativeArea")
    assert link_entity("place", entity, default_links()) == entity


def test_names_that_name_two_places_link_neither() -> None:
    entity = place("Beijing", "Shanghai")
    assert link_entity("place", entity, Links()) == entity


def test_a_place_of_another_type_than_the_gazetteer_s_stays_unlinked() -> None:
    entity = place("Beijing", kind="Country")
    assert link_entity("place", entity, Links()) == entity


def test_links_a_record_has_are_kept_and_not_repeated() -> None:
    mine = Geo("39.9", "116.4")
    entity = dataclasses.replace(
        place("Beijing"), same_as=["https://example.org/beijing", BEIJING], geo=mine
    )
    linked = link_entity("place", entity, Links())
    assert linked.same_as == ["https://example.org/beijing", BEIJING]
    assert linked.geo == mine


@pytest.mark.parametrize(
    ("name", "kind", "identifiers"),
    [
        ("Alaska", "AdministrativeArea", ("US-AK", "5879092")),
        ("United Kingdom", "Country", ("GB", "2635167")),
        ("Guangdong", "AdministrativeArea", ("CN-GD", None)),
        ("Shanghai", "City", (None, "1796236")),
    ],
)
def test_the_gazetteer(name: str, kind: str, identifiers: tuple[str | None, ...]) -> None:
    found = place_link(name)
    assert found is not None
    assert (found.kind, (found.iso3166, found.geonames)) == (kind, identifiers)


def test_every_coordinate_is_a_decimal_in_range() -> None:
    table = read_table("geonames.tsv")
    assert len(table) > 500
    for gid, (latitude, longitude) in table.items():
        assert gid.isdigit()
        assert abs(Decimal(latitude)) <= 90 and abs(Decimal(longitude)) <= 180, gid
        for value in (latitude, longitude):
            assert "e" not in value.lower(), gid  # plain decimals, as xsd:decimal wants


def test_every_city_of_the_gazetteer_has_coordinates() -> None:
    places = {**read_table("places.tsv"), **read_table("places_curated.tsv")}
    cities = [name for name, (kind, *_) in places.items() if kind == "City"]
    assert cities
    for name in cities:
        found = place_link(name)
        assert found is not None and found.geo is not None, name


# --- alias tables --------------------------------------------------------------------------------


def test_people_and_organizations_link_through_the_packaged_table() -> None:
    person = link_entity("person", Entity("xi-jinping", "Xi Jinping"), default_links())
    assert person.same_as == [WIKIDATA + "Q15031"]
    fed = link_entity("organization", Entity("fed", "Federal Reserve", ["Fed"]), default_links())
    assert fed.same_as == [WIKIDATA + "Q53536"]


def test_a_name_links_only_entities_of_its_type() -> None:
    entity = Entity("xi-jinping", "Xi Jinping")
    assert link_entity("organization", entity, default_links()) == entity


def test_an_unknown_name_stays_unlinked() -> None:
    entity = Entity("ni-yuefeng", "Ni Yuefeng", ["Ni"])
    assert link_entity("person", entity, default_links()) == entity


def test_a_name_and_an_alias_that_name_two_items_link_neither() -> None:
    links = parse_links("type,name,id\norganization,BA,Q1\norganization,British Airways,Q2\n")
    entity = Entity("ba", "British Airways", ["BA"])
    assert link_entity("organization", entity, links) == entity


def test_the_packaged_table_is_wikidata_items() -> None:
    text = (ROOT / "kg" / "data" / "links.csv").read_text(encoding="utf-8")
    rows = [row for row in csv.reader(text.splitlines()) if row and not row[0].startswith("#")]
    assert rows[0] == ["type", "name", "id"]
    assert len(default_links()) == len(rows) - 1
    for kind, name, ident in rows[1:]:
        assert ident.startswith("Q") and ident[1:].isdigit(), name
        assert default_links().get(kind, name) == WIKIDATA + ident


def test_a_table_of_your_own_adds_names_and_overrides(tmp_path: Path) -> None:
    path = write_links(
        tmp_path,
        "organization,Bank of Japan,https://example.org/boj",
        "person,Xi Jinping,https://example.org/xi",
        "# a comment",
        "",
    )
    links = read_links(path)
    record = Record(
        article=_article(),
        people=[Entity("xi-jinping", "Xi Jinping")],
        organizations=[Entity("bank-of-japan", "Bank of Japan"), Entity("fed", "Federal Reserve")],
    )
    linked = link_record(record, links)
    assert linked.people[0].same_as == ["https://example.org/xi"]
    assert linked.organizations[0].same_as == ["https://example.org/boj"]
    assert linked.organizations[1].same_as == [WIKIDATA + "Q53536"]
    assert record.people[0].same_as == []  # the record given is not changed


def test_names_match_whatever_their_apostrophes_and_spaces() -> None:
    links = parse_links("type,name,id\norganization,People's Bank  of China,Q5\n")
    assert links.get("organization", "People\u2019s Bank of China") == WIKIDATA + "Q5"


def test_a_bom_and_windows_line_ends_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "links.csv"
    path.write_bytes("\ufefftype,name,id\r\nperson,Jane Roe,Q42\r\n".encode())
    assert read_links(path).get("person", "Jane Roe") == WIKIDATA + "Q42"


@pytest.mark.parametrize(("name", "line", "fragment"), BAD, ids=[name for name, *_ in BAD])
def test_a_bad_links_file_is_refused_naming_the_line(
    name: str, line: int | None, fragment: str
) -> None:
    with pytest.raises(InputError) as caught:
        read_links(BAD_LINKS / name)
    message = str(caught.value)
    where = f"{BAD_LINKS / name}: " + (f"line {line}: " if line else "")
    assert message.startswith(where)
    assert fragment in message
    assert "\n" not in message


def test_every_bad_links_file_is_in_the_table() -> None:
    on_disk = {path.name for path in BAD_LINKS.iterdir()}
    assert on_disk ^ {name for name, *_ in BAD} == {"missing.csv"}


# --- the record, the graph, the JSON-LD ----------------------------------------------------------


def _article() -> Article:
    return Article(title="T", text="Beijing.", paragraphs=[Span(0, 8, "Beijing.")])


def test_links_become_same_as_geo_and_iso_code_triples(record: Record) -> None:
    graph = map_record(record)
    beijing = URIRef("https://example.org/kg/place/beijing")
    geo = URIRef(f"{beijing}/geo")
    assert (beijing, SCHEMA.sameAs, URIRef(BEIJING)) in graph
    assert (beijing, SCHEMA.geo, geo) in graph
    assert (geo, RDF.type, SCHEMA.GeoCoordinates) in graph
    assert graph.value(geo, SCHEMA.latitude) == Literal("39.9075", datatype=XSD.decimal)
    assert graph.value(geo, SCHEMA.longitude) == Literal("116.39723", datatype=XSD.decimal)
    hebei = URIRef("https://example.org/kg/place/hebei")
    assert graph.value(hebei, KG.iso3166Code) == Literal("CN-HE")
    assert validate_graph(graph).conforms


def test_a_linked_person_and_organization_conform(record: Record) -> None:
    record.people[0].same_as = [WIKIDATA + "Q1"]
    record.organizations[0].same_as = ["https://example.org/npc"]
    assert build_record(record).conforms


def test_the_json_ld_nests_the_coordinates_in_the_place(record: Record) -> None:
    data = json.loads(serialize_graph(map_record(record), Format.JSONLD))
    places = {place["name"]: place for place in data["places"]}
    assert places["Beijing"]["sameAs"] == [BEIJING]
    assert places["Beijing"]["geo"] == {
        "@id": "https://example.org/kg/place/beijing/geo",
        "@type": ["schema:GeoCoordinates"],
        "latitude": "39.9075",
        "longitude": "116.39723",
    }
    assert places["Hebei"]["iso3166Code"] == "CN-HE"


@pytest.mark.parametrize(
    ("change", "pointer", "fragment"),
    [
        (lambda r: setattr(r.places[2], "geo", Geo("91", "0")), "/places/2/geo/latitude", "91"),
        (lambda r: setattr(r.places[2], "geo", Geo("0", "-180.5")), "/longitude", "-180.5"),
        (lambda r: setattr(r.places[2], "geo", Geo("north", "0")), "/latitude", "not a number"),
        (lambda r: setattr(r.places[1], "iso3166", "cn-he"), "/places/1/iso3166", "not an ISO"),
        (lambda r: setattr(r.people[0], "iso3166", "CN"), "/people/0/iso3166", "only places"),
        (lambda r: setattr(r.people[0], "same_as", ["Q1"]), "/people/0/same_as/0", "not an IRI"),
    ],
    ids=["latitude", "longitude", "not-a-number", "iso-code", "iso-on-person", "qid-not-iri"],
)
def test_links_the_mapper_refuses(
    record: Record, change: Callable[[Record], None], pointer: str, fragment: str
) -> None:
    change(record)
    with pytest.raises(MappingError) as caught:
        map_record(record)
    assert pointer in str(caught.value)
    assert fragment in str(caught.value)


def test_the_record_schema_keeps_coordinates_and_codes_to_places(record: Record) -> None:
    data = record.to_json()
    data["people"][0]["geo"] = {"latitude": "1", "longitude": "2"}
    data["organizations"][0]["iso3166"] = "CN"
    data["places"][2]["geo"] = {"latitude": "1.5"}
    pointers = {problem.pointer for problem in record_problems(data)}
    assert pointers == {"/people/0/geo", "/organizations/0/iso3166", "/places/2/geo/longitude"}


def test_a_record_with_links_reads_back(record: Record) -> None:
    again = check_record_json(json.loads(json.dumps(record.to_json())))
    assert again.places[2].geo == Geo("39.9075", "116.39723")
    assert again == record


def test_coordinates_out_of_range_break_the_shapes(record: Record) -> None:
    graph = map_record(record)
    geo = URIRef("https://example.org/kg/place/beijing/geo")
    graph.set((geo, SCHEMA.latitude, Literal("95.0", datatype=XSD.decimal)))
    report = validate_graph(graph)
    assert not report.conforms
    [finding] = report.findings
    assert finding.path == str(SCHEMA.latitude)
    assert finding.component.endswith("MaxInclusiveConstraintComponent")


def test_coordinates_without_a_place_break_the_shapes(record: Record) -> None:
    graph = map_record(record)
    beijing = URIRef("https://example.org/kg/place/beijing")
    graph.remove((beijing, SCHEMA.geo, None))
    report = validate_graph(graph)
    assert not report.conforms
    assert {f.focus for f in report.findings} == {f"{beijing}/geo"}
