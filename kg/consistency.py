"""Check that kg's own files agree: ontology, shapes, JSON Schemas, JSON-LD context and mapper.

    >>> check_consistency()                                        # doctest: +SKIP
    []
    >>> [str(p) for p in check_consistency(context="old.jsonld")]  # doctest: +SKIP
    ["old.jsonld: term 'evidence' is {...} (generated from ontology/kg.ttl: {...}); ..."]

Four checks, on kg's packaged files unless other locations are given (tests pass edited copies):

- the shapes pass SHACL-for-SHACL (what pySHACL's `meta_shacl` runs);
- every JSON Schema in `shapes/` passes `check_schema` of the draft its `$schema` names;
- every kg: term the mapper emits (mapping the example record, plus its qualifier and metric-kind
  tables) and every kg: term the shapes name (their SPARQL included) is declared in the ontology,
  and every declared term is used by them, or by the ontology for a term they use (a range);
- the JSON-LD context generated from the ontology is the committed `ontology/context.jsonld`.

Nothing here raises for a broken file: each problem is an `Inconsistency`, so all are listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from kg.errors import KgError
from kg.mapping import METRIC_KIND_IRIS, QUALIFIER_IRIS, map_record
from kg.packaged import packaged_file, packaged_folder
from kg.record import check_record_json
from kg.serialize import context_bytes
from kg.vocab import KG, new_graph

Location = str | Path

ONTOLOGY = ("ontology", "kg.ttl")
CONTEXT = ("ontology", "context.jsonld")
SHAPES = ("shapes", "kg.shacl.ttl")
EXAMPLE_RECORD = ("examples", "xiongan-innovation.record.json")
SCHEMA_SUFFIX = ".schema.json"
REGENERATE = "KG_UPDATE_GOLDEN=1 python -m pytest tests/test_serialize.py"

# The ontology's links from a used term to other terms it needs: a used property's range, the
# class of a used individual, a super-property.
_NEEDS = (RDF.type, RDFS.domain, RDFS.range, RDFS.subPropertyOf, RDFS.subClassOf)


@dataclass(frozen=True)
class Inconsistency:
    """One way kg's files disagree: the file at fault, and what is wrong with it."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def check_consistency(
    *,
    ontology: Location | None = None,
    shapes: Location | None = None,
    schemas: Sequence[Location] | None = None,
    context: Location | None = None,
    record: Location | None = None,
) -> list[Inconsistency]:
    """Every inconsistency among kg's files; empty when they agree.

    Each argument replaces a packaged file: `ontology` (ontology/kg.ttl), `shapes`
    (shapes/kg.shacl.ttl), `schemas` (every shapes/*.schema.json), `context`
    (ontology/context.jsonld), `record` (examples/xiongan-innovation.record.json).
    """
    found = [
        *shapes_problems(shapes),
        *schema_problems(schemas),
        *term_problems(ontology=ontology, shapes=shapes, record=record),
        *context_problems(ontology=ontology, context=context),
    ]
    return list(dict.fromkeys(found))  # a file that cannot be read is reported once


# --- the checks ----------------------------------------------------------------------------------


def shapes_problems(shapes: Location | None = None) -> list[Inconsistency]:
    """The shapes against SHACL-for-SHACL: one inconsistency per result."""
    name, source = _locate(shapes, SHAPES)
    text, problems = _read_text(name, source)
    if text is None:
        return problems
    return [Inconsistency(name, message) for message in _meta_messages(text)]


@cache
def _meta_messages(text: str) -> tuple[str, ...]:
    # Cached by the text, which alone decides the answer: SHACL-for-SHACL takes about a second.
    try:
        graph = _parse_turtle(text)
    except ValueError as exc:
        return (str(exc),)
    # pySHACL and jsonschema are imported where they are used: `kg check` needs them, and every
    # other `kg` command (which imports this module) would spend about a fifth of a second on them.
    from pyshacl.entrypoints import meta_validate

    try:
        conforms, report, _ = meta_validate(graph)
    except Exception as exc:  # pySHACL's own errors and rdflib's
        return (f"SHACL-for-SHACL could not run ({exc})",)
    if conforms or not isinstance(report, Graph):
        return ()
    return tuple(sorted(_meta_result(graph, report, r) for r in report.objects(None, SH.result)))


def schema_problems(schemas: Sequence[Location] | None = None) -> list[Inconsistency]:
    """Each JSON Schema against the meta-schema of the draft it names (`check_schema`)."""
    found: list[Inconsistency] = []
    for name, source in _schema_sources(schemas):
        text, problems = _read_text(name, source)
        found += problems
        if text is not None:
            found += _check_schema(name, text)
    return found


