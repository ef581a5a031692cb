"""Read, check and write records: the JSON of `kg.model.Record`.

A record is checked in two passes: against `shapes/record.schema.json` (layout, types, enums,
patterns), then for what a JSON Schema cannot say — each span's text is the article text at its
offsets, keys are unique, and keys that refer to entities name one of the right type. Every
problem is reported at once, each with its JSON pointer (RFC 6901), so a hand-edited record can
be fixed in one pass:

    record.json: /metrics/3/value: "abc" is invalid (expected a decimal number as a string, ...)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from kg.errors import InputError, KgError, RecordError
from kg.files import decode_utf8, input_name, read_input, write_atomic
from kg.ingest import text_problem
from kg.model import Record
from kg.packaged import packaged_file
from kg.vocab import iri_problem, slug

# jsonschema is imported where a record is checked: every `kg` command, and every worker of
# `kg build -j N`, imports this module, most of them to read no record.
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_FILE = "record.schema.json"
# The largest record file read: ten times an article's text (kg.ingest.MAX_ARTICLE_BYTES), room
# for its spans and facts; larger is no record kg made, and refused before it is read.
MAX_RECORD_BYTES = 10_000_000
ENTITY_GROUPS = ("people", "organizations", "places")
# What the semantic pass checks, as `Problem.rule`: a span's text is the article text at its
# offsets; keys are unique; a post key is person/role/organization; keys refer to entities;
# text is plain (no control characters, no lone surrogates); URLs are IRIs every parser reads.
SEMANTIC_RULES = ("span-text", "unique-key", "post-key", "reference", "plain-text", "iri")
FACT_GROUPS = ("posts", "metrics", "quotes")

# jsonschema messages are only rewritten for these keywords when the schema describes the value;
# the others ("enum", "required", ...) already say what is allowed.
_DESCRIBED_KEYWORDS = frozenset({"const", "format", "minLength", "minimum", "pattern", "type"})


class Problem(NamedTuple):
    """One thing wrong with a record: where (a JSON pointer) and what.

    `rule` says which check found it: the JSON pointer of the schema keyword
    (`/$defs/metric/properties/value/pattern`), or one of `SEMANTIC_RULES`.
    """

    pointer: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.pointer or '(root)'}: {self.message}"


def read_record(path: str | Path) -> Record:
    """Read a record JSON file (standard input for `-`) and check it; raises `InputError` or
    `RecordError`.

    >>> record = read_record("tests/fixtures/xiongan.record.json")  # doctest: +SKIP
    """
    path = Path(path)
    where = input_name(path)
    return check_record_json(_parse_json(_read_text(path), where), where)


def write_record(record: Record, path: str | Path) -> None:
    """Write a record as JSON (field order of the model, indent 2, UTF-8), atomically (to
    standard output for `-`; see `kg.files`)."""
    write_atomic(Path(path), dump_record(record).encode("utf-8"))


def dump_record(record: Record) -> str:
    """The record as the JSON text `write_record` writes, with a final newline."""
    return json.dumps(record.to_json(), indent=2, ensure_ascii=False) + "\n"


def check_record_json(data: Any, where: str = "record") -> Record:
    """Check parsed record JSON and build the `Record`; raises `RecordError` naming each problem."""
    problems = record_problems(data)
    if problems:
        raise RecordError("\n".join(f"{where}: {problem}" for problem in problems))
    return Record.from_json(data)


def record_problems(data: Any) -> list[Problem]:
    """Every problem of parsed record JSON, ordered by location; empty when the record is valid."""
    problems = _unique(_schema_problems(data))
    if problems:
        # The semantic checks assume the layout the schema guarantees.
        return problems
    return _unique(_semantic_problems(data))


# --- reading -------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    where = input_name(path)
    raw = read_input(path, "a record JSON file", MAX_RECORD_BYTES)
    return decode_utf8(raw, where, "a JSON record")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it names a key twice: json.loads would keep the last one
    silently, and a hand edit that adds a "name" beside the old one would seem ignored."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)
    return dict(pairs)


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise InputError(
            f"{where}: key {json.dumps(str(exc))} twice in one object (expected each key once)"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: line {exc.lineno} column {exc.colno}: {exc.msg} (expected a JSON record)"
        ) from exc
    except RecursionError as exc:
        raise InputError(f"{where}: JSON nested too deeply (expected a record)") from exc


# --- schema pass ---------------------------------------------------------------------------------


def _is_strict_integer(checker: object, instance: object) -> bool:
    # JSON Schema counts 3.0 as an integer; offsets must be real ints to slice the text.
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def read_schema() -> dict[str, Any]:
    """The record JSON Schema (draft 2020-12), read once per process."""
    source = packaged_file("shapes", SCHEMA_FILE)
    try:
        schema: dict[str, Any] = json.loads(source.read_text("utf-8"))
    except (OSError, ValueError) as exc:  # a broken installation, not the user's record
        raise KgError(f"{SCHEMA_FILE}: cannot read the record schema ({exc})") from exc
    return schema


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator, validators

    strict = validators.extend(
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
    )
    validator: Draft202012Validator = strict(
        read_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return validator


def _schema_problems(data: Any) -> Iterator[Problem]:
    from jsonschema.exceptions import relevance

    errors = sorted(_validator().iter_errors(data), key=relevance)
    for error in errors:
        yield from _problems_of(error)


def _problems_of(error: ValidationError) -> Iterator[Problem]:
    path = list(error.absolute_path)
    rule = _pointer(error.absolute_schema_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield Problem(_pointer(path + [name]), "missing (required)", rule)
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = error.schema.get("properties", {})
        for name in instance:
            if name not in allowed:
                expected = ", ".join(allowed)
                yield Problem(
                    _pointer(path + [name]), f"unexpected property (allowed: {expected})", rule
                )
    else:
        yield Problem(_pointer(path), _message(error), rule)


def _message(error: ValidationError) -> str:
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{_show(error.instance)} is invalid (expected one of: {allowed})"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if description and error.validator in _DESCRIBED_KEYWORDS:
        return f"{_show(error.instance)} is invalid (expected {description})"
    return error.message


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pointer(path: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) for a path: `["metrics", 3, "value"]` -> `/metrics/3/value`."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    # One problem per location reads best; the first one is the most relevant.
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(problem.pointer, problem)
    return sorted(seen.values(), key=lambda p: _document_order(p.pointer))


def _document_order(json_pointer: str) -> tuple[tuple[int, int, str], ...]:
    parts = json_pointer.split("/")[1:]
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


# --- semantic pass -------------------------------------------------------------------------------


def _semantic_problems(data: dict[str, Any]) -> Iterator[Problem]:
    text = data["article"]["text"]
    for where, span in _spans(data):
        yield from _span_problems(where, span, text)
    yield from _key_problems(data)
    yield from _reference_problems(data)
    yield from _text_problems(data, "")
    yield from _iri_problems(data)


def _spans(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, span in enumerate(data["article"]["paragraphs"]):
        yield f"/article/paragraphs/{i}", span
    for group in ENTITY_GROUPS:
        for i, entity in enumerate(data.get(group, [])):
            for j, span in enumerate(entity.get("mentions", [])):
                yield f"/{group}/{i}/mentions/{j}", span
    for group in FACT_GROUPS:
        for i, fact in enumerate(data.get(group, [])):
            yield f"/{group}/{i}/evidence", fact["evidence"]
            if fact.get("period"):
                yield f"/{group}/{i}/period/span", fact["period"]["span"]


def _span_problems(where: str, span: dict[str, Any], text: str) -> Iterator[Problem]:
    start, end = span["start"], span["end"]
    if start > end:
        yield Problem(
            f"{where}/end", f"{end} is before start {start} (expected end >= start)", "span-text"
        )
    elif end > len(text):
        yield Problem(
            f"{where}/end",
            f"{end} is past the end of the article text (expected at most {len(text)})",
            "span-text",
        )
    elif text[start:end] != span["text"]:
        yield Problem(
            f"{where}/text",
            f"{_show(span['text'])} is not the article text at {start}..{end} "
            f"(expected {_show(text[start:end])})",
            "span-text",
        )


def _key_problems(data: dict[str, Any]) -> Iterator[Problem]:
    # Entity keys must be unique across all three groups: facts refer to entities by key alone.
    yield from _duplicates(
        (f"/{group}/{i}", item["key"])
        for group in ENTITY_GROUPS
        for i, item in enumerate(data.get(group, []))
    )
    for group in FACT_GROUPS:
        yield from _duplicates(
            (f"/{group}/{i}", f["key"]) for i, f in enumerate(data.get(group, []))
        )
    for i, post in enumerate(data.get("posts", [])):
        expected = f"{post['person']}/{slug(post['role'])}/{post['organization']}"
        if post["key"] != expected:
            yield Problem(
                f"/posts/{i}/key",
                f"{_show(post['key'])} does not match person/role/organization "
                f"(expected {_show(expected)})",
                "post-key",
            )


def _duplicates(keyed: Iterable[tuple[str, str]]) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for where, key in keyed:
        if key in first:
            yield Problem(
                f"{where}/key",
                f"{_show(key)} is already the key of {first[key]} (keys are unique)",
                "unique-key",
            )
        else:
            first[key] = where


def _reference_problems(data: dict[str, Any]) -> Iterator[Problem]:
    people = _keys(data, "people")
    holders = _keys(data, "organizations") | _keys(data, "places")
    everyone = people | holders
    for i, post in enumerate(data.get("posts", [])):
        yield from _reference(f"/posts/{i}/person", post["person"], people, "a person")
        yield from _reference(
            f"/posts/{i}/organization", post["organization"], holders, "an organization or place"
        )
    for i, metric in enumerate(data.get("metrics", [])):
        if metric.get("about") is not None:
            yield from _reference(f"/metrics/{i}/about", metric["about"], everyone, "an entity")
    for i, quote in enumerate(data.get("quotes", [])):
        yield from _reference(f"/quotes/{i}/speaker", quote["speaker"], people, "a person")


def _keys(data: dict[str, Any], group: str) -> frozenset[str]:
    return frozenset(item["key"] for item in data.get(group, []))


def _reference(where: str, key: str, allowed: frozenset[str], what: str) -> Iterator[Problem]:
    if key not in allowed:
        yield Problem(where, f"{_show(key)} is not the key of {what} in this record", "reference")


def _text_problems(value: Any, where: str) -> Iterator[Problem]:
    """Control characters and lone surrogates (JSON can escape them, "\\ud800") in any string."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem is not None:
            yield Problem(where, problem, "plain-text")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_problems(item, where + _pointer([key]))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _text_problems(item, f"{where}/{i}")


def _iri_problems(data: dict[str, Any]) -> Iterator[Problem]:
    urls = [("/article/url", data["article"].get("url"))]
    for group in ENTITY_GROUPS:
        for i, entity in enumerate(data.get(group, [])):
            same_as = entity.get("same_as", [])
            urls += [(f"/{group}/{i}/same_as/{j}", url) for j, url in enumerate(same_as)]
    for where, url in urls:
        problem = None if url is None else iri_problem(url)
        if problem is not None:
            yield Problem(where, f"{_show(url)} is not an IRI ({problem})", "iri")
