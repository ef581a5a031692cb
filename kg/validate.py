"""Check a graph against the kg shapes (`shapes/kg.shacl.ttl`) with pySHACL.

    >>> report = validate_graph(map_record(record))     # doctest: +SKIP
    >>> report.conforms, len(report.findings)           # doctest: +SKIP
    (True, 0)

No inference by default: every node carries its schema.org class directly, so the shapes see the
data as a triplestore would. Nothing is fetched: `owl:imports` are not followed. Warnings (e.g. an
article without a date) are reported but do not break conformance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, NamespaceManager
from rdflib.term import Node

from kg import turbo
from kg.errors import InputError, ShapesError
from kg.packaged import packaged_file
from kg.vocab import new_graph

SHAPES_FILE = "kg.shacl.ttl"
SHAPES_NAMESPACE = "https://w3id.org/kg-news/shapes#"  # every shape is named in it

Inference = Literal["none", "rdfs", "owlrl", "both"]
Engine = Literal["pyshacl", "turbo"]
ENGINES: tuple[Engine, ...] = ("pyshacl", "turbo")
ENGINE_VARIABLE = "KG_SHACL_ENGINE"  # read by worker processes too

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result, with IRIs as plain strings.

    `shape` is the NodeShape of the class whose rule was broken (`...shapes#PersonShape`);
    `rule` is the exact property shape or SPARQL constraint (`...shapes#PersonShape-name`).
    `path` is the property IRI, or a SPARQL path such as `^<http://schema.org/mentions>`.
    """

    focus: str
    path: str | None
    value: Node | None
    message: str
    shape: str
    severity: str  # "Violation", "Warning" or "Info"
    component: str  # e.g. "http://www.w3.org/ns/shacl#MinCountConstraintComponent"
    rule: str


@dataclass
class ValidationReport:
    """Whether the graph conforms (warnings allowed), and every finding, violations first."""

    conforms: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]


def validate_graph(
    graph: Graph,
    *,
    inference: Inference = "none",
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    engine: Engine | None = None,
) -> ValidationReport:
    """Validate a graph against the kg shapes (or `shapes`); raises `ShapesError` if the engine
    cannot run. `ontology` is mixed into the data for `inference` (pySHACL's `ont_graph`).

    `engine` is "turbo" (pyshacl-turbo, see `kg.turbo`) or "pyshacl" (the reference: the same
    findings, slower); None reads `KG_SHACL_ENGINE`, else turbo where it imports, except that
    inference and an ontology need pySHACL.
    """
    needs_pyshacl = inference != "none" or ontology is not None
    if engine is None and not os.environ.get(ENGINE_VARIABLE) and needs_pyshacl:
        engine = "pyshacl"
    engine = engine or default_engine()
    shapes_graph = _read_shapes() if shapes is None else shapes
    where = SHAPES_FILE if shapes is None else "the shapes"
    node_shapes = _node_shape_of() if shapes is None else _node_shapes_in(shapes)
    if engine == "turbo":
        if inference != "none" or ontology is not None:
            raise InputError(
                "the turbo SHACL engine validates without inference or an ontology; "
                "use --shacl-engine pyshacl with --inference"
            )
        conforms, results = turbo.validate(graph, shapes_graph, where)
        findings = [
            _with_pyshacl_message(
                _finding(results, r, node_shapes), results, r, shapes_graph, graph
            )
            for r in results.objects(None, SH.result)
        ]
        return ValidationReport(conforms=conforms, findings=sorted(findings, key=_order))
    # Imported here: pySHACL and rdflib's SPARQL engine take over a tenth of a second to import,
    # which a process that does not run pySHACL (`kg --version`, a corpus build's client) skips.
    import pyshacl

    from kg.prepared import with_prepared_queries

    try:
        conforms, results, _ = pyshacl.validate(
            with_prepared_queries(graph),
            shacl_graph=shapes_graph,
            ont_graph=ontology,
            inference=inference,
            allow_warnings=True,
            do_owl_imports=False,
            advanced=False,
        )
    except Exception as exc:  # pySHACL raises RuntimeErrors of its own and rdflib's errors
        raise ShapesError(f"{where}: pySHACL could not validate ({exc})") from exc
    if not isinstance(results, Graph):
        raise ShapesError(f"{where}: pySHACL returned no report graph ({results!r})")
    found = [
        _with_pyshacl_message(_finding(results, r, node_shapes), results, r, shapes_graph, graph)
        for r in results.objects(None, SH.result)
    ]
    return ValidationReport(conforms=bool(conforms), findings=sorted(found, key=_order))


def default_engine() -> Engine:
    """The SHACL engine `KG_SHACL_ENGINE` names; unset, turbo where pyshacl-turbo imports, else
    pySHACL (saying so once, see `kg.turbo.available`)."""
    name = os.environ.get(ENGINE_VARIABLE) or ("turbo" if turbo.available() else "pyshacl")
    for engine in ENGINES:
        if name == engine:
            return engine
    expected = ", ".join(ENGINES)
    raise InputError(f"{ENGINE_VARIABLE}={name!r}: no such SHACL engine (expected: {expected})")