def term_problems(
    *,
    ontology: Location | None = None,
    shapes: Location | None = None,
    record: Location | None = None,
) -> list[Inconsistency]:
    """kg: terms the mapper or the shapes use but the ontology does not declare, and the reverse."""
    ontology_name, ontology_source = _locate(ontology, ONTOLOGY)
    shapes_name, shapes_source = _locate(shapes, SHAPES)
    onto, found = _read_graph(ontology_name, ontology_source)
    shape_graph, problems = _read_graph(shapes_name, shapes_source)
    found += problems
    record_name, record_source = _locate(record, EXAMPLE_RECORD)
    mapper, problems = _mapper_terms(record_name, record_source)
    found += problems
    if onto is None or shape_graph is None or problems:
        return found
    declared = _declared(onto)
    by_shapes = _shape_terms(shape_graph)
    for user, used in (("kg.mapping (the mapper)", mapper), (shapes_name, by_shapes)):
        found += [
            Inconsistency(user, f"uses {_curie(term)}, which {ontology_name} does not declare")
            for term in sorted(used - declared)
        ]
    needed = _needed(onto, mapper | by_shapes)
    found += [
        Inconsistency(
            ontology_name,
            f"declares {_curie(term)}, which neither the mapper (mapping {record_name}) nor "
            f"{shapes_name} uses (use it there, or remove it)",
        )
        for term in sorted(declared - needed)
    ]
    return found


def context_problems(
    *, ontology: Location | None = None, context: Location | None = None
) -> list[Inconsistency]:
    """The committed JSON-LD context against the one generated from the ontology."""
    ontology_name, ontology_source = _locate(ontology, ONTOLOGY)
    context_name, context_source = _locate(context, CONTEXT)
    onto, found = _read_graph(ontology_name, ontology_source)
    committed, problems = _read_bytes(context_name, context_source)
    found += problems
    if onto is None or committed is None:
        return found
    try:
        generated = context_bytes(onto)
    except ValueError as exc:  # a term of kg/data/jsonld_terms.tsv the ontology lacks
        return [
            *found,
            Inconsistency(ontology_name, f"cannot generate the context (kg/data/{exc})"),
        ]
    if committed == generated:
        return found
    return found + _context_differences(context_name, ontology_name, committed, generated)


# --- reading -------------------------------------------------------------------------------------


def _locate(given: Location | None, packaged: tuple[str, str]) -> tuple[str, Traversable]:
    """(name for messages, file): the given path, else the packaged file, named as in a checkout."""
    if given is not None:
        return str(given), Path(given)
    return "/".join(packaged), packaged_file(*packaged)


def _schema_sources(schemas: Sequence[Location] | None) -> list[tuple[str, Traversable]]:
    if schemas is not None:
        return [(str(path), Path(path)) for path in schemas]
    folder = packaged_folder("shapes")
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(SCHEMA_SUFFIX))
    return [(f"shapes/{name}", folder.joinpath(name)) for name in names]


def _read_bytes(name: str, source: Traversable) -> tuple[bytes | None, list[Inconsistency]]:
    try:
        return source.read_bytes(), []
    except OSError as exc:
        return None, [Inconsistency(name, f"cannot be read ({exc.strerror or exc})")]


def _read_text(name: str, source: Traversable) -> tuple[str | None, list[Inconsistency]]:
    data, problems = _read_bytes(name, source)
    if data is None:
        return None, problems
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Inconsistency(name, f"byte {exc.start}: not UTF-8 (expected UTF-8 text)")]


def _read_graph(name: str, source: Traversable) -> tuple[Graph | None, list[Inconsistency]]:
    text, problems = _read_text(name, source)
    if text is None:
        return None, problems
    try:
        return _parse_turtle(text), []
    except ValueError as exc:
        return None, [Inconsistency(name, str(exc))]


def _parse_turtle(text: str) -> Graph:
    """The graph of Turtle text; raises `ValueError` saying why it does not parse."""
    try:
        return new_graph().parse(data=text, format="turtle")
    except Exception as exc:  # rdflib's parser raises many kinds
        raise ValueError(f"does not parse as Turtle ({' '.join(str(exc).split())})") from exc


# --- SHACL-for-SHACL -----------------------------------------------------------------------------


def _meta_result(shapes: Graph, report: Graph, result: Node) -> str:
    names = shapes.namespace_manager
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    component = report.value(result, SH.sourceConstraintComponent)
    where = " ".join(term.n3(names) for term in (focus, path) if isinstance(term, URIRef | Literal))
    what = messages[0] if messages else "breaks SHACL-for-SHACL"
    rule = f" ({component.n3(names)})" if isinstance(component, URIRef) else ""
    return f"{where or 'a blank node'}: {what}{rule}"


# --- JSON Schemas --------------------------------------------------------------------------------


