"""Hostile text through map -> serialize -> parse: names, quotes and numbers that break naive
writers (quotes, backslashes, `>`, `#`, newlines, line separators, astral characters) come back
exactly, from every format kg writes, read by rdflib and by pyoxigraph alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node
from test_serialize import parse_oxigraph, parse_rdflib

from hostile.conftest import assert_only_files, run_kg
from kg.mapping import canonical_decimal, map_record
from kg.record import check_record_json, read_record
from kg.serialize import Format, serialize_graph
from kg.vocab import SCHEMA, iri_problem, slug

ROOT = Path(__file__).parents[2]
EXAMPLE_RECORD = ROOT / "examples" / "xiongan-innovation.record.json"
STEM = "xiongan-innovation"

Triple = tuple[Node, Node, Node]


def assert_every_reader_agrees(files: dict[Format, bytes], expected: set[Triple]) -> None:
    """Each file, read by rdflib and by pyoxigraph, is the graph kg mapped."""
    for fmt, data in files.items():
        assert set(parse_rdflib(data, fmt)) == expected, f"rdflib reads {fmt.extension} otherwise"
        assert set(parse_oxigraph(data, fmt)) == expected, f"oxigraph reads {fmt.extension} so"


def assert_iris_valid(triples: Iterable[Triple]) -> None:
    for triple in triples:
        for term in triple:
            if isinstance(term, URIRef):
                assert iri_problem(str(term)) is None, term


# --- hand-edited records through the command line ----------------------------------------------

HOSTILE_TEXT = [
    pytest.param("Sean O'Brien’s", id="apostrophes"),
    pytest.param('Say "hi" to “them”', id="quotes"),
    pytest.param('ends in a quote"', id="trailing-quote"),
    pytest.param("\"\"\"triple\"\"\" and '''single'''", id="triple-quotes"),
    pytest.param(r"C:\new\table \u0041 \" \\", id="backslashes"),
    pytest.param("a > b <c> #1 &amp; @id", id="angle-brackets-and-hash"),
    pytest.param("first line\nsecond line\n\n\tthird", id="newlines-and-tab"),
    pytest.param("a\u2028b\u2029c", id="line-separators"),
    pytest.param("Ame\u0301lie and Amélie", id="combining-accent"),
    pytest.param("🦄 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010fffd", id="astral-characters"),
    pytest.param(" leading and trailing spaces ", id="outer-spaces"),
    pytest.param("x" * 10_000, id="ten-thousand-characters"),
]


def with_text(data: dict[str, Any], text: str) -> dict[str, Any]:
    """The record with `text` as a name, an alias, a role, a quote, the title and an image name."""
    person = data["people"][0]
    person["name"] = text
    person["aliases"] = [*person["aliases"], text + " (alias)"]
    data["organizations"][0]["name"] = text
    data["quotes"][0]["text"] = text
    data["article"]["title"] = text
    for image in data["article"]["images"][:1]:
        image["name"] = text
    post = data["posts"][0]
    post["role"] = text
    post["key"] = f"{post['person']}/{slug(text)}/{post['organization']}"
    return data


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_in_a_record_comes_back_exactly(tmp_path: Path, text: str) -> None:
    data = with_text(json.loads(EXAMPLE_RECORD.read_text(encoding="utf-8")), text)
    path = tmp_path / "edited.record.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    out = tmp_path / "out"
    extra = ("--format", "nt", "--format", "nq", "--format", "trig")
    result = run_kg("map", path, "-o", out, *extra)
    assert result.code == 0, result.stderr
    files = {fmt: (out / f"{STEM}.{fmt.extension}").read_bytes() for fmt in Format}
    assert_only_files(out, {f"{STEM}.{fmt.extension}" for fmt in Format})

    expected = set(map_record(read_record(path)))
    assert_every_reader_agrees(files, expected)
    assert_iris_valid(expected)
    lines = files[Format.NT].decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(expected), "one line per triple"
    person = URIRef(f"https://example.org/kg/person/{data['people'][0]['key']}")
    assert (person, SCHEMA.name, Literal(text)) in expected
    quote_texts = {o for _, p, o in expected if p == SCHEMA.text}
    assert Literal(text) in quote_texts


# --- property: any plain text and any number -----------------------------------------------------

# Plain text, as kg keeps it: no lone surrogates, no control characters but newline and tab.
PLAIN = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t")
TEXT = st.text(PLAIN, min_size=1, max_size=40)
NUMBERS = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=4
)


def small_record() -> dict[str, Any]:
    """The example record cut to one of each: a person, an organization, a place, a post, a
    metric and a quote (few triples, so that many examples stay fast)."""
    data = json.loads(EXAMPLE_RECORD.read_text(encoding="utf-8"))
    post = data["posts"][0]
    data["people"] = [p for p in data["people"] if p["key"] == post["person"]]
    data["organizations"] = [o for o in data["organizations"] if o["key"] == post["organization"]]
    data["places"] = data["places"][:1]
    data["posts"] = [post]
    data["metrics"] = [{**data["metrics"][0], "about": data["places"][0]["key"]}]
    data["quotes"] = [q for q in data["quotes"] if q["speaker"] == post["person"]][:1]
    return data


@settings(max_examples=50, deadline=None)
@given(name=TEXT, alias=TEXT, quote=TEXT, title=TEXT, value=NUMBERS)
def test_any_text_and_number_read_back_the_same_from_every_format(
    name: str, alias: str, quote: str, title: str, value: Decimal
) -> None:
    data = small_record()
    data["people"][0]["name"] = name
    data["people"][0]["aliases"] = [alias]
    data["quotes"][0]["text"] = quote
    data["article"]["title"] = title
    data["metrics"][0]["value"] = format(value, "f")
    graph = map_record(check_record_json(data, "generated"))
    expected = set(graph)
    files = {fmt: serialize_graph(graph, fmt) for fmt in (Format.TTL, Format.NT, Format.JSONLD)}
    assert_every_reader_agrees(files, expected)
    assert len(files[Format.NT].decode("utf-8").split("\n")) - 1 == len(expected)
    observations = set(graph.subjects(RDF.type, SCHEMA.Observation))
    values = {o for s, p, o in expected if p == SCHEMA.value and s in observations}
    assert values == {Literal(canonical_decimal(format(value, "f")), datatype=XSD.decimal)}