def format_report(report: ValidationReport) -> str:
    """The report as text: a summary line, then one line per finding, violations first.

    `Violation: <https://example.org/kg/person/x> schema:name: Less than 1 values ...
    (kgsh:PersonShape-name, sh:MinCountConstraintComponent)`
    """
    names = _read_shapes().namespace_manager
    counts = {s: sum(f.severity == s for f in report.findings) for s in _SEVERITY_ORDER}
    summary = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    head = f"{'conforms' if report.conforms else 'does not conform'} to the kg shapes"
    lines = [f"{head} ({summary})" if summary else head]
    lines += [_finding_line(f, names) for f in report.findings]
    return "\n".join(lines)


# --- shapes --------------------------------------------------------------------------------------


@cache
def _read_shapes() -> Graph:
    # Parsed once per process; never handed out, so no caller can change it.
    source = packaged_file("shapes", SHAPES_FILE)
    try:
        # kg's prefix map, so pySHACL's messages and ours spell terms as the output does.
        return new_graph().parse(data=source.read_text("utf-8"), format="turtle")
    except Exception as exc:  # a missing file or rdflib's parser errors
        raise ShapesError(f"{SHAPES_FILE}: cannot read the shapes ({exc})") from exc


@cache
def _node_shape_of() -> dict[Node, Node]:
    """{property shape: the NodeShape that lists it} of the kg shapes."""
    return _node_shapes_in(_read_shapes())


def _node_shapes_in(shapes: Graph) -> dict[Node, Node]:
    """{property shape: the NodeShape that lists it}, for naming the class a finding is about."""
    return {prop: node for node, prop in shapes.subject_objects(SH.property)}


# --- findings ------------------------------------------------------------------------------------


def _finding(report: Graph, result: Node, node_shapes: dict[Node, Node]) -> Finding:
    source = report.value(result, SH.sourceShape)
    constraint = report.value(result, SH.sourceConstraint)
    path = report.value(result, SH.resultPath)
    severity = report.value(result, SH.resultSeverity)
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    rule = constraint if isinstance(constraint, URIRef) else source
    return Finding(
        focus=str(report.value(result, SH.focusNode)),
        path=None if path is None else _path_text(report, path),
        value=report.value(result, SH.value),
        message=messages[0] if messages else "",
        shape=str(node_shapes.get(source, source) if source is not None else ""),
        severity=_local_name(severity) if severity is not None else "Violation",
        component=str(report.value(result, SH.sourceConstraintComponent)),
        rule=str(rule) if rule is not None else "",
    )


def _with_pyshacl_message(
    finding: Finding, report: Graph, result: Node, shapes: Graph, data: Graph
) -> Finding:
    source = report.value(result, SH.sourceShape)
    component = report.value(result, SH.sourceConstraintComponent)
    focus = report.value(result, SH.focusNode)
    if source is None or component is None or focus is None:
        return finding
    # Imported for the first finding only: it imports pySHACL (see kg.messages).
    from kg.messages import pyshacl_message

    message = pyshacl_message(shapes, source, component, data, focus, finding.value)
    return finding if message is None else replace(finding, message=message)


def _path_text(graph: Graph, path: Node) -> str:
    """A SHACL property path as text: an IRI, or SPARQL path syntax for the complex forms."""
    if isinstance(path, URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _bracketed(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_bracketed(graph, p) for p in Collection(graph, alternatives))
    if graph.value(path, RDF.first) is not None:
        return "/".join(_bracketed(graph, p) for p in Collection(graph, path))
    for predicate, suffix in (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return _bracketed(graph, inner) + suffix
    return str(path)


def _bracketed(graph: Graph, path: Node) -> str:
    text = _path_text(graph, path)
    return f"<{text}>" if isinstance(path, URIRef) else f"({text})"


def _local_name(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def _order(finding: Finding) -> tuple[int, str, str, str, str, str, str, str]:
    # Every field, so that findings alike but for their component or message keep one order.
    return (
        _SEVERITY_ORDER.get(finding.severity, 3),
        finding.shape,
        finding.focus,
        finding.path or "",
        finding.rule,
        "" if finding.value is None else finding.value.n3(),
        finding.component,
        finding.message,
    )


def _finding_line(finding: Finding, names: NamespaceManager) -> str:
    where = " ".join(
        part
        for part in (_compact(finding.focus, names), _compact_path(finding.path, names))
        if part
    )
    value = "" if finding.value is None else f" [value {finding.value.n3(names)}]"
    rule = _compact(finding.rule, names)
    component = _compact(finding.component, names)
    return f"{finding.severity}: {where}: {finding.message}{value} ({rule}, {component})"


def _compact(iri: str, names: NamespaceManager) -> str:
    return URIRef(iri).n3(names) if iri else ""


def _compact_path(path: str | None, names: NamespaceManager) -> str:
    if path is None:
        return ""
    if path.startswith(("^", "(", "<")) or "|" in path:
        return path
    return _compact(path, names)