def _check_schema(name: str, text: str) -> list[Inconsistency]:
    try:
        schema: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return [Inconsistency(name, f"{where}: {exc.msg} (expected a JSON Schema)")]
    if not isinstance(schema, dict) or "$schema" not in schema:
        return [Inconsistency(name, "no $schema (expected an object naming its draft)")]
    from jsonschema import validators

    # default=None: an unknown draft is reported here rather than warned about by jsonschema.
    cls = validators.validator_for(schema, default=None)
    if cls is None:
        known = "e.g. https://json-schema.org/draft/2020-12/schema"
        return [
            Inconsistency(name, f"$schema {schema['$schema']!r} is not a known draft ({known})")
        ]
    # What `cls.check_schema` does, but every error rather than the first.
    meta = validators.validator_for(cls.META_SCHEMA, default=cls)
    checker = meta(cls.META_SCHEMA, format_checker=meta.FORMAT_CHECKER)
    errors = sorted(checker.iter_errors(schema), key=lambda e: (e.json_path, e.message))
    return [Inconsistency(name, f"{e.json_path}: {e.message}") for e in errors]


# --- kg: terms -----------------------------------------------------------------------------------


def _kg_terms(nodes: Iterable[Node]) -> set[URIRef]:
    return {node for node in nodes if isinstance(node, URIRef) and node.startswith(KG)}


def _declared(ontology: Graph) -> set[URIRef]:
    """kg: terms the ontology gives a type (a class, property or individual)."""
    return _kg_terms(ontology.subjects(RDF.type, None))


def _needed(ontology: Graph, used: set[URIRef]) -> set[URIRef]:
    """The terms used, and every kg: term the ontology links them to (ranges, classes, ...)."""
    needed, todo = set(), set(used)
    while todo:
        term = todo.pop()
        needed.add(term)
        for link in _NEEDS:
            todo |= _kg_terms(ontology.objects(term, link)) - needed
    return needed


def _mapper_terms(name: str, source: Traversable) -> tuple[set[URIRef], list[Inconsistency]]:
    """kg: terms in the mapped example record, and every qualifier and metric kind it may emit."""
    text, problems = _read_text(name, source)
    if text is None:
        return set(), problems
    try:
        graph = map_record(check_record_json(json.loads(text), name))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return set(), [Inconsistency(name, f"{where}: {exc.msg} (expected a JSON record)")]
    except KgError as exc:  # the record breaks its schema, or cannot be mapped
        prefix = f"{name}: "
        lines = str(exc).splitlines()
        return set(), [Inconsistency(name, line.removeprefix(prefix)) for line in lines]
    tables = set(QUALIFIER_IRIS.values()) | set(METRIC_KIND_IRIS.values())
    return _kg_terms(node for triple in graph for node in triple) | tables, []


def _shape_terms(shapes: Graph) -> set[URIRef]:
    """kg: terms the shapes name, in their triples and in their SPARQL text."""
    terms = _kg_terms(node for triple in shapes for node in triple)
    prefixes = {
        str(shapes.value(declaration, SH.prefix))
        for declaration in shapes.objects(None, SH.declare)
        if str(shapes.value(declaration, SH.namespace)) == str(KG)
    }
    forms = [re.escape(f"<{KG}") + r"([A-Za-z_][\w.-]*)>"]
    forms += [rf"(?<![\w:]){re.escape(prefix)}:([A-Za-z_][\w-]*)" for prefix in prefixes]
    pattern = re.compile("|".join(forms))
    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for query in shapes.objects(None, predicate):
            for match in pattern.finditer(str(query)):
                terms.add(KG[next(group for group in match.groups() if group)])
    return terms


def _curie(term: URIRef) -> str:
    return f"kg:{term.removeprefix(str(KG))}"


# --- the JSON-LD context -------------------------------------------------------------------------


def _context_differences(
    context_name: str, ontology_name: str, committed: bytes, generated: bytes
) -> list[Inconsistency]:
    """One inconsistency per term that differs, or one for the file when only its layout does."""
    fix = f"regenerate it: {REGENERATE}"
    try:
        old = json.loads(committed)["@context"]
    except (ValueError, TypeError, KeyError):
        return [Inconsistency(context_name, f"is not a JSON-LD context object ({fix})")]
    new = json.loads(generated)["@context"]
    if not isinstance(old, dict):
        return [Inconsistency(context_name, f"@context is not an object ({fix})")]
    found = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            what = f"has term {key!r}, which the context generated from {ontology_name} lacks"
        elif key not in old:
            what = f"lacks term {key!r} of the context generated from {ontology_name}"
        elif old[key] != new[key]:
            what = (
                f"term {key!r} is {json.dumps(old[key])} "
                f"(generated from {ontology_name}: {json.dumps(new[key])})"
            )
        else:
            continue
        found.append(Inconsistency(context_name, f"{what} ({fix})"))
    return found or [
        Inconsistency(context_name, f"differs in layout from the generated context ({fix})")
    ]
