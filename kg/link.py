"""Link a record's entities to other datasets, offline and without guessing.

- Places: their ISO 3166 code, their GeoNames id and GeoNames' coordinates, from the gazetteer
  (`kg/data/places.tsv`, `places_curated.tsv` and `geonames.tsv`; GeoNames data, CC-BY 4.0).
- People, organizations and places: a Wikidata item (or any IRI), from an alias table
  (`kg/data/links.csv`) that a table of your own extends and overrides (`read_links`).

An entity is linked only when its name or one of its aliases is in a table, and every one of
its names that is there names the same thing (a place must also be of the gazetteer's type);
an entity the tables do not know, or know ambiguously, stays unlinked. Links a record already
has (e.g. added by hand) are kept.

    >>> record = link_record(record)                                  # doctest: +SKIP
    >>> record = link_record(record, read_links("my-links.csv"))      # doctest: +SKIP
    >>> record.places[1].same_as, record.places[1].iso3166            # doctest: +SKIP
    (['https://sws.geonames.org/1816670/'], None)

A links table is CSV (UTF-8) with the header `type,name,id`: `type` is person, organization or
place; `name` a name or alias as articles write it; `id` a Wikidata QID (`Q148`) or an http(s)
IRI. Lines starting with `#` are comments.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from kg.data import read_table
from kg.errors import InputError
from kg.files import decode_utf8, read_input
from kg.model import Entity, EntityType, Geo, Record
from kg.vocab import iri_problem

WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = "https://sws.geonames.org/{}/"
LINK_TYPES: tuple[EntityType, ...] = ("person", "organization", "place")
HEADER = ("type", "name", "id")
MAX_LINKS_BYTES = 20_000_000

T = TypeVar("T")
_QID = re.compile(r"^Q[1-9][0-9]*$")


class Links:
    """Names -> IRIs, per entity type: `links.get("organization", "Federal Reserve")`."""

    def __init__(self, entries: Mapping[tuple[str, str], str] | None = None) -> None:
        self._entries = {
            (kind, _normal(name)): iri for (kind, name), iri in (entries or {}).items()
        }

    def get(self, kind: str, name: str) -> str | None:
        return self._entries.get((kind, _normal(name)))

    def __or__(self, other: Links) -> Links:
        """Both tables; `other` wins where both name the same entity."""
        merged = Links()
        merged._entries = {**self._entries, **other._entries}
        return merged

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Links) and self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Links({len(self)} names)"


@dataclass(frozen=True)
class PlaceLink:
    """What the gazetteer knows of a place."""

    kind: str  # schema.org class: Country, AdministrativeArea, City, Place
    iso3166: str | None
    geonames: str | None  # a GeoNames id, e.g. "1816670"
    geo: Geo | None


def link_record(record: Record, links: Links | None = None) -> Record:
    """The record with its entities linked (a new record; the given one is not changed).

    `links` extends and overrides the packaged alias table (`default_links()`).
    """
    table = default_links() | links if links is not None else default_links()
    return dataclasses.replace(
        record,
        people=[link_entity("person", e, table) for e in record.people],
        organizations=[link_entity("organization", e, table) for e in record.organizations],
        places=[link_entity("place", e, table) for e in record.places],
    )


def link_entity(kind: EntityType, entity: Entity, links: Links) -> Entity:
    """One entity with the links the tables give it, after those it already has."""
    names = [entity.name, *entity.aliases]
    same_as = list(entity.same_as)
    iso3166, geo = entity.iso3166, entity.geo
    if kind == "place":
        place = _only(place_link(name) for name in names)
        if place is not None and entity.kind in (None, "Place", place.kind):
            iso3166 = iso3166 or place.iso3166
            if place.geonames is not None:
                same_as.append(GEONAMES.format(place.geonames))
                geo = geo or place.geo
    found = _only(links.get(kind, name) for name in names)
    if found is not None:
        same_as.append(found)
    return dataclasses.replace(
        entity, same_as=list(dict.fromkeys(same_as)), iso3166=iso3166, geo=geo
    )


def place_link(name: str) -> PlaceLink | None:
    """The gazetteer's entry for a place name or alias, whichever apostrophe it is written with."""
    return _gazetteer().get(_normal(name))


def _only(found: Iterable[T | None]) -> T | None:
    """The one distinct value found, or None for none or several (an ambiguous name)."""
    values = {value for value in found if value is not None}
    return values.pop() if len(values) == 1 else None


