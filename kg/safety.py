"""What `kg validate` refuses before it parses, so that validating never fetches anything.

    >>> xml_declaration(b'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
    'a DOCTYPE declaration at byte 0 (RDF/XML with a DTD or entities is refused: ...)'

- RDF/XML with a DOCTYPE or an ENTITY declaration is refused on its bytes, before any XML parser
  sees it: entities can read local files or expand without end ("billion laughs").
- A JSON-LD `@context` (or `@import`) given by reference is refused, wherever it sits: loading it
  would fetch a URL or read a file. kg's own context is the exception, resolved from the packaged
  file (`KG_CONTEXT_IRI`, or a path to `ontology/context.jsonld`).
- A SPARQL query in shapes that would fetch (SERVICE, FROM, FROM NAMED, LOAD, USING) is refused:
  rdflib, which runs pySHACL's SPARQL, sends such requests.

`owl:imports` are never followed (pySHACL is always called with `do_owl_imports=False`). In
shapes, one that names a file not given with them is refused (`unresolved_imports`): the shapes
it would bring would silently not apply, and a run would pass that should fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, SH
from rdflib.term import Node

from kg.packaged import packaged_file

# The IRI that names kg's JSON-LD context; a document may refer to it and it is read locally.
KG_CONTEXT_IRI = "https://w3id.org/kg-news/context.jsonld"

_XML_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def xml_declaration(data: bytes) -> str | None:
    """Why an RDF/XML document is refused before parsing, or None.

    A search of the bytes, so a billion-laughs file is refused as fast as it is read. Only
    UTF-8 (or ASCII) is accepted: in another encoding the declarations would not show as bytes.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte {exc.start}: not UTF-8 (RDF/XML is read as UTF-8 only)"
    found = _XML_DECLARATIONS.search(data)
    if found is None:
        return None
    what = found.group(1).decode("ascii").upper()
    return (
        f"a {what} declaration at byte {found.start()} (RDF/XML with a DTD or entities is "
        "refused: entities can read files or expand without end)"
    )


# --- JSON-LD contexts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefusedContext:
    """A context given by reference: where (a JSON pointer) and what it names."""

    pointer: str
    reference: str

    @property
    def message(self) -> str:
        return (
            f"@context {json.dumps(self.reference)} refused: kg never fetches a context "
            f"(put it inline, or use kg's own, {KG_CONTEXT_IRI})"
        )


def resolve_contexts(document: Any, folder: Path) -> tuple[Any, RefusedContext | None]:
    """The JSON-LD document with references to kg's context replaced by its content, and the
    first reference to any other context (None when there is none).

    `folder` is the document's folder, against which a relative reference is resolved.
    """
    refused: list[RefusedContext] = []
    resolved = _resolve(document, "", folder, refused)
    return resolved, (refused[0] if refused else None)


def _resolve(value: Any, pointer: str, folder: Path, refused: list[RefusedContext]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, f"{pointer}/{i}", folder, refused) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    resolved = {}
    for key, item in value.items():
        where = f"{pointer}/{_escape(key)}"
        if key == "@context":
            resolved[key] = _context(item, where, folder, refused)
        elif key == "@import" and isinstance(item, str):
            refused.append(RefusedContext(where, item))
            resolved[key] = item
        else:
            resolved[key] = _resolve(item, where, folder, refused)
    return resolved


def _context(value: Any, pointer: str, folder: Path, refused: list[RefusedContext]) -> Any:
    """One `@context` value: a reference, a list of contexts, or an inline context."""
    if isinstance(value, str):
        if _is_kg_context(value, folder):
            return kg_context()
        refused.append(RefusedContext(pointer, value))
        return value
    if isinstance(value, list):
        return [_context(v, f"{pointer}/{i}", folder, refused) for i, v in enumerate(value)]
    # An inline context may itself hold @import or scoped @context entries.
    return _resolve(value, pointer, folder, refused)


