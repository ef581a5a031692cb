"""kg.record and shapes/record.schema.json: records round-trip, and each bad record is refused
with the JSON pointer of every problem."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.consistency import schema_problems
from kg.errors import InputError, OutputError, RecordError
from kg.extract import EXTRACTORS
from kg.mapping import map_record
from kg.model import (
    METRIC_KINDS,
    QUALIFIERS,
    RECORD_VERSION,
    Article,
    Entity,
    Extractor,
    Geo,
    Image,
    Metric,
    Period,
    Post,
    Precision,
    Quote,
    Record,
    Span,
)
from kg.record import (
    check_record_json,
    dump_record,
    read_record,
    read_schema,
    record_problems,
    write_record,
)

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "fixtures" / "bad_records"
XIONGAN = ROOT / "tests" / "fixtures" / "xiongan.record.json"

TEXT = (
    'Li Ming, mayor of Baoding, said "the city grew fast."\n\n'
    "Industrial output in Baoding rose 9.8 percent in 2024, Li said."
)


def span(needle: str, after: str = "") -> Span:
    start = TEXT.index(needle, TEXT.index(after) if after else 0)
    return Span(start, start + len(needle), needle)


def small_record() -> Record:
    """A small record that uses every field; tests/fixtures/bad_records/ break copies of it."""
    first, second = TEXT.split("\n\n")
    return Record(
        article=Article(
            title="Baoding grows",
            text=TEXT,
            paragraphs=[span(first), span(second)],
            url="https://example.com/2025/03/06/baoding.html",
            publisher="Example News",
            published="2025-03-06",
            images=[Image("baoding.jpg", 640, 480)],
            source="baoding.txt",
        ),
        people=[
            Entity(
                "li-ming", "Li Ming", aliases=["Li"], mentions=[span("Li Ming"), span("Li", "2024")]
            )
        ],
        places=[
            Entity(
                "baoding",
                "Baoding",
                kind="City",
                mentions=[span("Baoding"), span("Baoding", "Industrial")],
            )
        ],
        posts=[
            Post("li-ming/mayor/baoding", "li-ming", "mayor", "baoding", span("mayor of Baoding"))
        ],
        metrics=[
            Metric(
                key="industrial-output-growth",
                value="9.8",
                unit="percent",
                qualifier="exact",
                kind="change",
                what="industrial output",
                evidence=span("rose 9.8 percent"),
                about="baoding",
                period=Period("2024", "year", span("2024")),
            )
        ],
        quotes=[Quote("the-city-grew-fast", "the city grew fast.", "li-ming", span("the city"))],
        extractor=Extractor("statistical", "en_core_web_sm", "3.8.0", "spacy 3.8.7"),
    )


# --- round trips ---------------------------------------------------------------------------------


def test_small_record_is_valid() -> None:
    assert record_problems(small_record().to_json()) == []


@pytest.mark.parametrize("record", [small_record(), read_record(XIONGAN)], ids=["small", "xiongan"])
def test_record_round_trips_through_a_file(record: Record, tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    write_record(record, path)
    assert read_record(path) == record


def test_written_json_is_stable_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    write_record(small_record(), path)
    text = path.read_text(encoding="utf-8")
    assert text == dump_record(small_record())
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.startswith('{\n  "version": "1.0",\n  "article": {\n    "title": ')
    # Non-ASCII stays readable in a hand-edited file.
    record = small_record()
    record.people[0].aliases.append("李明")
    assert '"李明"' in dump_record(record)


def test_write_record_to_a_missing_directory_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no-such-dir"):
        write_record(small_record(), tmp_path / "no-such-dir" / "record.json")
    assert not (tmp_path / "no-such-dir").exists()


# Plain text, as records hold it: no lone surrogates, no control characters but newline and tab.
ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t")


@st.composite
def records(draw: st.DrawFn) -> Record:
    """Records with arbitrary text (any Unicode) and spans that quote it exactly."""
    text = draw(st.text(ALPHABET, min_size=1, max_size=80))

    def any_span() -> Span:
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        return Span(start, end, text[start:end])

    keys = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
    person, place = draw(st.lists(keys, min_size=2, max_size=2, unique=True))
    name = st.text(ALPHABET, min_size=1, max_size=20)
    value = draw(st.decimals(allow_nan=False, allow_infinity=False, places=3))
    period = draw(st.sampled_from([None, Period("2024", "year", any_span())]))
    return Record(
        article=Article(title=draw(name), text=text, paragraphs=[Span(0, len(text), text)]),
        people=[
            Entity(
                person, draw(name), aliases=draw(st.lists(name, max_size=2)), mentions=[any_span()]
            )
        ],
        places=[Entity(place, draw(name), kind=draw(st.sampled_from([None, "City"])))],
        metrics=[
            Metric(
                key=draw(keys),
                value=str(value),
                unit=draw(st.sampled_from(["percent", "enterprise", "CNY"])),
                qualifier=draw(st.sampled_from(QUALIFIERS)),  # type: ignore[arg-type]
                kind=draw(st.sampled_from(METRIC_KINDS)),  # type: ignore[arg-type]
                what=draw(name),
                evidence=any_span(),
                about=draw(st.sampled_from([None, person, place])),
                period=period,
            )
        ],
        quotes=[Quote(draw(keys), draw(name), person, any_span())],
        extractor=draw(st.sampled_from([None, Extractor("rules"), small_record().extractor])),
    )


@given(records())
def test_any_valid_record_round_trips_through_json(record: Record) -> None:
    assert check_record_json(json.loads(dump_record(record))) == record


# --- bad records ---------------------------------------------------------------------------------

# file -> (error class, JSON pointers of the problems, a fragment of the message)
BAD_RECORDS: dict[str, tuple[type[InputError], list[str], str]] = {
    "syntax-error.json": (InputError, [], "line 3 column 1: Expecting property name"),
    "not-utf8.json": (InputError, [], "not UTF-8"),
    "not-an-object.json": (RecordError, ["(root)"], "[] is invalid (expected a kg record"),
    "version-unknown.json": (RecordError, ["/version"], '"2.0" is invalid (expected'),
    "unexpected-property.json": (
        RecordError,
        ["/article/subtitle"],
        "unexpected property (allowed: title, text,",
    ),
    "missing-speaker.json": (RecordError, ["/quotes/0/speaker"], "missing (required)"),
    "value-not-decimal.json": (RecordError, ["/metrics/0/value"], "a decimal number"),
    "qualifier-unknown.json": (
        RecordError,
        ["/metrics/0/qualifier"],
        '"roughly" is invalid (expected one of: exact, approximately,',
    ),
    "kind-unknown.json": (
        RecordError,
        ["/metrics/0/kind"],
        '"total" is invalid (expected one of: level, change, share)',
    ),
    "period-not-its-precision.json": (
        RecordError,
        ["/metrics/0/period/value"],
        'YYYY-MM, as precision is "month"',
    ),
    "published-not-a-date.json": (RecordError, ["/article/published"], "an ISO date"),
    "key-not-a-slug.json": (RecordError, ["/people/0/key"], "a slug"),
    "offset-negative.json": (RecordError, ["/people/0/mentions/0/start"], "an integer >= 0"),
    "offset-not-an-integer.json": (RecordError, ["/posts/0/evidence/start"], ".0 is invalid"),
    "span-end-before-start.json": (RecordError, ["/metrics/0/evidence/end"], "is before start"),
    "span-past-text.json": (RecordError, ["/quotes/0/evidence/end"], "past the end of the article"),
    "span-text-differs.json": (
        RecordError,
        ["/people/0/mentions/0/text"],
        '"Li Min" is not the article text at 0..7 (expected "Li Ming")',
    ),
    "duplicate-entity-key.json": (
        RecordError,
        ["/places/0/key"],
        '"baoding" is already the key of /organizations/0',
    ),
    "duplicate-metric-key.json": (RecordError, ["/metrics/1/key"], "already the key of /metrics/0"),
    "post-key-mismatch.json": (RecordError, ["/posts/0/key"], 'expected "li-ming/mayor/baoding"'),
    "unknown-speaker.json": (RecordError, ["/quotes/0/speaker"], '"wang-wei" is not the key of a'),
    "post-held-by-a-place.json": (RecordError, ["/posts/0/person"], "not the key of a person"),
    "about-unknown-entity.json": (RecordError, ["/metrics/0/about"], "not the key of an entity"),
    "several-problems.json": (
        RecordError,
        ["/extra", "/metrics/0/qualifier", "/metrics/0/value"],
        "",
    ),
}


def pointers(message: str, where: str) -> list[str]:
    """The JSON pointer of each line of a RecordError message."""
    return [line.removeprefix(f"{where}: ").split(": ")[0] for line in message.splitlines()]


@pytest.mark.parametrize(
    ("name", "error", "expected", "fragment"),
    [
        pytest.param(name, *case, id=name.removesuffix(".json"))
        for name, case in BAD_RECORDS.items()
    ],
)
def test_bad_record_is_refused_at_each_problem(
    name: str, error: type[InputError], expected: list[str], fragment: str
) -> None:
    path = BAD / name
    with pytest.raises(error) as caught:
        read_record(path)
    assert type(caught.value) is error
    message = str(caught.value)
    assert all(line.startswith(f"{path}: ") for line in message.splitlines())
    if expected:
        assert pointers(message, str(path)) == expected
    assert fragment in message
    assert caught.value.exit_code == 2


def test_every_bad_record_file_is_used() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(BAD_RECORDS)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_record(tmp_path / "absent.json")


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read_record(tmp_path)


@pytest.mark.parametrize("absent", [False, True], ids=["null", "absent"])
def test_a_record_without_its_extractor_is_valid_and_maps(absent: bool) -> None:
    """Records made by hand, or by a kg that did not record the extractor, still map."""
    data = small_record().to_json()
    if absent:
        del data["extractor"]
    else:
        data["extractor"] = None
    assert record_problems(data) == []
    record = check_record_json(data)
    assert record.extractor is None
    assert len(map_record(record)) > 0


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", "neural", '"neural" is invalid (expected one of: statistical, rules)'),
        ("model", "en core web sm", "is invalid (expected the trained model's package name"),
        ("model_version", "", '"" is invalid (expected the model\'s version'),
    ],
)
def test_a_bad_extractor_is_refused_at_its_field(field: str, value: str, fragment: str) -> None:
    data = small_record().to_json()
    data["extractor"][field] = value
    [problem] = record_problems(data)
    assert problem.pointer == f"/extractor/{field}"
    assert fragment in problem.message


def test_check_record_json_names_its_source() -> None:
    data = small_record().to_json()
    data["metrics"][0]["value"] = "abc"
    with pytest.raises(RecordError, match=r"^edited: /metrics/0/value: \"abc\" is invalid"):
        check_record_json(data, "edited")


# --- the schema agrees with the model ------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    assert read_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert [str(p) for p in schema_problems([ROOT / "shapes" / "record.schema.json"])] == []


SCHEMA_DEFS = {
    "article": Article,
    "entity": Entity,
    "extractor": Extractor,
    "geo": Geo,
    "image": Image,
    "metric": Metric,
    "period": Period,
    "post": Post,
    "quote": Quote,
    "span": Span,
}


def required_fields(cls: type) -> list[str]:
    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]


@pytest.mark.parametrize(("name", "cls"), SCHEMA_DEFS.items(), ids=SCHEMA_DEFS)
def test_schema_fields_are_the_model_fields(name: str, cls: type) -> None:
    definition = read_schema()["$defs"][name]
    assert list(definition["properties"]) == [f.name for f in dataclasses.fields(cls)]
    assert definition["required"] == required_fields(cls)
    assert definition["additionalProperties"] is False


def test_schema_top_level_is_the_record() -> None:
    schema = read_schema()
    assert sorted(schema["properties"]) == sorted(f.name for f in dataclasses.fields(Record))
    assert sorted(schema["required"]) == sorted(required_fields(Record) + ["version"])
    assert schema["properties"]["version"]["const"] == RECORD_VERSION


def test_schema_enums_are_the_model_enums() -> None:
    defs = read_schema()["$defs"]
    assert tuple(defs["metric"]["properties"]["qualifier"]["enum"]) == QUALIFIERS
    assert tuple(defs["metric"]["properties"]["kind"]["enum"]) == METRIC_KINDS
    assert tuple(defs["period"]["properties"]["precision"]["enum"]) == typing.get_args(Precision)


def test_schema_extractor_names_are_the_extractors() -> None:
    names = read_schema()["$defs"]["extractor"]["properties"]["name"]["enum"]
    assert tuple(names) == EXTRACTORS