def _normal(name: str) -> str:
    return " ".join(name.replace("\u2019", "'").split())


# --- the gazetteer -------------------------------------------------------------------------------


@cache
def _gazetteer() -> dict[str, PlaceLink]:
    points = _coordinates()
    table: dict[str, PlaceLink] = {}

    def entry(kind: str, identifiers: str) -> PlaceLink:
        ids = dict(item.split(":", 1) for item in identifiers.split() if ":" in item)
        geonames = ids.get("geonames")
        return PlaceLink(kind, ids.get("iso3166"), geonames, points.get(geonames or ""))

    for name, (kind, identifiers, *_rest) in read_table("places.tsv").items():
        table[_normal(name)] = entry(kind, identifiers)
    # Curated rows win over generated ones, and bring aliases.
    for name, (kind, identifiers, *rest) in read_table("places_curated.tsv").items():
        place = entry(kind, identifiers)
        for alias in [name, *(rest[0].split(",") if rest and rest[0] else [])]:
            table[_normal(alias)] = place
    return table


@cache
def _coordinates() -> dict[str, Geo]:
    return {gid: Geo(lat, lon) for gid, (lat, lon) in read_table("geonames.tsv").items()}


# --- alias tables --------------------------------------------------------------------------------


@cache
def default_links() -> Links:
    """The packaged alias table, `kg/data/links.csv`."""
    text = resources.files("kg.data").joinpath("links.csv").read_text(encoding="utf-8")
    return parse_links(text, "kg/data/links.csv")


def read_links(path: str | Path) -> Links:
    """Read a links CSV (`type,name,id`); raises `InputError` naming the line at fault."""
    path = Path(path)
    raw = read_input(path, "a links CSV file", MAX_LINKS_BYTES)
    return parse_links(decode_utf8(raw, str(path), "a links CSV file"), str(path))


def parse_links(text: str, where: str = "links") -> Links:
    """A links table from CSV text; raises `InputError` naming the line at fault."""
    entries: dict[tuple[str, str], str] = {}
    first_line: dict[tuple[str, str], int] = {}
    header_seen = False
    lines = io.StringIO(text.replace("\r\n", "\n"), newline="")
    try:
        reader = csv.reader(lines, strict=True)
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in row]
            if not header_seen:
                if tuple(cell.lower() for cell in cells) != HEADER:
                    raise InputError(
                        f"{where}: line {line}: header {','.join(cells)!r} "
                        f"(expected {','.join(HEADER)!r})"
                    )
                header_seen = True
                continue
            kind, name, iri = _row(cells, f"{where}: line {line}")
            key = (kind, _normal(name))
            if key in entries and entries[key] != iri:
                raise InputError(
                    f"{where}: line {line}: {kind} {name!r} is linked to {entries[key]} "
                    f"on line {first_line[key]} already (one id per name and type)"
                )
            entries[key] = iri
            first_line.setdefault(key, line)
    except csv.Error as exc:
        raise InputError(f"{where}: line {reader.line_num}: not CSV ({exc})") from None
    if not header_seen:
        raise InputError(f"{where}: no header (expected a first line {','.join(HEADER)!r})")
    return Links(entries)


def _row(cells: list[str], where: str) -> tuple[str, str, str]:
    if len(cells) != len(HEADER):
        raise InputError(f"{where}: {len(cells)} columns (expected 3: {','.join(HEADER)})")
    kind, name, ident = cells
    if kind not in LINK_TYPES:
        raise InputError(
            f"{where}: type {kind!r} unknown (expected one of: {', '.join(LINK_TYPES)})"
        )
    if not name:
        raise InputError(f"{where}: empty name (expected a name or alias)")
    return kind, name, _iri(ident, where)


def _iri(ident: str, where: str) -> str:
    """A Wikidata QID as its entity IRI; an http(s) IRI as it is."""
    if _QID.match(ident):
        return WIKIDATA + ident
    if iri_problem(ident) is None:
        return ident
    raise InputError(
        f"{where}: id {ident!r} is neither a Wikidata QID nor an http(s) IRI "
        "(expected e.g. Q148 or http://www.wikidata.org/entity/Q148)"
    )


__all__ = [
    "GEONAMES",
    "LINK_TYPES",
    "WIKIDATA",
    "Links",
    "PlaceLink",
    "default_links",
    "link_entity",
    "link_record",
    "parse_links",
    "place_link",
    "read_links",
]