def _is_kg_context(reference: str, folder: Path) -> bool:
    if reference == KG_CONTEXT_IRI:
        return True
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", reference):
        return False  # any other URL, file: included
    try:
        return (folder / reference).resolve() == _kg_context_path()
    except OSError:
        return False


@cache
def _kg_context_path() -> Path | None:
    try:
        return Path(str(packaged_file("ontology", "context.jsonld"))).resolve()
    except OSError:
        return None


@cache
def _kg_context_text() -> str:
    return packaged_file("ontology", "context.jsonld").read_text("utf-8")


def kg_context() -> Any:
    """The value of kg's `@context` (`ontology/context.jsonld`), a fresh copy each time."""
    return json.loads(_kg_context_text())["@context"]


def is_kg_context(value: Any) -> bool:
    """Whether a document's `@context` is kg's own, inline (as kg writes it)."""
    return bool(value == kg_context())


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --- owl:imports in shapes -----------------------------------------------------------------------


def unresolved_imports(shapes: Graph) -> list[str]:
    """Why the shapes are refused: each `owl:imports` of an ontology that is not among them
    (the union of the shapes files given; an import of one given beside it is satisfied)."""
    given = set(shapes.subjects(RDF.type, OWL.Ontology))
    return [
        f"{_name(shapes, node)} owl:imports {imported.n3()} refused (kg never fetches; give the "
        "imported shapes with another --shapes)"
        for node, imported in sorted(shapes.subject_objects(OWL.imports))
        if imported not in given
    ]


# --- SPARQL in shapes -----------------------------------------------------------------------------

_QUERY_KEYS = (SH.select, SH.ask, SH.construct)
# Parse-tree parts whose evaluation makes rdflib fetch a URL (or read a file).
_FETCHING = {
    "ServiceGraphPattern": "SERVICE",
    "DatasetClause": "FROM",
    "UsingClause": "USING",
    "Load": "LOAD",
}


def fetching_queries(shapes: Graph) -> list[str]:
    """Why SPARQL queries in the shapes are refused: each one that would fetch, or that does
    not parse, named by its node and predicate."""
    # rdflib's SPARQL parser is imported here, for shapes given to `kg validate`: its pyparsing
    # grammar takes about a tenth of a second to build, which every other `kg` command skips.
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    problems = []
    keys = [*_QUERY_KEYS, SH.update]
    for predicate in keys:
        for node, text in sorted(shapes.subject_objects(predicate)):
            if not isinstance(text, Literal):
                continue
            where = f"{_name(shapes, node)} {predicate.n3(shapes.namespace_manager)}"
            try:
                tree = parseUpdate(str(text)) if predicate == SH.update else parseQuery(str(text))
            except ParseException as exc:
                problems.append(f"{where}: SPARQL does not parse ({exc.msg}, line {exc.lineno})")
                continue
            for keyword in sorted(set(_fetching_parts(tree))):
                problems.append(
                    f"{where}: SPARQL with {keyword} refused (validation never fetches anything)"
                )
    return problems


def _name(shapes: Graph, node: Node, depth: int = 0) -> str:
    """A node as a person finds it: its IRI, or for a blank node the IRI that refers to it."""
    names = shapes.namespace_manager
    if not isinstance(node, BNode):
        return node.n3(names)
    for subject, predicate in sorted(shapes.subject_predicates(node)):
        if depth < 4:  # blank nodes may refer to each other in a cycle
            return f"{_name(shapes, subject, depth + 1)} {predicate.n3(names)} [...]"
    return "[...]"


def _fetching_parts(tree: Any) -> Iterator[str]:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(tree, CompValue):
        if tree.name in _FETCHING:
            yield _FETCHING[tree.name]
        for value in tree.values():
            yield from _fetching_parts(value)
    elif isinstance(tree, ParseResults | list | tuple):
        for value in tree:
            yield from _fetching_parts(value)
